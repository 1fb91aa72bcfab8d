"""Stage 2 on Prosody: which certificate Prosody will use, the edits that switch plaintext off,
and the Prosody-specific reasons to leave a host alone.

Pure functions over the parsed view of ``prosody_config_info`` (``config``: ``global``,
``virtualhosts``, ``components``, each section with ``options`` and ``expressions``) and over
plain values the enforce role has read. The role calls them through the ``prosody_*`` filters;
a second server kind answers the same questions in its own package beside this one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible.module_utils.compat.version import LooseVersion

from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.checker import (
    read_check_output,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._prosody.secrets import (
    REDACTED,
    is_secret,
    mentions_secret,
)

# Prosody's certificate discovery, per candidate name: the Let's Encrypt-style folder first,
# then the flat pair.
_LAYOUTS = (("{}/fullchain.pem", "{}/privkey.pem"), ("{}.crt", "{}.key"))

# Options Prosody reads per host (a VirtualHost or Component value wins over the global one)
# that the role enforces; each must hold the enforced value wherever it is set.
PER_HOST_OPTIONS = (
    "c2s_require_encryption",
    "s2s_require_encryption",
    "allow_unencrypted_plain_auth",
    "s2s_secure_auth",
    "tls_profile",
)
# The tables of TLS settings Prosody merges per host and per direction.
TLS_TABLES = ("ssl", "c2s_ssl", "s2s_ssl")


class EnforcementError(ValueError):
    """An input the enforcement plan cannot be made from."""


@dataclass(frozen=True)
class CertificateGroup:
    """One certificate and key pair and the hosted names Prosody will present it for."""

    group: str  # the first of ``names``: a short label for loops
    certificate: str
    key: str
    names: tuple[str, ...]

    @property
    def files(self) -> tuple[str, str]:
        return (self.certificate, self.key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "certificate": self.certificate,
            "key": self.key,
            "names": list(self.names),
            "files": list(self.files),
        }


@dataclass(frozen=True)
class Edit:
    """Options to set and options to remove in one section (``host`` None: the global one)."""

    settings: Mapping[str, Any]
    remove: tuple[str, ...] = ()
    host: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body = {"settings": dict(self.settings), "remove": list(self.remove)}
        return body if self.host is None else {"host": self.host, **body}


@dataclass(frozen=True)
class Override:
    """A setting that weakens encryption, where Prosody reads it, and what the edits make of it
    (``fix`` None: the key or option is removed)."""

    section: str  # "global", "VirtualHost NAME" or "Component NAME"
    setting: str  # an option, or TABLE.KEY for a key of an ssl table
    value: Any
    fix: Any
    file: str | None
    line: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "section": self.section,
            "setting": self.setting,
            "value": self.value,
            "fix": self.fix,
        }


def certificate_candidates(name: str, directory: str) -> list[tuple[str, str]]:
    """Where Prosody looks for ``name``'s certificate and key, in its order.

    The name itself, then each parent domain down to (not including) the top label.
    """
    labels = name.split(".")
    return [
        (f"{directory}/{cert.format(domain)}", f"{directory}/{key.format(domain)}")
        for domain in (".".join(labels[i:]) for i in range(len(labels) - 1))
        for cert, key in _LAYOUTS
    ]


def _pair(files: Mapping[str, Any], name: str) -> tuple[str, str]:
    entry = files[name]
    if not isinstance(entry, Mapping) or "certificate" not in entry or "key" not in entry:
        raise EnforcementError(f"the certificate files for {name} need 'certificate' and 'key'")
    return str(entry["certificate"]), str(entry["key"])


def pick_certificate(
    name: str, directory: str, existing: Collection[str], files: Mapping[str, Any]
) -> tuple[str, str]:
    """The certificate and key Prosody will use for ``name``.

    An entry of ``files`` (written into the host's ``ssl``) wins; otherwise the first
    candidate whose two files both exist; otherwise the name's own folder, so the preflight
    can say which files are missing.
    """
    if name in files:
        return _pair(files, name)
    for cert, key in certificate_candidates(name, directory):
        if cert in existing and key in existing:
            return cert, key
    return f"{directory}/{name}/fullchain.pem", f"{directory}/{name}/privkey.pem"


def certificate_groups(
    names: Sequence[str],
    directory: str,
    existing: Collection[str],
    files: Mapping[str, Any],
) -> list[CertificateGroup]:
    """The hosted names grouped by the certificate each will be presented with.

    Groups come in the order of their certificate paths compared without case (the order
    the role has always checked them in); names keep their order within a group.
    """
    present = frozenset(existing)
    picks = [(name, *pick_certificate(name, directory, present, files)) for name in names]
    members: dict[str, list[tuple[str, str]]] = {}
    for name, cert, key in sorted(picks, key=lambda pick: pick[1].lower()):
        members.setdefault(cert, []).append((name, key))
    return [
        CertificateGroup(
            group=pairs[0][0],
            certificate=cert,
            key=pairs[0][1],
            names=tuple(name for name, _key in pairs),
        )
        for cert, pairs in members.items()
    ]


def enforced_settings(
    tls_profile: str,
    certificate_dir: str = "",
    c2s_direct_tls_ports: Sequence[int] = (),
    s2s_direct_tls_ports: Sequence[int] = (),
    s2s_secure_auth: bool = False,
    s2s_insecure_domains: Sequence[str] = (),
) -> dict[str, Any]:
    """The global options that make encryption mandatory; empty inputs leave options alone."""
    settings: dict[str, Any] = {
        "c2s_require_encryption": True,
        "s2s_require_encryption": True,
        "allow_unencrypted_plain_auth": False,
        "tls_profile": tls_profile,
    }
    if certificate_dir:
        settings["certificates"] = certificate_dir
    if c2s_direct_tls_ports:
        settings["c2s_direct_tls_ports"] = [int(p) for p in c2s_direct_tls_ports]
    if s2s_direct_tls_ports:
        settings["s2s_direct_tls_ports"] = [int(p) for p in s2s_direct_tls_ports]
    if s2s_secure_auth:
        settings["s2s_secure_auth"] = True
        if s2s_insecure_domains:
            settings["s2s_insecure_domains"] = list(s2s_insecure_domains)
    return settings


def _without(table: Mapping[str, Any], keys: Collection[str]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if k not in keys}


def _strip_direction_tables(
    options: Mapping[str, Any],
    given: Mapping[str, Any],
    weakening_keys: Collection[str],
    settings: dict[str, Any],
    remove: list[str],
) -> None:
    """``c2s_ssl`` and ``s2s_ssl`` without their weakening keys, removed when nothing else is
    left; one the operator gives (``given``) is the operator's."""
    for name in TLS_TABLES[1:]:
        table = options.get(name)
        if not isinstance(table, Mapping) or name in given:
            continue
        kept = _without(table, weakening_keys)
        if kept == table:
            continue
        if kept:
            settings[name] = kept
        else:
            remove.append(name)


def global_edit(
    options: Mapping[str, Any],
    enforced: Mapping[str, Any],
    extra_settings: Mapping[str, Any],
    weakening_keys: Collection[str],
) -> Edit:
    """The global section's edit: the operator's extras under the enforced options, and the
    global ``ssl``, ``c2s_ssl`` and ``s2s_ssl`` tables without the keys that override
    ``tls_profile`` (removed whole when nothing else is left). A table among the extras is the
    operator's: left as given.
    """
    settings = {**extra_settings, **enforced}
    remove: list[str] = []
    ssl = options.get("ssl")
    if isinstance(ssl, Mapping) and "ssl" not in extra_settings:
        kept = _without(ssl, weakening_keys)
        if not kept:
            remove.append("ssl")
        elif kept != ssl:
            settings["ssl"] = kept
    _strip_direction_tables(options, extra_settings, weakening_keys, settings, remove)
    return Edit(settings, tuple(remove))


def host_edits(
    config: Mapping[str, Any],
    names: Sequence[str],
    host_settings: Mapping[str, Any],
    certificate_files: Mapping[str, Any],
    weakening_keys: Collection[str],
    enforced: Mapping[str, Any] | None = None,
) -> list[Edit]:
    """One edit per VirtualHost or Component that needs one, in the order of ``names``.

    A host gets the operator's settings for it, its certificate pair from
    ``certificate_files`` (as ``ssl.certificate``/``ssl.key``), ``ssl``, ``c2s_ssl`` and
    ``s2s_ssl`` tables without the weakening keys (a table the operator set for the host is
    left as given), and the ``enforced`` value of every option of ``PER_HOST_OPTIONS`` it sets
    otherwise, in place: Prosody reads those per host, so the host's own value would win over
    the global one.
    """
    per_host = {k: v for k, v in (enforced or {}).items() if k in PER_HOST_OPTIONS}
    sections = {**config.get("virtualhosts", {}), **config.get("components", {})}
    edits: list[Edit] = []
    for host in names:
        if host not in sections:
            raise EnforcementError(f"{host} is neither a VirtualHost nor a Component")
        current = sections[host]["options"].get("ssl")
        ssl = current if isinstance(current, Mapping) else {}
        given = host_settings.get(host, {})
        if not isinstance(given, Mapping):
            raise EnforcementError(f"the settings for {host} must be a mapping of options")
        settings = dict(given)
        options = sections[host]["options"]
        for name, value in per_host.items():
            set_here = name in settings or name in options
            if set_here and settings.get(name, options.get(name)) != value:
                settings[name] = value
        kept = _without(ssl, weakening_keys)
        if host in certificate_files:
            cert, key = _pair(certificate_files, host)
            kept = {**kept, "certificate": cert, "key": key}
        remove: list[str] = []
        if "ssl" not in settings:
            if not kept and ssl:
                remove.append("ssl")
            elif kept != ssl:
                settings["ssl"] = kept
        _strip_direction_tables(options, given, weakening_keys, settings, remove)
        if settings or remove:
            edits.append(Edit(settings, tuple(remove), host))
    return edits


def _sections(config: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Every section with its label, in the order Prosody's sections are listed."""
    return [
        ("global", config["global"]),
        *((f"VirtualHost {n}", s) for n, s in config.get("virtualhosts", {}).items()),
        *((f"Component {n}", s) for n, s in config.get("components", {}).items()),
    ]


def _location(section: Mapping[str, Any], name: str) -> tuple[str | None, int | None]:
    where = section.get("locations", {}).get(name)
    if not isinstance(where, Mapping):
        return None, None
    return where.get("file"), where.get("line")


def _at(section: Mapping[str, Any], name: str) -> str:
    """The prefix FILE:LINE of the option's last assignment, when the view says where it is."""
    file, line = _location(section, name)
    if file is None:
        return ""
    return f"{file}:{line}: " if line is not None else f"{file}: "


def find_overrides(
    config: Mapping[str, Any], enforced: Mapping[str, Any], weakening_keys: Collection[str]
) -> list[Override]:
    """Every setting that weakens what ``enforced`` asks for, in every section Prosody reads:
    an option of ``PER_HOST_OPTIONS`` with another value, and each weakening key of an
    ``ssl``, ``c2s_ssl`` or ``s2s_ssl`` table (only that key's value is shown: the rest of a
    table may hold the key's passphrase)."""
    found: list[Override] = []
    for label, section in _sections(config):
        options = section.get("options", {})
        for name in PER_HOST_OPTIONS:
            if name in enforced and name in options and options[name] != enforced[name]:
                found.append(
                    Override(label, name, options[name], enforced[name], *_location(section, name))
                )
        for table in TLS_TABLES:
            value = options.get(table)
            if not isinstance(value, Mapping):
                continue
            for key in value:
                if key in weakening_keys:
                    # The role's output shows these: a key named like a secret is not quoted.
                    shown = REDACTED if is_secret(key) else value[key]
                    where = _location(section, table)
                    found.append(Override(label, f"{table}.{key}", shown, None, *where))
    return found


def older_than(version: str, minimum: str) -> bool:
    """Prosody ``version`` < ``minimum``, compared as Ansible's ``version`` test does."""
    try:
        return LooseVersion(version) < LooseVersion(minimum)
    except (TypeError, ValueError) as exc:
        raise EnforcementError(
            f"cannot compare Prosody {version!r} with the minimum {minimum!r}: {exc}"
        ) from exc


def preflight_refusals(
    config: Mapping[str, Any],
    *,
    version: str,
    about_lines: Sequence[str],
    min_version: str,
    status_rc: int,
    check_rc: int,
    check_lines: Sequence[str],
    watched: Collection[str] = (),
) -> list[str]:
    """Every Prosody-specific reason not to touch this host, one sentence each.

    ``version`` is what ``prosodyctl about`` named ('' when nothing), ``status_rc`` the exit
    code of ``prosodyctl status``, ``check_rc``/``check_lines`` what ``prosodyctl check
    config`` said about the current file. An ``ssl`` option that is not a literal table
    (``FileContents(...)``, a variable) cannot be edited safely, so it is refused too.
    """
    refusals: list[str] = []
    if not version:
        last = about_lines[-1] if about_lines else "no output"
        refusals.append(f"the Prosody version is unknown (prosodyctl about: {last})")
    elif older_than(version, min_version):
        refusals.append(f"Prosody {version} is older than {min_version} (no tls_profile)")
    if status_rc != 0:
        refusals.append(
            f"Prosody is not running (prosodyctl status rc={status_rc}), so it cannot be reloaded"
        )
    report = read_check_output(check_lines)
    if not report.passed(check_rc):
        refusals.append(
            f"the current configuration already fails prosodyctl check config (rc={check_rc});"
            f" fix it first: {report.problem()}"
        )
    for label, section in _sections(config):
        expressions = section.get("expressions", {})
        if "ssl" in expressions:
            # The expression is quoted to help the operator, unless it sets a secret (the
            # key's passphrase): a refusal is printed, and must not carry it.
            source = expressions["ssl"]
            shown = "an expression that sets a secret" if mentions_secret(source) else source
            refusals.append(
                f"{_at(section, 'ssl')}an ssl option is not a plain table ({shown});"
                " review it by hand"
            )
        for name in [*TLS_TABLES[1:], *watched]:
            if name in expressions:
                source = expressions[name]
                shown = "an expression that sets a secret" if mentions_secret(source) else source
                refusals.append(
                    f"{_at(section, name)}{label} sets {name} by Lua code ({shown}), which"
                    " cannot be changed safely; set it to a plain value by hand"
                )
    return refusals


def check_warnings(check_lines: Sequence[str]) -> list[str]:
    """What ``prosodyctl check config`` warned about without it being an error."""
    return list(read_check_output(check_lines).warnings)

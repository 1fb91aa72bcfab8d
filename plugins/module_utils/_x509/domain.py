"""Domain names as the collection uses them: one conversion and one set of rules.

Every XMPP domain the collection acts on - looked up in DNS, sent as the TLS SNI, matched as a
reference identity, planned into a certificate, merged in a fleet scan - is converted by
``domain_to_ascii``: lower-case A-labels by UTS #46 and IDNA 2008 (the ``idna`` package), no
trailing dot, letters-digits-hyphen labels of at most 63 octets, at most 253 in all. Python's
own ``idna`` codec is IDNA 2003: it turns ``faß.de`` into ``fass.de``, another party's domain,
so it is never used.
"""

from __future__ import annotations

import ipaddress
import re
from types import ModuleType

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63
_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class DomainError(ValueError):
    """Not a usable domain name; ``reason`` reads after the name ("has an empty label")."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name!r} {reason}")
        self.name = name
        self.reason = reason


def _idna() -> ModuleType | None:
    """The idna package, imported when a name first needs it (40 ms): ASCII names never do."""
    try:
        import idna
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return idna


def label_to_ascii(label: str) -> str:
    """One non-ASCII label as a lower-case A-label (UnicodeError or ValueError if invalid)."""
    idna = _idna()
    if idna is None:  # pragma: no cover - the stdlib codec would convert to another name
        raise ValueError("internationalised names need the idna package")
    return idna.encode(label, uts46=True).decode("ascii").lower()


def a_label_decodes(label: str) -> bool:
    """Whether an ``xn--`` label decodes (True when the idna package cannot tell)."""
    idna = _idna()
    if idna is None:  # pragma: no cover - depends on the environment
        return True
    try:
        idna.decode(label)
    except UnicodeError:  # IDNAError is one
        return False
    return True


def to_unicode(a_name: str) -> str:
    """U-label form of an A-label name, for XmppAddr values (left as is if it does not decode)."""
    idna = _idna() if "xn--" in a_name else None
    if idna is None:
        return a_name
    try:
        return ".".join(idna.decode(label) for label in a_name.split("."))
    except UnicodeError:
        return a_name


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def _label(label: str, raw: str) -> str:
    if label.isascii():
        label = label.lower()
        # An A-label must decode, or it is garbage that merely looks like one.
        if label.startswith("xn--") and not a_label_decodes(label):
            raise DomainError(raw, f"has an invalid A-label {label!r}")
    else:
        try:
            label = label_to_ascii(label)
        except (UnicodeError, ValueError) as exc:
            raise DomainError(raw, f"has a label {label!r} that is not valid IDNA") from exc
    if len(label) > MAX_LABEL_LENGTH:
        raise DomainError(
            raw, f"has a label of {len(label)} characters (at most {MAX_LABEL_LENGTH})"
        )
    if not _LDH_LABEL.match(label):
        raise DomainError(raw, f"has an invalid label {label!r} (letters, digits, inner hyphens)")
    return label


def domain_to_ascii(raw: str, *, allow_wildcard: bool = False) -> str:
    """``raw`` as lower-case A-labels without a trailing dot, or ``DomainError``.

    A wildcard is accepted only when ``allow_wildcard`` and only as the whole left-most label
    of a name with at least three labels (``*.example.org``).
    """
    name = raw.strip().removesuffix(".")
    if not name:
        raise DomainError(raw, "is empty")
    if is_ip_address(name):
        raise DomainError(raw, "is an IP address, not a domain name")
    labels = name.split(".")
    out: list[str] = []
    for index, label in enumerate(labels):
        if "*" in label:
            if not allow_wildcard:
                raise DomainError(raw, "is a wildcard, which is not allowed here")
            if label != "*" or index != 0:
                raise DomainError(raw, "has a wildcard that is not the whole first label")
            if len(labels) < 3:
                raise DomainError(raw, "has a wildcard too close to the top level")
            out.append("*")
        elif not label:
            raise DomainError(raw, "has an empty label")
        else:
            out.append(_label(label, raw))
    result = ".".join(out)
    if len(result) > MAX_NAME_LENGTH:
        raise DomainError(raw, f"is {len(result)} characters long (at most {MAX_NAME_LENGTH})")
    if out[-1].isdigit():
        raise DomainError(raw, "ends in an all-numeric label")
    return result

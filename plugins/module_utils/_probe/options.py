"""How a probe is configured: each option's default, type and check, written once.

The options dataclasses of ``tls_info`` (``ProbeOptions``, ``EndpointTarget``) and ``scan``
(``ScanOptions``) declare their module options in field metadata (``option``). A module's
argument spec is built from them (``argument_spec``) and its parameters become options
through ``options_from`` alone, so a default lives in its dataclass and, for users, in the
module's DOCUMENTATION (ansible-test sanity holds those two together). The checks of the
options every probe uses are ``ProbeOptions.__post_init__``: the fleet scan builds a
``ProbeOptions`` and so checks them the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.xml_guard import (
    DEFAULT_BYTE_CAP,
)

CHECKS = ("features", "versions", "suites", "groups", "certificate")

T = TypeVar("T")


def option(type_: str, default: Any = dataclasses.MISSING, **spec: Any) -> Any:
    """A dataclass field that is also a module option (``spec``: the rest of its entry).

    ``name`` in ``spec`` is the option's name when it differs from the field's;
    ``spec_default=False`` leaves the default out of the argument spec (an option whose
    absence means more than the empty value, as the system resolver's nameservers).
    """
    metadata = {"option": {"type": type_, **spec}}
    # pylint cannot see that this is only called in dataclass bodies: invalid-field-call
    if isinstance(default, dict):  # a mutable default: each instance gets its own copy
        return dataclasses.field(  # pylint: disable=invalid-field-call
            default_factory=lambda: dict(default), metadata=metadata
        )
    return dataclasses.field(default=default, metadata=metadata)  # pylint: disable=invalid-field-call


def shared(cls: type, name: str, **spec: Any) -> Any:
    """The field ``name`` of ``cls`` again (same default and entry) for another dataclass."""
    source = next(f for f in dataclasses.fields(cls) if f.name == name)
    entry = dict(source.metadata["option"])
    entry.pop("name", None)
    entry.update(spec)
    return option(entry.pop("type"), source.default, **entry)


def _options(cls: type) -> list[tuple[dataclasses.Field[Any], dict[str, Any]]]:
    return [
        (f, dict(f.metadata["option"])) for f in dataclasses.fields(cls) if "option" in f.metadata
    ]


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def _plain(value: Any, choices: Sequence[str] | None) -> Any:
    """A default as the argument spec states it: sets as lists in the order of the choices."""
    if isinstance(value, frozenset):
        return [c for c in choices or sorted(value) if c in value]
    if isinstance(value, tuple):
        return list(value)
    return value


def argument_spec(cls: type, *, required: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """The module argument spec entries of ``cls``'s options (``required`` made so)."""
    spec: dict[str, dict[str, Any]] = {}
    for f, entry in _options(cls):
        name = entry.pop("name", f.name)
        default = _default(f) if entry.pop("spec_default", True) else None
        if default is not None:
            entry["default"] = _plain(default, entry.get("choices"))
        if name in required:
            entry["required"] = True
        spec[name] = entry
    return spec


def _typed(value: Any, entry: Mapping[str, Any], default: Any) -> Any:
    kind = entry["type"]
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    if kind == "list":
        return frozenset(value) if isinstance(default, frozenset) else tuple(value)
    if kind == "dict":
        return dict(value)
    return value


def options_from(cls: type[T], params: Mapping[str, Any], **given: Any) -> T:
    """``cls`` from module parameters; a parameter that is absent or None keeps its default.

    ``given`` sets fields directly, over ``params``. Bad values raise ``ValueError``.
    """
    values: dict[str, Any] = {}
    for f, entry in _options(cls):
        value = params.get(entry.get("name", f.name))
        if value is not None:
            values[f.name] = _typed(value, entry, _default(f))
    return cls(**{**values, **given})


@dataclass(frozen=True)
class ProbeOptions:
    """How one endpoint is probed (``tls_info``'s options; ``scan`` uses them per endpoint)."""

    timeout: float = option("float", 60.0)
    connect_timeout: float = option("float", 5.0)
    phase_timeout: float = 10.0
    ca_path: str | None = option("path", None)
    max_connections: int = option("int", 5)
    checks: frozenset[str] = option("list", frozenset(CHECKS), elements="str", choices=list(CHECKS))
    byte_cap: int = DEFAULT_BYTE_CAP
    pipeline: bool = option("bool", True, name="pipelining")

    def __post_init__(self) -> None:
        unknown = self.checks - set(CHECKS)
        if unknown:
            raise ValueError(f"unknown checks {sorted(unknown)}; choose from {list(CHECKS)}")
        if self.max_connections < 1:
            raise ValueError(
                "max_connections (scan: max_connections_per_server) must be at least 1"
            )
        if self.timeout <= 0 or self.connect_timeout <= 0 or self.phase_timeout <= 0:
            raise ValueError("timeouts must be positive")

    def check_trust_store(self) -> None:
        """Fail on a bad ``ca_path`` before minutes of probing, not after (``X509CheckError``)."""
        if self.ca_path is not None and "certificate" in self.checks:
            # Imported here: a probe loads the certificate checks only when it needs them.
            from ansible_collections.xmpp.encryption.plugins.module_utils._x509.check import (
                load_trust_store,
            )

            load_trust_store(self.ca_path)


__all__ = ["CHECKS", "ProbeOptions", "argument_spec", "option", "options_from", "shared"]

"""What ``prosodyctl check config`` said, sorted into errors and warnings.

Prosody's checker (util/prosodyctl/check.lua, 0.12 and 13) prints one finding after another,
each opened by a headline line, then "Problems found, see above." and exit code 2 as soon as
any finding set its failure flag: deprecated or obsolete global options do, and so would a
server that runs perfectly well with them. Only findings that mean the server does not work
as configured (no hosts, an option where Prosody ignores it, encryption it cannot provide,
modules that fail to load) are errors; a line this module does not recognise counts as one
too, so an unknown checker or validator is never taken for a pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Headlines of findings that leave a working server (Prosody still runs as configured).
_WARNINGS = re.compile(
    r"You have some deprecated options in the global section"
    r"|You have some obsolete options you can remove from the global section"
    r"|Public registration is enabled on"
    r"|Suggestion: "
    r"|Your configuration contains the following unreferenced components"
    r"|Some hosts in your configuration file have an invalid 'disco_items' option"
    r"|Checks will be skipped for these disabled hosts"
    r"|These hosts are disabled"
    r"|No global modules_enabled is set\?"
    r"|mod_\S+ is enabled both in modules_enabled and as Component"
    r"|Modules in modules_enabled should not have the 'mod_' prefix"
    r"|Authentication modules should not be added to modules_enabled"
    r"|storage modules should not be added to modules_enabled"
    r"|Both mod_\S+ and mod_\S+ are enabled but they conflict"
    r"|mod_posix is loaded in your configuration file"
    r"|mod_admin_telnet is being replaced"
    r"|The 'default_storage' option is not needed"
)
# Headlines of findings that mean the configuration does not do what it says.
_ERRORS = re.compile(
    r"No global options defined"
    r"|No hosts are defined"
    r"|No hosts are enabled"
    r"|All hosts are disabled"
    r"|The modules_(?:enabled|disabled) in the \S+ section should"
    r"|You have \d+ options? set under \S+ that should be"
    r"|You require encryption but"
    r"|You have set s2s_secure_(?:auth|domains) but"
    r"|The following modules failed to load"
    r"|Your configuration contains invalid host names"
)
# Lines that go on a finding after one of its blank lines (the rest of a finding's lines after
# a blank are indented deeper than its headline); any other line after a blank starts a finding.
_CONTINUED = re.compile(
    r"You need to move the following option"
    r"|Clients may not be able to"
    r"|Use a valid domain name"
    r"|Check for typos and remove"
)
# The checker's own frame around its findings.
_FRAME = frozenset(
    {
        "Checking config...",
        "Done.",
        "Problems found, see above.",
        "All checks passed, congratulations!",
    }
)


@dataclass(frozen=True)
class CheckReport:
    """The checker's findings, each on one line, in the order printed."""

    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    unknown: tuple[str, ...]  # lines that start no finding this module knows

    def passed(self, rc: int) -> bool:
        """Whether the configuration is fit: rc 0, or rc != 0 for known warnings only."""
        if rc == 0:
            return True
        return bool(self.warnings) and not self.errors and not self.unknown

    def problem(self) -> str:
        """What to quote for a refusal: every error, else the last lines not understood."""
        if self.errors:
            return "; ".join(self.errors)
        return self.unknown[-1] if self.unknown else ""


def _without_banners(lines: Sequence[str]) -> list[str]:
    """prosodyctl frames dependency notices ("unable to find lua-unbound") in lines of
    asterisks; they say nothing about the configuration."""
    kept: list[str] = []
    in_banner = False
    for line in lines:
        if line.strip() and set(line.strip()) == {"*"}:
            in_banner = not in_banner
        elif not in_banner:
            kept.append(line)
    return kept


def read_check_output(lines: Sequence[str]) -> CheckReport:
    findings: list[tuple[str, list[str]]] = []  # (kind, lines)
    after_blank = True
    for raw in _without_banners(lines):
        line = raw.strip()
        if not line or line in _FRAME:
            after_blank = True
            continue
        goes_on = not after_blank or raw.startswith(" " * 5) or _CONTINUED.match(line)
        after_blank = False
        if _ERRORS.match(line):
            findings.append(("error", [line]))
        elif _WARNINGS.match(line):
            findings.append(("warning", [line]))
        elif findings and goes_on:
            findings[-1][1].append(line)
        else:
            findings.append(("unknown", [line]))
    errors = tuple(" ".join(body) for kind, body in findings if kind == "error")
    warnings = tuple(" ".join(body) for kind, body in findings if kind == "warning")
    unknown = tuple(" ".join(body) for kind, body in findings if kind == "unknown")
    return CheckReport(errors, warnings, unknown)

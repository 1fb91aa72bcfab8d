"""Whether this Python has the libraries the collection needs, decided once for every module.

Files that use cryptography or dnspython still guard their own imports (``ansible-test``
imports every module without them) but decide nothing: a module calls ``require_*`` first and
fails, before doing anything, with a message that names the library, the minimum version and
the Python that lacks it, as ``missing_required_lib`` does. The minimum versions are the ones
the ``xmpp.encryption.requirements`` doc fragment declares: keep the two in step.
"""

from __future__ import annotations

import re
import sys
import traceback
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ansible.module_utils.basic import AnsibleModule

try:
    import cryptography
except ImportError:  # pragma: no cover - depends on the environment
    CRYPTOGRAPHY_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    CRYPTOGRAPHY_IMPORT_ERROR = None
HAS_CRYPTOGRAPHY = CRYPTOGRAPHY_IMPORT_ERROR is None

try:
    import dns.version
except ImportError:  # pragma: no cover - depends on the environment
    DNSPYTHON_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    DNSPYTHON_IMPORT_ERROR = None
HAS_DNSPYTHON = DNSPYTHON_IMPORT_ERROR is None

# Certificate.not_valid_before_utc and not_valid_after_utc came with cryptography 42.
MIN_CRYPTOGRAPHY = (42, 0)
MIN_DNSPYTHON = (2, 6)


def _problem(name: str, installed: bool, version: str, minimum: tuple[int, int]) -> str | None:
    wanted = ".".join(map(str, minimum))
    where = f"this host's Python ({sys.executable})"
    if not installed:
        return (
            f"the {name} library ({wanted} or later) is not installed for {where}; install it"
            " there, or set ansible_python_interpreter to a Python that has it"
        )
    found = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if found < minimum:
        return f"{name} {version} on {where} is too old: {wanted} or later"
    return None


def cryptography_problem() -> str | None:
    """Why cryptography cannot be used with this Python, or None."""
    version = cryptography.__version__ if HAS_CRYPTOGRAPHY else ""
    return _problem("cryptography", HAS_CRYPTOGRAPHY, version, MIN_CRYPTOGRAPHY)


def dnspython_problem() -> str | None:
    """Why dnspython cannot be used with this Python, or None."""
    version = dns.version.version if HAS_DNSPYTHON else ""
    return _problem("dnspython", HAS_DNSPYTHON, version, MIN_DNSPYTHON)


def _fail(module: AnsibleModule, problem: str, import_error: str | None) -> None:
    if import_error is None:  # too old: there is no traceback worth showing
        module.fail_json(msg=problem)
    module.fail_json(msg=problem, exception=import_error)


def require_cryptography(module: AnsibleModule) -> None:
    """Fail ``module`` unless cryptography is installed and new enough."""
    problem = cryptography_problem()
    if problem:
        _fail(module, problem, CRYPTOGRAPHY_IMPORT_ERROR)


def require_dnspython(module: AnsibleModule) -> None:
    """Fail ``module`` unless dnspython is installed and new enough."""
    problem = dnspython_problem()
    if problem:
        _fail(module, problem, DNSPYTHON_IMPORT_ERROR)

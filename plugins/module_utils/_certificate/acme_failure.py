"""Explain a failed ACME step of the certificate role in one clear sentence.

The role's rescue hands over the failed task's result (``ansible_failed_result``): from
ansible.builtin.uri (the directory check) or from community.crypto's ACME modules, whose
``msg`` is the raw protocol error and whose ``other`` holds ``http_status``, ``http_url``,
``problem`` (RFC 7807) and, for a challenge, ``identifier`` and ``authorization``.
Pure functions: no network, no Ansible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

RATE_LIMITED = "urn:ietf:params:acme:error:rateLimited"
KEPT = "Nothing was deployed: the certificate deployed before stays in place and in use."

# Let's Encrypt: "... retry after 2024-02-05 19:54:53 UTC: see https://...".
_RETRY_AFTER = re.compile(
    r"retry after\s+(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\s*UTC|Z)?)",
    re.IGNORECASE,
)
# urllib's reason inside "Request failed: <url... error [Errno 111] Connection refused>".
_URL_ERROR = re.compile(r"<[a-z]+ error (?:\[[^\]]*\]\s*)?(.*?)>?$", re.DOTALL)


@dataclass(frozen=True)
class AcmeFailure:
    """What failed, in words for the operator; ``kind`` is for playbooks and tests."""

    kind: str  # unreachable | not_a_directory | rate_limited | challenge_failed | other
    message: str
    detail: str = ""
    retry_after: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def retry_after_of(result: Mapping[str, Any], detail: str) -> str:
    """The Retry-After header when a result carries it, else the time a detail names."""
    for source in (result, _mapping(result.get("other"))):
        for key in ("retry_after", "retry-after", "retryAfter"):
            value = source.get(key)
            if value not in (None, ""):
                return str(value)
    found = _RETRY_AFTER.search(detail)
    return found.group(1).strip() if found else ""


def network_reason(msg: str) -> str:
    """The part of a connection error worth reading: 'Connection refused', 'timed out'."""
    text = msg.split("Request failed:", 1)[-1].strip().rstrip(".")
    found = _URL_ERROR.search(text)
    if found and found.group(1).strip():
        text = found.group(1).strip()
    return text.rstrip(".") or "no answer"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _problems(other: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    problem = _mapping(other.get("problem"))
    subs = [p for p in other.get("subproblems") or [] if isinstance(p, Mapping)]
    return [p for p in [problem, *subs] if p]


def _status(result: Mapping[str, Any], other: Mapping[str, Any]) -> int | None:
    for value in (other.get("http_status"), result.get("status")):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
    return None


def _failed_challenges(other: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(challenge type, problem text) for each invalid challenge of the authorization."""
    found = []
    for challenge in _mapping(other.get("authorization")).get("challenges") or []:
        if not isinstance(challenge, Mapping) or challenge.get("status") != "invalid":
            continue
        error = _mapping(challenge.get("error"))
        text = str(error.get("detail") or error.get("type") or "no reason given")
        kind = str(error.get("type", "")).rsplit(":", 1)[-1]
        found.append((str(challenge.get("type", "?")), f"{text} ({kind})" if kind else text))
    return found


def _rate_limited(
    name: str, status: int | None, url: str | None, detail: str, retry: str
) -> AcmeFailure:
    """The rate-limit failure: the HTTP status and URL when known, the CA's words, when to retry.

    ``detail`` is the problem's detail or, without a problem document, the whole message;
    the retry time is added only when the detail does not say it already.
    """
    said = f"rateLimited, HTTP {status}" if status is not None else "rateLimited"
    return AcmeFailure(
        "rate_limited",
        f"{name}: the ACME CA refused the order with a rate limit ({said})"
        + (f" from {url}" if url else "")
        + (f": {detail.rstrip('.')}" if detail else "")
        + (f". Retry after {retry}" if retry and retry not in detail else "")
        + f". {KEPT}",
        detail,
        retry,
    )


def explain_acme_failure(
    result: Mapping[str, Any], *, name: str, directory: str, step: str = ""
) -> AcmeFailure:
    """Classify a failed ACME step and say it with the certificate's name."""
    msg = str(result.get("msg") or "").strip()
    other = _mapping(result.get("other"))
    status = _status(result, other)

    for problem in _problems(other):
        if problem.get("type") == RATE_LIMITED:
            # A problem document: a result without a status or URL gets 429 and the directory.
            detail = str(problem.get("detail") or "").strip()
            url = str(other.get("http_url") or directory)
            return _rate_limited(name, status or 429, url, detail, retry_after_of(result, detail))
    if RATE_LIMITED in msg:
        # Only the message names it: say the status and URL only when the result has them.
        url = str(other["http_url"]) if other.get("http_url") else None
        return _rate_limited(name, status, url, msg, retry_after_of(result, msg))

    challenges = _failed_challenges(other)
    if challenges or msg.startswith("Failed to validate challenge"):
        identifier = str(other.get("identifier") or name)
        if challenges:
            detail = "; ".join(
                text if len(challenges) == 1 else f"{kind}: {text}" for kind, text in challenges
            )
            kinds = " and ".join(sorted({challenge[0] for challenge in challenges}))
        else:
            detail, kinds = msg, "ACME"
        return AcmeFailure(
            "challenge_failed",
            f"{name}: the ACME CA could not validate the {kinds} challenge for {identifier}: "
            f"{detail}. {KEPT}",
            detail,
        )

    if status == -1 or msg.startswith(("Failure downloading", "Request failed")):
        reason = network_reason(msg)
        return AcmeFailure(
            "unreachable",
            f"{name}: the ACME directory {directory} cannot be reached ({reason}); "
            f"nothing was ordered. {KEPT}",
            reason,
        )
    if msg.startswith("Status code was") and status is not None:
        return AcmeFailure(
            "not_a_directory",
            f"{name}: {directory} does not answer as an ACME directory (HTTP {status}); "
            f"nothing was ordered. {KEPT}",
            msg,
        )

    where = f" ({step})" if step else ""
    detail = msg or "no message"
    return AcmeFailure(
        "other",
        f"{name}: the ACME exchange with {directory} failed{where}: {detail.rstrip('.')}. {KEPT}",
        detail,
    )

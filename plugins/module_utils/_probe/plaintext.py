"""Does the endpoint refuse plaintext? The features before TLS, and one attempt in the clear.

``probe_features`` opens a plaintext stream (``_probe.stream``), reads what the server offers
before TLS and tries, on the same connection, whether it lets a client authenticate (c2s) or
a peer start dialback (s2s) without TLS. Its verdict, ``plaintext_refused``, is True when the
server refused, False when it went ahead and None when the answer tells nothing about TLS;
``plaintext_evidence`` says what the server answered. The attempts use a random, certainly
invalid identity and never a real one.
"""

from __future__ import annotations

import base64
import secrets
import time
import xml.etree.ElementTree as ET  # inspects nodes built by _probe.xml_guard
from dataclasses import dataclass
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._probe.base import (
    Deadline,
    ProbeError,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.stream import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_PHASE_TIMEOUT,
    NS_DB,
    NS_SASL,
    StreamError,
    StreamFeatures,
    StreamHeader,
    XmppStream,
    check_stream_args,
    connect,
    quoteattr,
    split_tag,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._probe.xml_guard import (
    DEFAULT_BYTE_CAP,
)

# How long a refusal of plaintext dialback may take; waited in full only by a peer that
# leaves the <db:verify/> sent after the key unanswered, so a slow refusal is still seen.
DIALBACK_WAIT = 3.0
# A refusal racing the answer to <db:verify/> comes within a scheduler tick or two, even on
# a loaded server; a quarter second is far above that and still a twelfth of DIALBACK_WAIT.
VERIFY_GRACE = 0.25

# Stream errors that say nothing about encryption: the request was refused for another reason.
_NEUTRAL_STREAM_ERRORS = frozenset(
    {
        "bad-format",
        "connection-timeout",
        "host-gone",
        "host-unknown",
        "improper-addressing",
        "internal-server-error",
        "invalid-from",
        "invalid-namespace",
        "not-well-formed",
        "remote-connection-failed",
        "resource-constraint",
        "see-other-host",
        "system-shutdown",
    }
)


@dataclass(frozen=True)
class FeaturesResult:
    """What one plaintext connection told about the endpoint.

    ``plaintext_refused`` is True when the server refused to authenticate (c2s) or to start
    dialback (s2s) without TLS, False when it went ahead, None when it could not be told;
    ``plaintext_evidence`` says what the server answered.
    """

    stream: str
    starttls_offered: bool
    starttls_required: bool
    sasl_mechanisms_before_tls: tuple[str, ...]
    dialback_before_tls: bool
    plaintext_refused: bool | None
    plaintext_evidence: str
    other_features: tuple[str, ...]
    header: StreamHeader

    def as_dict(self) -> dict[str, Any]:
        return {
            "starttls_offered": self.starttls_offered,
            "starttls_required": self.starttls_required,
            "sasl_mechanisms_before_tls": list(self.sasl_mechanisms_before_tls),
            "dialback_before_tls": self.dialback_before_tls,
            "other_features": list(self.other_features),
            "stream_header": self.header.as_dict(),
            "plaintext_refused": self.plaintext_refused,
            "plaintext_evidence": self.plaintext_evidence,
        }


async def probe_features(
    host: str,
    port: int,
    domain: str,
    stream: str,
    *,
    deadline: Deadline,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    phase_timeout: float = DEFAULT_PHASE_TIMEOUT,
    byte_cap: int = DEFAULT_BYTE_CAP,
    from_domain: str | None = None,
) -> FeaturesResult:
    """Read the features offered before TLS and try plaintext auth/dialback (one connection)."""
    check_stream_args(stream, "starttls")
    reader, writer = await connect(host, port, deadline=deadline, connect_timeout=connect_timeout)
    xs = XmppStream(
        reader, writer, deadline=deadline, phase_timeout=phase_timeout, byte_cap=byte_cap
    )
    try:
        header = await xs.open(domain, stream, from_domain)
        features = await xs.read_features()
        try:
            if stream == "c2s":
                refused, evidence = await _try_plaintext_auth(xs, features)
            else:
                refused, evidence = await _try_plaintext_dialback(
                    xs, domain, from_domain, tls_required=features.starttls_required
                )
        except ProbeError as exc:
            # The features are known by now: a bad answer here is a verdict, not a failure.
            refused, evidence = _verdict_from_error(exc)
    finally:
        xs.close()
    return FeaturesResult(
        stream=stream,
        starttls_offered=features.starttls,
        starttls_required=features.starttls_required,
        sasl_mechanisms_before_tls=features.sasl_mechanisms,
        dialback_before_tls=features.dialback,
        plaintext_refused=refused,
        plaintext_evidence=evidence,
        other_features=features.others,
        header=header,
    )


def _auth_request(mechanisms: tuple[str, ...]) -> tuple[str, bytes]:
    """A first SASL message with a random, certainly invalid identity (never a real one)."""
    user = "probe-" + secrets.token_hex(6)
    upper = [m.upper() for m in mechanisms]
    if "PLAIN" in upper or not any(m != "EXTERNAL" for m in upper):
        mech = "PLAIN"
        initial = f"\0{user}\0{secrets.token_urlsafe(18)}".encode()
    elif any(m.startswith("SCRAM-") for m in upper):
        mech = next(m for m in mechanisms if m.upper().startswith("SCRAM-"))
        initial = f"n,,n={user},r={secrets.token_urlsafe(18)}".encode()
    else:
        mech = next(m for m in mechanisms if m.upper() != "EXTERNAL")
        initial = b""
    payload = base64.b64encode(initial).decode() if initial else ""
    body = f"<auth xmlns='{NS_SASL}' mechanism={quoteattr(mech)}>{payload}</auth>"
    return mech, body.encode()


_REFUSING_SASL = frozenset({"encryption-required", "mechanism-too-weak"})
_EVALUATING_SASL = frozenset({"not-authorized", "credentials-expired", "account-disabled"})


def _verdict_from_error(exc: ProbeError) -> tuple[bool | None, str]:
    """What a stream error, hang-up or silence in answer to a plaintext attempt tells."""
    if isinstance(exc, StreamError):
        if exc.condition in _NEUTRAL_STREAM_ERRORS:
            return None, f"stream error {exc.condition}, which says nothing about TLS"
        return True, f"stream error {exc.condition}" + (f" ({exc.text})" if exc.text else "")
    if exc.code in ("closed", "reset"):
        return True, f"the server hung up ({exc.code})"
    if exc.code in ("phase-timeout", "deadline"):
        return None, f"no answer ({exc.code})"
    return None, str(exc)


async def _try_plaintext_auth(xs: XmppStream, features: StreamFeatures) -> tuple[bool | None, str]:
    if not features.sasl_mechanisms and features.starttls_required:
        return True, "no SASL mechanism offered before TLS and STARTTLS required"
    mech, request = _auth_request(features.sasl_mechanisms)
    await xs.send(request)
    event = await xs.next_element("plaintext SASL attempt", time.monotonic() + xs.phase_timeout)
    ns, name = split_tag(event.element.tag)
    if ns == NS_SASL and name == "success":
        return False, f"SASL {mech} succeeded without TLS"
    if ns == NS_SASL and name == "challenge":
        return False, f"SASL {mech} went on (challenge) without TLS"
    if ns == NS_SASL and name == "failure":
        conditions = [split_tag(c.tag)[1] for c in event.element if split_tag(c.tag)[1] != "text"]
        condition = conditions[0] if conditions else "none"
        if condition in _REFUSING_SASL:
            return True, f"SASL {mech} failed with {condition}"
        if condition in _EVALUATING_SASL:
            return False, f"SASL {mech} credentials evaluated without TLS ({condition})"
        return None, f"SASL {mech} failed with {condition}"
    return None, f"unexpected answer {event.element.tag}"


def _dialback_requests(sender: str, domain: str) -> bytes:
    """A dialback key to verify, then a ``<db:verify/>`` the server answers from memory.

    A server handles a stream's elements in order, and refusing plaintext dialback needs no
    network: an answer to the verify request means the key request before it was taken
    without a refusal, so the wait for one can end there instead of at ``DIALBACK_WAIT``.
    """
    to, frm = quoteattr(domain), quoteattr(sender)
    return (
        f"<db:result from={frm} to={to}>{secrets.token_hex(20)}</db:result>"
        f"<db:verify from={frm} to={to} id={quoteattr(secrets.token_hex(8))}>"
        f"{secrets.token_hex(20)}</db:verify>"
    ).encode()


async def _try_plaintext_dialback(
    xs: XmppStream, domain: str, from_domain: str | None, *, tls_required: bool = False
) -> tuple[bool | None, str]:
    sender = from_domain or f"probe-{secrets.token_hex(6)}.invalid"
    sent = time.monotonic()
    await xs.send(_dialback_requests(sender, domain))
    # A server that requires TLS refuses at once; one that accepts starts verifying the key
    # (DNS, a connection back to the sender), which can take long: silence means it went on.
    end = sent + min(xs.phase_timeout, DIALBACK_WAIT)
    passed = False
    while True:
        try:
            event = await xs.next_element("plaintext dialback attempt", end)
        except ProbeError as exc:
            if exc.code == "phase-timeout":
                return _dialback_silence(time.monotonic() - sent, passed, tls_required)
            if passed and exc.code in ("closed", "reset"):
                # The key was taken without a refusal: this hang-up may be about the verify.
                return None, f"the server answered <db:verify/>, then hung up ({exc.code})"
            raise
        ns, name = split_tag(event.element.tag)
        if ns == NS_DB and name == "verify" and not passed:
            condition = _dialback_condition(event.element)
            if condition in _REFUSING_DIALBACK:
                # Not the answer from memory that clears the key: a refusal of its own.
                return True, f"the server answered <db:verify/> with {condition} before TLS"
            passed = True
            end = min(end, time.monotonic() + _after_verify(time.monotonic() - sent))
            continue
        if ns == NS_DB and name == "result":
            kind = event.element.get("type", "none")
            return _dialback_verdict(kind, _dialback_condition(event.element), tls_required)
        if name == "failure":
            return True, f"the server answered dialback with <failure/> ({ns})"
        return None, f"unexpected answer {event.element.tag}"


# XEP-0220 section 2.4 gives <policy-violation/> one meaning: TLS is required before dialback.
_REFUSING_DIALBACK = frozenset({"policy-violation"})
# Errors that tell nothing about the key or TLS: a domain not served, a request or sender
# turned down, a busy or broken server. <not-authorized/> (XEP-0220: a certificate or other
# proof wanted) is used loosely for a bad key too, so it proves neither a refusal nor a check.
_NEUTRAL_DIALBACK = frozenset(
    {
        "bad-request",
        "improper-addressing",
        "internal-server-error",
        "item-not-found",
        "not-allowed",
        "not-authorized",
        "resource-constraint",
    }
)


def _dialback_condition(element: ET.Element) -> str:
    """The stanza error condition of a ``type='error'`` dialback element, or ``""``."""
    for error in element:
        if split_tag(error.tag)[1] == "error":
            for child in error:
                if (name := split_tag(child.tag)[1]) != "text":
                    return name
    return ""


def _dialback_verdict(kind: str, condition: str, tls_required: bool) -> tuple[bool | None, str]:
    """What a ``<db:result type=kind/>`` answering the plaintext key tells about TLS."""
    answer = f"result type {kind}" + (f", {condition}" if condition else "")
    if kind == "valid":
        return False, f"dialback accepted without TLS ({answer})"
    if condition in _REFUSING_DIALBACK:
        return True, f"dialback refused before TLS ({answer})"
    if condition in _NEUTRAL_DIALBACK:
        return None, f"dialback failed ({answer}), which says nothing about TLS"
    if tls_required:
        # The key was checked and failed (our sender cannot be dialled back), which says
        # nothing more than silence does: see _dialback_silence.
        return None, (
            f"the server checked the dialback key and it failed ({answer}), but it requires"
            " TLS and may refuse only once dialback succeeds"
        )
    return False, f"dialback key evaluated without TLS ({answer})"


def _after_verify(round_trip: float) -> float:
    """How long a refusal may still follow the answer to ``<db:verify/>``.

    A multi-threaded server may send a refusal decided at the same time as that answer; two
    of the round trips just seen, and never less than ``VERIFY_GRACE``, cover that race.
    """
    return max(VERIFY_GRACE, 2 * round_trip)


def _dialback_silence(waited: float, passed: bool, tls_required: bool) -> tuple[bool | None, str]:
    how = (
        "it answered the <db:verify/> sent after the key and did not refuse"
        if passed
        else f"no refusal within {waited:.1f} s"
    )
    if tls_required:
        # Prosody with s2s_require_encryption verifies a plaintext key all the same and
        # refuses only once dialback succeeds: silence after <required/> proves nothing.
        return None, (
            f"{how}: the server is verifying dialback, but it requires TLS and may refuse"
            " only once dialback succeeds"
        )
    return False, f"{how}: the server went on verifying dialback"

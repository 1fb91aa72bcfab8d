"""The findings of one endpoint: caps (the best grade it may get), warnings, what A+ lacks.

No score outweighs a cap; a warning turns A into A-; every item of ``plus_missing`` keeps A
from A+. docs/grading.md lists them all for operators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.xmpp.encryption.plugins.module_utils._grading.facts import (
    DnsEvidence,
    Facts,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.result import (
    FIX_CERT,
    FIX_CIPHERS,
    FIX_PROTOCOL,
    Finding,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._grading.scores import (
    certificate_rsa_equivalent,
)
from ansible_collections.xmpp.encryption.plugins.module_utils._tls.registry import CipherSuite

OLD_TLS = ("TLSv1.0", "TLSv1.1")
WEAK_BLOCK_CIPHERS = frozenset({"DES", "DES40", "3DES", "IDEA", "RC2"})  # 64-bit blocks


def _names(suites: Iterable[CipherSuite], limit: int = 4) -> str:
    names = [s.name for s in suites]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _finding(code: str, cap: str | None, reason: str, fix: str) -> Finding:
    return Finding(code=code, reason=reason, fix=fix, cap=cap)


def _protocol_caps(f: Facts) -> list[Finding]:
    out: list[Finding] = []
    v = f.versions
    if not f.tls_probed:
        out.append(
            _finding(
                "tls-not-probed",
                "F",
                "The TLS configuration was not probed, so nothing shows that it is sound.",
                "Run tls_info with its TLS checks (versions, suites, groups).",
            )
        )
        return out
    if not v:
        out.append(
            _finding(
                "no-tls",
                "F",
                "No TLS version could be negotiated: the endpoint offers no encryption a "
                "client can use.",
                FIX_PROTOCOL,
            )
        )
        return out
    if "SSLv2" in v:
        out.append(
            _finding("sslv2", "F", "SSLv2 is accepted; it is broken beyond repair.", FIX_PROTOCOL)
        )
    if v[-1] in ("SSLv2", "SSLv3"):
        out.append(
            _finding(
                "sslv3-only",
                "F",
                "The best protocol offered is SSLv3 or older (POODLE); no TLS at all.",
                FIX_PROTOCOL,
            )
        )
    elif "SSLv3" in v:
        out.append(
            _finding(
                "sslv3",
                "B",
                "SSLv3 is still accepted (POODLE, no modern ciphers).",
                FIX_PROTOCOL,
            )
        )
    if not {"TLSv1.2", "TLSv1.3"} & set(v):
        out.append(
            _finding(
                "no-tls12",
                "C",
                "Neither TLS 1.2 nor TLS 1.3 is offered: no AEAD suites, old hash constructions.",
                FIX_PROTOCOL,
            )
        )
    if f.downgrade:
        out.append(
            _finding(
                "tls-downgrade",
                "B",
                "A ServerHello chose a lower version than offered and carried the RFC 8446 "
                "downgrade sentinel: something in front of the server forces the version down, "
                "and TLS 1.3 clients abort such handshakes.",
                "Find what answers in front of the server (a TLS proxy or load balancer with an "
                "older TLS than the server behind it, a middlebox that rewrites hellos) and let "
                "TLS 1.3 through end to end.",
            )
        )
    return out


def _cipher_caps(f: Facts) -> list[Finding]:
    out: list[Finding] = []
    null = [s for s in f.suites if s.cipher == "NULL"]
    anon = [s for s in f.suites if s.anonymous]
    export = [s for s in f.suites if s.export]
    rc4 = [s for s in f.suites if s.cipher.startswith("RC4")]
    if null:
        out.append(
            _finding(
                "null-cipher",
                "F",
                f"Suites without encryption are accepted ({_names(null)}): traffic can flow "
                "in clear inside 'TLS'.",
                FIX_CIPHERS,
            )
        )
    if anon:
        out.append(
            _finding(
                "anonymous-suite",
                "F",
                f"Anonymous suites are accepted ({_names(anon)}): no certificate is checked, "
                "so anyone in the path can intercept.",
                FIX_CIPHERS,
            )
        )
    if export:
        out.append(
            _finding(
                "export-suite",
                "F",
                f"Export-grade suites are accepted ({_names(export)}): 40/56-bit keys, "
                "broken in minutes (FREAK, Logjam).",
                FIX_CIPHERS,
            )
        )
    if rc4:
        out.append(
            _finding(
                "rc4",
                "C",
                f"RC4 is accepted ({_names(rc4)}); its biases leak plaintext (RFC 7465 "
                "forbids it).",
                FIX_CIPHERS,
            )
        )
    if f.suites and not f.has_forward_secrecy:
        out.append(
            _finding(
                "no-forward-secrecy",
                "B",
                "No suite gives forward secrecy: whoever obtains the server's key later can "
                "decrypt every recorded session.",
                FIX_CIPHERS,
            )
        )
    if f.compression:
        out.append(
            _finding(
                "compression",
                "C",
                "TLS compression is on (CRIME): secrets in the stream can be recovered.",
                "Set ssl = { options = { no_compression = true } } (Prosody's default) and "
                "use a current OpenSSL, which has no TLS compression.",
            )
        )
    if f.min_dh_bits is not None and f.min_dh_bits < 2048:
        out.append(
            _finding(
                "dh-under-2048",
                "B",
                f"A finite-field DH group of only {f.min_dh_bits} bits is used (Logjam).",
                'Set ssl = { dhparam = "/etc/prosody/dh-2048.pem" } with a 2048-bit or '
                "larger group, or offer only ECDHE suites: " + FIX_CIPHERS,
            )
        )
    return out


def _certificate_caps(f: Facts) -> list[Finding]:
    out: list[Finding] = []
    cert = f.certificate
    if not cert:
        return out
    key_type = str(cert.get("key_type") or "")
    bits = certificate_rsa_equivalent(cert)
    if bits is not None and bits < 1024:
        out.append(
            _finding(
                "key-under-1024",
                "F",
                f"The certificate's {key_type} key has the strength of only {bits} RSA bits.",
                FIX_CERT,
            )
        )
    elif bits is not None and bits < 2048:
        out.append(
            _finding(
                "key-under-2048",
                "B",
                f"The certificate's {key_type} key has the strength of only {bits} RSA bits "
                "(2048 is the minimum).",
                FIX_CERT,
            )
        )
    sig = str(cert.get("signature_algorithm") or "").lower()
    if "md5" in sig:
        out.append(
            _finding(
                "md5-signature",
                "F",
                f"The certificate is signed with MD5 ({cert.get('signature_algorithm')}); "
                "such signatures can be forged.",
                FIX_CERT,
            )
        )
    days = cert.get("days_left")
    if isinstance(days, int) and days < 0:
        out.append(
            _finding(
                "certificate-expired",
                "F",
                f"The certificate expired {-days} day(s) ago (not after {cert.get('not_after')}).",
                "Renew the certificate now through the collection's certificate role, and "
                "check that its scheduled renewal runs.",
            )
        )
    # Trust and identity: T in place of an A, F otherwise (decided in grade_endpoint).
    if cert.get("trusted") is False:
        error = cert.get("trust_error") or "the chain does not lead to a trusted root"
        out.append(
            _finding(
                "certificate-untrusted",
                "T",
                f"The certificate is not trusted: {error}. Clients and peers cannot tell "
                "this server from an attacker.",
                "Use a certificate from a CA that clients trust (the certificate role can "
                "obtain one over ACME) and serve the full chain.",
            )
        )
    if cert.get("name_matches") is False:
        out.append(
            _finding(
                "name-mismatch",
                "T",
                "The certificate does not cover the XMPP domain "
                f"(SAN DNS: {', '.join(cert.get('san_dns') or []) or 'none'}); RFC 9525 "
                "allows no fallback to the subject CN.",
                "Add the domain (and every VirtualHost and Component) to the certificate "
                "through the certificate role.",
            )
        )
    return out


def warnings_of(f: Facts, renew_days: int) -> list[Finding]:
    """Findings that cost A its plus (A-) but cap nothing."""
    out: list[Finding] = []
    old = [v for v in OLD_TLS if v in f.versions]
    if old:
        out.append(
            _finding(
                "old-tls",
                None,
                f"{' and '.join(old)} are still accepted; RFC 8996 deprecates them.",
                FIX_PROTOCOL,
            )
        )
    weak = [s for s in f.suites if s.cipher.split("_")[0] in WEAK_BLOCK_CIPHERS]
    if weak:
        out.append(
            _finding(
                "weak-block-cipher",
                None,
                f"64-bit block ciphers are accepted ({_names(weak)}): long sessions leak "
                "plaintext (Sweet32).",
                FIX_CIPHERS,
            )
        )
    if f.suites and f.has_forward_secrecy and not f.all_forward_secret:
        out.append(
            _finding(
                "partial-forward-secrecy",
                None,
                f"Some suites lack forward secrecy ({_names(f.non_fs_suites)}): a client "
                "that picks one can have its sessions decrypted later with the server's key.",
                FIX_CIPHERS,
            )
        )
    if f.missing:
        out.append(
            _finding(
                "incomplete-probe",
                None,
                "The probe did not establish " + "; ".join(f.missing) + ", so the grade "
                "rests on part of the evidence.",
                "Probe again with all checks; if connections were lost, lower the probe's "
                "concurrency or raise its timeout.",
            )
        )
    if f.unknown_suites:
        out.append(
            _finding(
                "unknown-suite",
                None,
                "Suites this grading does not know were accepted and were not scored: "
                + ", ".join(f.unknown_suites[:4]),
                FIX_CIPHERS,
            )
        )
    cert = f.certificate
    days = cert.get("days_left")
    if isinstance(days, int) and 0 <= days <= renew_days:
        out.append(
            _finding(
                "certificate-expiring",
                None,
                f"The certificate expires in {days} day(s) (not after {cert.get('not_after')}),"
                f" inside the {renew_days}-day renewal window.",
                "Renew it through the collection's certificate role and check that its "
                "scheduled renewal runs.",
            )
        )
    if "sha1" in str(cert.get("signature_algorithm") or "").lower():
        out.append(
            _finding(
                "sha1-signature",
                None,
                "The certificate is signed with SHA-1, which clients no longer accept.",
                FIX_CERT,
            )
        )
    if cert and f.stream == "s2s" and cert.get("eku_client_auth") is False:
        out.append(
            _finding(
                "s2s-no-client-auth",
                None,
                "The certificate lacks the clientAuth extended key usage. When this server "
                "connects out, peers cannot authenticate it by certificate (SASL EXTERNAL, "
                "XEP-0178): they fall back to dialback or, with s2s_secure_auth = true, "
                "refuse the connection.",
                "Issue a certificate with both serverAuth and clientAuth usages through the "
                "certificate role (some public CAs have stopped adding clientAuth; use one "
                "that still does, or keep dialback for peers).",
            )
        )
    if cert and (cert.get("trusted") is None or cert.get("name_matches") is None):
        out.append(
            _finding(
                "trust-unknown",
                None,
                "Whether the certificate is trusted and names the domain was not checked.",
                "Probe again with the trust store the clients use.",
            )
        )
    return out


def plus_missing_of(
    f: Facts, dns: DnsEvidence | None, warnings: Sequence[Finding]
) -> list[Finding]:
    """Why an A is not an A+ (the caller drops the list when the grade is A+)."""
    out: list[Finding] = []
    if warnings:
        out.append(
            _finding("warnings", None, "There are warnings (see warnings).", "Fix each warning.")
        )
    if "TLSv1.3" not in f.versions:
        out.append(_finding("no-tls13", None, "TLS 1.3 is not offered.", FIX_PROTOCOL))
    if any(v in f.versions for v in ("SSLv2", "SSLv3", *OLD_TLS)):
        out.append(
            _finding(
                "tls-below-1.2", None, "A version older than TLS 1.2 is offered.", FIX_PROTOCOL
            )
        )
    if not f.all_forward_secret:
        out.append(
            _finding(
                "not-all-forward-secret", None, "Not every suite is forward-secret.", FIX_CIPHERS
            )
        )
    if dns is None or not dns.srv_secure:
        out.append(
            _finding(
                "srv-not-secure",
                None,
                "The SRV records were not shown to be DNSSEC-signed and validated.",
                "Sign the zone with DNSSEC and publish the DS record at the parent.",
            )
        )
    if dns is None or not dns.tlsa_matched:
        out.append(
            _finding(
                "no-dane",
                None,
                "No DNSSEC-validated TLSA record matched the certificate (DANE, RFC 7673).",
                "Publish a TLSA 3 1 1 record for each SRV target through the certificate "
                "role, in a DNSSEC-signed zone.",
            )
        )
    return out


def caps_of(f: Facts) -> list[Finding]:
    """Every cap of a probed endpoint: plaintext, STARTTLS injection, protocol, suites, cert."""
    caps = [_finding(c, "F", r, x) for c, r, x in f.plaintext_findings()]
    if f.starttls_injection:
        caps.append(
            _finding(
                "starttls-injection",
                "F",
                "The server sent data after <proceed/> before the TLS handshake (STARTTLS "
                "injection): an attacker can slip commands into the encrypted session.",
                "Upgrade the XMPP server, and remove any proxy or load balancer that buffers "
                "plaintext across STARTTLS.",
            )
        )
    return caps + _protocol_caps(f) + _cipher_caps(f) + _certificate_caps(f)


def unreachable_cap(error: Mapping[str, Any]) -> Finding:
    """The one cap of an endpoint that could not be probed."""
    code = error.get("code") or "error"
    message = error.get("message") or "the endpoint could not be probed"
    return _finding(
        "unreachable",
        "F",
        f"The endpoint could not be probed ({code}): {message}",
        "Check that the server runs and listens on this host and port, that the firewall "
        "lets the prober in, and that the SRV records point at it.",
    )


def no_endpoints_cap() -> Finding:
    """The one cap of a domain none of whose endpoints was probed."""
    return _finding(
        "no-endpoints",
        "F",
        "No endpoint of the domain was probed, so nothing shows that it is encrypted.",
        "Check the SRV records (_xmpp-client._tcp, _xmpp-server._tcp) and the probe's targets.",
    )

# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe options the tls_info and scan modules share.

Only options with the same meaning and default in both are here. ``max_connections`` is not:
it bounds one server in ``tls_info`` (default 5) and the whole run in ``scan`` (default 50;
its per-server bound is ``max_connections_per_server``).
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - Seconds one endpoint's whole probe may take; parts not done by then are reported as
        incomplete.
      - When many endpoints share a server, counted from when the server has room for this
        endpoint's connections.
    type: float
    default: 60
  connect_timeout:
    description:
      - Seconds one TCP connect may take.
    type: float
    default: 5
  ca_path:
    description:
      - A PEM bundle or a directory of PEM files with the CA certificates that the
        certificate check trusts. The system trust store when not given.
    type: path
  checks:
    description:
      - What to probe on each endpoint. C(features) reads the stream features and tries
        plaintext authentication or dialback (STARTTLS only); C(versions) the protocol
        versions and compression; C(suites) the cipher suites per version, server preference
        and forward secrecy; C(groups) the key-exchange groups and DHE sizes; C(certificate)
        the chain, its trust and its identity.
    type: list
    elements: str
    choices: [features, versions, suites, groups, certificate]
    default: [features, versions, suites, groups, certificate]
  pipelining:
    description:
      - Once a server has offered STARTTLS on a stream, open each further TLS scan connection
        to it with the stream header and C(<starttls/>) in one write, without waiting for the
        features (XEP-0305, XMPP Quickstart). That saves one round trip per scan connection;
        the server's header, features and C(<proceed/>) are still read and checked.
      - A server that answers a pipelined C(<starttls/>) with anything else (a stream error,
        C(<failure/>), a hang-up) is scanned the ordinary way from then on and the attempt is
        made again; the endpoint's C(problems) say so.
      - Only STARTTLS scan connections pipeline; the features probe always waits for the
        features.
    type: bool
    default: true
"""

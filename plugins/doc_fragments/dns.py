# Copyright: xmpp.encryption developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DNS lookup options the dns_info and tlsa_info modules share (scan names its own dns_*)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  nameservers:
    description:
      - Addresses of the DNS servers to ask, in turn. They may be recursive resolvers or the
        authoritative servers of every zone from the trust anchor down.
      - Without it, the nameservers of the system resolver configuration are used.
    type: list
    elements: str
  port:
    description:
      - The port of the DNS servers.
    type: int
    default: 53
  trust_anchor:
    description:
      - File with DS or DNSKEY records in zone-file syntax (for example the output of
        C(dig DNSKEY)) for any zone; validation starts from there.
      - Without it, the root zone's key-signing keys (key tags 20326 and 38696) are used.
    type: path
  timeout:
    description:
      - Seconds to wait for each try of a query; every query is tried three times, and all
        the lookups of one call end within 30 seconds.
    type: float
    default: 1.0
"""

"""The one exception base of the DNS package, for callers that catch what it raises."""

from __future__ import annotations


class DnsError(Exception):
    """A DNS lookup that cannot start (bad input) or got no usable answer."""

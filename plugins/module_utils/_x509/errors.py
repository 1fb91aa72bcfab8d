"""The one exception base of the certificate package, for callers that catch what it raises.

Every error of ``_x509`` is the caller's mistake (a bad trust store, key policy, TLSA input or
stream), never the server's: a certificate the server sent ends up in a report, not in an
exception. It stays a ``ValueError``, as bad input is.
"""

from __future__ import annotations


class X509Error(ValueError):
    """Input the certificate code cannot work with."""


class X509CheckError(X509Error):
    """A mistake of the caller (bad trust store path, unknown stream), not of the server.

    Defined here, not in ``check``, so that a prober can catch it without loading the
    certificate checks before it has a certificate to check.
    """

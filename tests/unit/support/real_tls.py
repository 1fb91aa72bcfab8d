"""A real TLS server (Python's ssl, so OpenSSL) on 127.0.0.1 with a small test PKI."""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from .tls_server import TlsFiles

# The suites the server accepts with TLS 1.2; few, so a full scan stays quick.
TLS12_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"


def server_context(pki: TlsFiles) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    ctx.load_cert_chain(pki.chain_file, pki.key_file)
    return ctx


def accepted_suites(ctx: ssl.SSLContext) -> dict[str, set[int]]:
    """What OpenSSL says this context accepts, per protocol, as IANA code points."""
    out: dict[str, set[int]] = {}
    for c in ctx.get_ciphers():
        out.setdefault(c["protocol"], set()).add(c["id"] & 0xFFFF)
    return out


class TlsServer:
    """``asyncio`` TLS server; ``completed`` counts handshakes that went all the way."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.ctx = ctx
        self.host = "127.0.0.1"
        self.port = 0
        self.completed = 0
        self._server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.completed += 1
        with contextlib.suppress(Exception):
            await reader.read(1)
        writer.close()

    async def __aenter__(self) -> TlsServer:
        loop = asyncio.get_running_loop()
        previous = loop.get_exception_handler()

        def quiet(lp: asyncio.AbstractEventLoop, context: dict) -> None:
            # A scan makes the server refuse many hellos: that is expected, not an error.
            if isinstance(context.get("exception"), (ssl.SSLError, OSError)):
                return
            if previous:
                previous(lp, context)
            else:
                lp.default_exception_handler(context)

        loop.set_exception_handler(quiet)
        self._server = await asyncio.start_server(
            self._serve, self.host, 0, ssl=self.ctx, ssl_handshake_timeout=5
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 1.0)

"""A loopback server that speaks raw bytes, for answers no HTTP server library would send: a
status line and headers dripped out slowly, an endless run of ``100 Continue``.

Each connection runs ``script(conn)`` once a request head has arrived (a script serving a
kept-alive connection reads the next one with :meth:`RawConnection.next_request`). It sends
through :meth:`RawConnection.send`, which returns False once the client has hung up, so a
script that would go on for a long time stops as soon as the client gives up; ``hung_up`` is
set then, and a test can wait for it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from types import TracebackType


class RawConnection:
    def __init__(self, sock: socket.socket, hung_up: threading.Event, heads: list[bytes]) -> None:
        self._sock = sock
        self._hung_up = hung_up
        self._heads = heads
        self._buffer = b""

    def next_request(self) -> bool:
        """Read the next request head (a body is not read); False when the client closed."""
        while b"\r\n\r\n" not in self._buffer:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                return False
            self._buffer += data
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        self._heads.append(head)
        return True

    def send(self, data: bytes) -> bool:
        """Send ``data``; False (and ``hung_up`` set) when the client has closed."""
        try:
            self._sock.sendall(data)
        except OSError:
            self._hung_up.set()
            return False
        return True


class RawServer:
    """A TCP server on 127.0.0.1 running ``script`` for every connection."""

    def __init__(
        self, script: Callable[[RawConnection], None], *, wait_for_request: bool = True
    ) -> None:
        """``wait_for_request=False``: run ``script`` as soon as a client connects (a TLS
        client sends no HTTP request head before its handshake)."""
        self._script = script
        self._wait_for_request = wait_for_request
        self.hung_up = threading.Event()
        self.requests: list[bytes] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while True:
            try:
                sock, _address = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            conn = RawConnection(sock, self.hung_up, self.requests)
            if not self._wait_for_request or conn.next_request():
                self._script(conn)

    def close(self) -> None:
        self._listener.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

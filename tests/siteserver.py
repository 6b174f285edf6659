"""A scripted web site on 127.0.0.1 for tests: the one real HTTP server every test suite uses.

``SiteServer`` is a threaded ``http.server`` on a free loopback port. Each path answers as
scripted with :meth:`SiteServer.route` (status, headers, gzip, redirects, delays, a trickled
body, a dropped connection, a sequence of answers), :meth:`SiteServer.route_huge` (a body
streamed without holding it), or from a folder of files (:meth:`SiteServer.serve_dir`), which
:meth:`SiteServer.deploy` switches to another folder (the new build) per path, after a delay on
the server's clock (injectable) or after a number of requests. Every request is recorded. Use
it as a context manager or through the ``site_server`` fixture.
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

import pytest

_CONTENT_TYPES = {
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".gz": "application/gzip",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


def _guess_content_type(path: str) -> str:
    suffix = Path(urlsplit(path).path).suffix.lower()
    return _CONTENT_TYPES.get(suffix, "text/plain; charset=utf-8")


@dataclass(frozen=True)
class Answer:
    """One scripted answer. ``route`` builds these; pass several as ``responses=[...]``."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0
    gzip_encoding: bool = False
    redirect_to: str | None = None
    drop: bool = False
    trickle: float = 0.0
    trickle_chunk: int = 1
    cut_after: int | None = None  # announce the full length, send this many bytes, hang up
    huge_size: int | None = None
    huge_chunk: bytes = b"<!-- x -->"
    header_lines: tuple[tuple[str, str], ...] = ()  # sent as they are, repeats kept


def answer(
    body: bytes | str = b"",
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
    delay: float = 0.0,
    gzip_encoding: bool = False,
    redirect_to: str | None = None,
    drop: bool = False,
    trickle: float = 0.0,
    trickle_chunk: int = 1,
    cut_after: int | None = None,
    header_lines: list[tuple[str, str]] | None = None,
) -> Answer:
    """An :class:`Answer` with the same arguments as :meth:`SiteServer.route`."""
    return Answer(
        body=body.encode("utf-8") if isinstance(body, str) else body,
        status=status,
        headers=dict(headers or {}),
        content_type=content_type,
        delay=delay,
        gzip_encoding=gzip_encoding,
        redirect_to=redirect_to,
        drop=drop,
        trickle=trickle,
        trickle_chunk=trickle_chunk,
        cut_after=cut_after,
        header_lines=tuple(header_lines or ()),
    )


def gzip_bomb(decoded_size: int, fill: bytes = b" ") -> bytes:
    """gzip bytes that inflate to ``decoded_size`` bytes of ``fill``, built without ever
    holding the inflated data (a 1 GiB bomb is about 1 MiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = fill * max(1, (1024 * 1024) // len(fill))
    parts: list[bytes] = []
    left = decoded_size
    while left > 0:
        piece = block[:left]
        parts.append(compressor.compress(piece))
        left -= len(piece)
    parts.append(compressor.flush())
    return b"".join(parts)


@dataclass
class RecordedRequest:
    """What the server received; ``sent`` counts the body bytes it managed to send back."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    time: float  # time.monotonic() when the request line arrived
    client_port: int = 0  # equal ports = one kept-alive connection
    sent: int = 0
    ended: float = 0.0  # time.monotonic() when the handler was done with it
    finished: bool = False

    def header(self, name: str) -> str:
        """The header's value (case-insensitive name), "" when absent."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return ""


@dataclass(frozen=True)
class _Deploy:
    """A switch to ``folder`` for ``paths`` (None: every path), from the time ``at`` on the
    server's clock, or once a path has been requested ``after_requests`` times."""

    folder: Path
    paths: frozenset[str] | None
    at: float | None
    after_requests: int | None

    def covers(self, path: str) -> bool:
        return self.paths is None or path in self.paths


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pooling is exercised

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._answer(send_body=True)

    def _answer(self, *, send_body: bool) -> None:
        site = self.server.site
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers=dict(self.headers.items()),
            body=body,
            time=time.monotonic(),
            client_port=int(self.client_address[1]),
        )
        site._record(record)
        try:
            self._play(site._next_answer(self.path), record, send_body=send_body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client hung up: what some tests want
        finally:
            record.ended = time.monotonic()
            record.finished = True

    def _play(self, scripted: Answer, record: RecordedRequest, *, send_body: bool) -> None:
        if scripted.delay:
            time.sleep(scripted.delay)
        if scripted.drop:
            self.close_connection = True
            return
        status = scripted.status
        headers = dict(scripted.headers)
        if scripted.redirect_to is not None:
            status = status if 300 <= status < 400 else 302
            headers.setdefault("Location", scripted.redirect_to)
        body = scripted.body
        if scripted.gzip_encoding:
            body = gzip.compress(body)
            headers.setdefault("Content-Encoding", "gzip")
        size = scripted.huge_size if scripted.huge_size is not None else len(body)
        content_type = scripted.content_type or _guess_content_type(record.path)
        named = {key.lower() for key in headers}
        chunked = headers.get("Transfer-Encoding", "").lower() == "chunked"
        # A header scripted as "" suppresses the default one (e.g. no Content-Length: the body
        # then ends when the connection closes, as with HTTP/1.0 servers).
        close_delimited = not chunked and headers.get("Content-Length") == ""
        self.send_response(status)
        if "content-type" not in named:
            self.send_header("Content-Type", content_type)
        if "content-length" not in named and not chunked:
            self.send_header("Content-Length", str(size))
        if close_delimited:
            self.send_header("Connection", "close")
            self.close_connection = True
        for key, value in headers.items():
            if value != "":
                self.send_header(key, value)
        for key, value in scripted.header_lines:
            self.send_header(key, value)
        self.end_headers()
        if not send_body:
            return
        limit = size if scripted.cut_after is None else min(scripted.cut_after, size)
        for chunk in self._chunks(scripted, body, limit):
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            record.sent += len(chunk)
            if scripted.trickle:
                self.wfile.flush()
                time.sleep(scripted.trickle)
        if scripted.cut_after is not None:
            self.wfile.flush()
            self.close_connection = True
            return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    @staticmethod
    def _chunks(scripted: Answer, body: bytes, limit: int) -> Iterator[bytes]:
        if scripted.huge_size is not None:
            block = scripted.huge_chunk * max(1, 65536 // len(scripted.huge_chunk))
            left = limit
            while left > 0:
                yield block[:left]
                left -= min(left, len(block))
            return
        step = max(1, scripted.trickle_chunk) if scripted.trickle else 65536
        for start in range(0, limit, step):
            yield body[start : min(start + step, limit)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: SiteServer

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up (too_large, timeouts) is routine here, not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


class SiteServer:
    """A real HTTP server on 127.0.0.1 (or ``bind="::1"``, IPv6 loopback) with scripted
    routes and a record of every request."""

    def __init__(
        self, bind: str = "127.0.0.1", *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.clock = clock  # what deploy(after_seconds=...) is measured on
        self._lock = threading.Lock()
        self._routes: dict[str, list[Answer]] = {}
        self._served: dict[str, int] = {}
        self._requests: list[RecordedRequest] = []
        self._folder: Path | None = None
        self._deploys: list[_Deploy] = []
        self._path_hits: dict[str, int] = {}
        self._server = (_Server6 if ":" in bind else _Server)((bind, 0), _Handler)
        self._server.site = self
        self.port: int = self._server.server_address[1]
        self.host = f"[{bind}]" if ":" in bind else bind
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # --- scripting ---

    def url(self, path: str, *, host: str | None = None) -> str:
        """Absolute URL of ``path``; ``host="localhost"`` gives the same server under another
        host name (for off-host redirect tests)."""
        return f"http://{host or self.host}:{self.port}/{path.lstrip('/')}"

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        gzip_encoding: bool = False,
        redirect_to: str | None = None,
        drop: bool = False,
        trickle: float = 0.0,
        trickle_chunk: int = 1,
        cut_after: int | None = None,
        responses: list[Answer] | None = None,
        header_lines: list[tuple[str, str]] | None = None,
    ) -> None:
        """Script ``path`` (matched without the query string, unless a route with the exact
        ``path?query`` exists). ``responses`` answers one request each, the last repeats;
        otherwise the other arguments describe the one answer. ``header_lines`` are sent after
        ``headers``, one line each (a header that comes several times)."""
        if responses is not None:
            if not responses:
                raise ValueError("responses must hold at least one Answer")
            script = list(responses)
        else:
            script = [
                answer(
                    body,
                    status=status,
                    headers=headers,
                    content_type=content_type,
                    delay=delay,
                    gzip_encoding=gzip_encoding,
                    redirect_to=redirect_to,
                    drop=drop,
                    trickle=trickle,
                    trickle_chunk=trickle_chunk,
                    cut_after=cut_after,
                    header_lines=header_lines,
                )
            ]
        with self._lock:
            self._routes[_route_key(path)] = script
            self._served[_route_key(path)] = 0

    def route_huge(
        self,
        path: str,
        size: int,
        chunk: bytes = b"<!-- x -->",
        *,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer ``path`` with ``size`` bytes of repeated ``chunk``, generated while sending.
        ``headers={"Content-Length": ""}`` sends it without a length (ends at close), and
        ``headers={"Transfer-Encoding": "chunked"}`` chunked."""
        script = [
            Answer(
                huge_size=size,
                huge_chunk=chunk,
                content_type=content_type,
                headers=dict(headers or {}),
            )
        ]
        with self._lock:
            self._routes[_route_key(path)] = script
            self._served[_route_key(path)] = 0

    def serve_dir(self, folder: Path) -> None:
        """Answer paths without a route from the files under ``folder`` (404 if absent)."""
        self._folder = folder.resolve()

    def deploy(
        self,
        folder: Path,
        *,
        paths: Iterable[str] | None = None,
        after_seconds: float | None = None,
        after_requests: int | None = None,
    ) -> None:
        """Switch paths without a route (only ``paths``, when given) from the folder served so
        far to ``folder``, the way a deploy replaces the old build with the new one: a path
        that only the old build has answers 404 after the switch. The switch happens
        ``after_seconds`` from now on the server's ``clock``, or once the path has been
        requested ``after_requests`` times (per path: the next request gets the new build),
        or at once when neither is given. A later deploy of the same path wins once due."""
        at = None if after_seconds is None else self.clock() + after_seconds
        shown = None if paths is None else frozenset(_route_key(p) for p in paths)
        with self._lock:
            self._deploys.append(_Deploy(folder.resolve(), shown, at, after_requests))

    # --- inspection ---

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def hits(self, path: str) -> int:
        """How many requests asked for ``path`` (query string ignored)."""
        wanted = urlsplit(path).path
        with self._lock:
            return sum(1 for request in self._requests if request.path == wanted)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every request received so far has been answered (or abandoned)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if all(request.finished for request in self.requests):
                return True
            time.sleep(0.01)
        return False

    # --- lifecycle ---

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- used by the handler ---

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _folder_for(self, path: str) -> Path | None:
        """The folder that answers ``path`` now (call with the lock held): the latest deploy
        covering it that is due, else the folder served from the start."""
        earlier = self._path_hits.get(path, 0)
        self._path_hits[path] = earlier + 1
        now = self.clock()
        for deploy in reversed(self._deploys):
            if not deploy.covers(path):
                continue
            due_by_time = deploy.at is not None and now >= deploy.at
            due_by_count = deploy.after_requests is not None and earlier >= deploy.after_requests
            if due_by_time or due_by_count or (deploy.at is None and deploy.after_requests is None):
                return deploy.folder
        return self._folder

    def _next_answer(self, target: str) -> Answer:
        parts = urlsplit(target)
        with self._lock:
            key = target if target in self._routes else parts.path
            script = self._routes.get(key)
            if script is not None:
                index = min(self._served[key], len(script) - 1)
                self._served[key] += 1
                return script[index]
            folder = self._folder_for(parts.path)
        if folder is not None:
            found = _file_under(folder, parts.path)
            if found is not None:  # typed by the file: /guide/ is guide/index.html
                return Answer(body=found.read_bytes(), content_type=_guess_content_type(found.name))
        return Answer(
            body=f"not found: {parts.path}\n".encode(),
            status=404,
            content_type="text/plain; charset=utf-8",
        )


def _route_key(path: str) -> str:
    return path if path.startswith("/") else f"/{path}"


def _file_under(folder: Path, path: str) -> Path | None:
    """The file ``path`` names under ``folder``; None if absent or outside it."""
    candidate = (folder / unquote(path).lstrip("/")).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_relative_to(folder) or not candidate.is_file():
        return None
    return candidate


@pytest.fixture
def site_server() -> Iterator[SiteServer]:
    """A fresh :class:`SiteServer` per test."""
    with SiteServer() as server:
        yield server

"""A strict local IndexNow endpoint for tests and benchmarks (real HTTP on 127.0.0.1).

It validates submissions the way the protocol documents them (Yandex's reference table of
answers) rather than the way a lenient engine might, so a client that passes against it sends
what every engine accepts:

- ``POST /indexnow`` with ``Content-Type: application/json; charset=utf-8`` and a JSON object
  ``{"host", "key", "keyLocation"?, "urlList"}``; ``GET /indexnow?url=&key=[&keyLocation=]``.
- 400 for a malformed request, 422 for a bad key format, an empty or oversized URL list, a URL
  (or keyLocation) not on ``host``, or a URL outside the key file's folder; 403 when the key
  file is missing or its body is not exactly the key.
- The key file is fetched from the site named by ``host`` (``http://{host}/{key}.txt``, since
  test sites are plain-http servers on 127.0.0.1) or from ``keyLocation``; by default only
  once per key file URL once it matched, like real engines (``cache_key_files=False`` fetches
  it on every request).

Tests script the next answers with :meth:`IndexNowServer.script` (429 with or without
``Retry-After``, 5xx, 202/203, ``403 SiteVerificationNotCompleted``, slow answers, dropped
connections) and inspect :attr:`IndexNowServer.accepted` (every URL accepted, in order) and
:attr:`IndexNowServer.requests` (every request with its status and URL count).
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest

MAX_URLS = 10_000
_KEY_RE = re.compile(r"[a-zA-Z0-9-]{8,128}")


@dataclass(frozen=True)
class Answer:
    """A forced answer for one upcoming request.

    ``status=None`` means "answer normally" (useful with ``delay``). A forced 2xx still
    validates the request and records its URLs as accepted (an engine that answers 202 or 203
    has received them); any other forced status is returned without looking at the request.
    ``drop=True`` closes the connection without answering. ``hold`` keeps the request
    waiting until the test sets the event (at most 60 s): a client stays mid-request for as
    long as a test needs, without a timed guess; ``arrived`` is set when the request comes in.
    """

    status: int | None = None
    body: str | bytes = ""  # bytes: sent as they are (e.g. not UTF-8)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    hold: threading.Event | None = None
    arrived: threading.Event | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received and how it answered."""

    method: str
    path: str
    status: int | None  # None when the connection was dropped
    count: int  # URLs in the request (0 when unreadable)
    host: str | None
    content_type: str
    body: str  # the answer's body
    accepted: int  # URLs recorded as accepted from this request
    user_agent: str = ""  # the request's User-Agent header


class _Rejected(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


# RFC 3986 section 3, written out on its own (not urllib's parser, not the client's rule):
# scheme "://" [userinfo "@"] host [":" port] [path] ["?" query] ["#" fragment].
_ABSOLUTE_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?:[^@/?#]*@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:@/?#\[\]]+)"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>/[^?#]*)?"
    r"(?:[?#].*)?",
    re.DOTALL,
)
# The IndexNow host field names a port only when it is not the scheme's default one.
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _url_host_and_path(url: str) -> tuple[str | None, str]:
    """(the IndexNow host field the URL belongs to, its path), or (None, "") when the URL is
    not an absolute http(s) URL."""
    match = _ABSOLUTE_URL.fullmatch(url)
    if match is None:
        return None, ""
    scheme = match["scheme"].lower()
    if scheme not in _DEFAULT_PORTS:
        return None, ""
    host = match["host"].lower()
    port = match["port"]
    if port is not None and not 0 <= int(port) <= 65535:
        return None, ""
    if port is not None and int(port) != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{int(port)}"
    return host, match["path"] or "/"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (killed mid-request, timed out) is routine here.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class IndexNowServer:
    """A strict IndexNow endpoint on 127.0.0.1; use as a context manager or the fixture."""

    def __init__(
        self,
        *,
        cache_key_files: bool = True,
        require_charset: bool = True,
        key_fetch_timeout: float = 5.0,
    ) -> None:
        self.cache_key_files = cache_key_files
        self.require_charset = require_charset
        self.key_fetch_timeout = key_fetch_timeout
        self.accepted: list[str] = []
        self.requests: list[RecordedRequest] = []
        self.key_fetches: list[str] = []
        self._script: list[Answer] = []
        self._verified: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> IndexNowServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> IndexNowServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests use -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def endpoint(self) -> str:
        """The submission URL: ``http://127.0.0.1:PORT/indexnow``."""
        return f"{self.base_url}/indexnow"

    def script(self, *answers: Answer) -> None:
        """Queue forced answers for the next ``len(answers)`` requests, in order."""
        with self._lock:
            self._script.extend(answers)

    def accepted_counts(self) -> Counter[str]:
        """How many times each URL was accepted (a correct client sends each once)."""
        with self._lock:
            return Counter(self.accepted)

    def statuses(self) -> list[int | None]:
        with self._lock:
            return [r.status for r in self.requests]

    # --- the protocol -------------------------------------------------------------------

    def _next_answer(self) -> Answer | None:
        with self._lock:
            return self._script.pop(0) if self._script else None

    def _record(self, request: RecordedRequest, urls: list[str]) -> None:
        with self._lock:
            self.requests.append(request)
            self.accepted.extend(urls)

    def _check_key_file(self, key: str, key_url: str) -> None:
        if self.cache_key_files and (key, key_url) in self._verified:
            return
        with self._lock:
            self.key_fetches.append(key_url)
        # A plain opener: no proxies from the environment, and redirects are followed like a
        # crawler would.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(key_url, timeout=self.key_fetch_timeout) as response:
                body = response.read(1 << 20)
        except urllib.error.HTTPError as exc:
            raise _Rejected(403, f"Key file not found (HTTP {exc.code})") from exc
        except (OSError, ValueError) as exc:
            raise _Rejected(403, "Key file could not be fetched") from exc
        if body != key.encode("ascii"):
            raise _Rejected(403, "Key not valid: key file does not match the key")
        if self.cache_key_files:
            with self._lock:
                self._verified.add((key, key_url))

    def validate(
        self, host: Any, key: Any, key_location: Any, url_list: Any
    ) -> tuple[str, list[str]]:
        """Check one submission; returns (host, urls) or raises _Rejected."""
        if not isinstance(host, str) or not host:
            raise _Rejected(400, "host is required")
        if not isinstance(key, str):
            raise _Rejected(400, "key is required")
        if not isinstance(url_list, list) or not all(isinstance(u, str) for u in url_list):
            raise _Rejected(400, "urlList must be an array of strings")
        if key_location is not None and not isinstance(key_location, str):
            raise _Rejected(400, "keyLocation must be a string")
        if not _KEY_RE.fullmatch(key):
            raise _Rejected(422, "Key must consist of a-Z0-9 or '-'")
        if not url_list:
            raise _Rejected(422, "Url list cannot be empty")
        if len(url_list) > MAX_URLS:
            raise _Rejected(422, f"No more than {MAX_URLS} urls allowed")
        host = host.lower()
        if key_location:
            kl_host, kl_path = _url_host_and_path(key_location)
            if kl_host != host:
                raise _Rejected(422, "keyLocation is not on host")
            folder = kl_path[: kl_path.rfind("/") + 1]
            key_url = key_location
        else:
            folder = "/"
            key_url = f"http://{host}/{key}.txt"
        # Fast path by string prefix; anything unusual (case, explicit default port, query
        # right after the host) is decided by a full parse, so the check stays exact.
        prefixes = (f"http://{host}{folder}", f"https://{host}{folder}")
        for url in url_list:
            if url.startswith(prefixes):
                continue
            url_host, path = _url_host_and_path(url)
            if url_host != host:
                raise _Rejected(422, f"Url {url} does not belong to host {host}")
            if not path.startswith(folder):
                raise _Rejected(422, f"Url {url} is outside the key location folder {folder}")
        self._check_key_file(key, key_url)
        return host, url_list

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def _answer(self, status: int, body: str | bytes, headers: dict[str, str]) -> None:
                data = body if isinstance(body, bytes) else body.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up first (its timeout)

            def _handle(self, method: str) -> None:
                parts = urllib.parse.urlsplit(self.path)
                content_type = self.headers.get("Content-Type", "")
                agent = self.headers.get("User-Agent", "")
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                forced = server._next_answer()
                if forced is not None and forced.arrived is not None:
                    forced.arrived.set()
                if forced is not None and forced.delay:
                    time.sleep(forced.delay)
                if forced is not None and forced.hold is not None:
                    forced.hold.wait(timeout=60)
                if forced is not None and forced.drop:
                    server._record(
                        RecordedRequest(
                            method, parts.path, None, 0, None, content_type, "", 0, agent
                        ),
                        [],
                    )
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, body, headers, host, urls, count = self._process(
                    method, parts, content_type, raw, forced
                )
                shown = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
                server._record(
                    RecordedRequest(
                        method,
                        parts.path,
                        status,
                        count,
                        host,
                        content_type,
                        shown,
                        len(urls),
                        agent,
                    ),
                    urls,
                )
                self._answer(status, body, headers)

            def _process(
                self,
                method: str,
                parts: urllib.parse.SplitResult,
                content_type: str,
                raw: bytes,
                forced: Answer | None,
            ) -> tuple[int, str | bytes, dict[str, str], str | None, list[str], int]:
                """(status, body, headers, host, accepted urls, url count)."""
                count = 0
                host: str | None = None
                if forced is not None and forced.status is not None and forced.status // 100 != 2:
                    return forced.status, forced.body, forced.headers, None, [], 0
                try:
                    if parts.path != "/indexnow":
                        raise _Rejected(404, "Not found")
                    if method == "GET":
                        query = urllib.parse.parse_qs(parts.query)
                        urls = query.get("url", [])
                        count = len(urls)
                        if len(urls) != 1 or len(query.get("key", [])) != 1:
                            raise _Rejected(400, "url and key are required")
                        host, _ = _url_host_and_path(urls[0])
                        key_location = query.get("keyLocation", [None])[0]
                        host, urls = server.validate(host, query["key"][0], key_location, urls)
                    else:
                        media, _, params = content_type.partition(";")
                        if media.strip().lower() != "application/json":
                            raise _Rejected(400, "Content-Type must be application/json")
                        charset = params.strip().lower().replace(" ", "")
                        if server.require_charset and charset != "charset=utf-8":
                            raise _Rejected(400, "Content-Type charset must be utf-8")
                        try:
                            data = json.loads(raw.decode("utf-8"))
                        except (UnicodeDecodeError, ValueError) as exc:
                            raise _Rejected(400, "Invalid JSON") from exc
                        if not isinstance(data, dict):
                            raise _Rejected(400, "Request body must be a JSON object")
                        url_list = data.get("urlList")
                        count = len(url_list) if isinstance(url_list, list) else 0
                        host, urls = server.validate(
                            data.get("host"), data.get("key"), data.get("keyLocation"), url_list
                        )
                except _Rejected as exc:
                    return exc.status, exc.body, {}, host, [], count
                if forced is not None and forced.status is not None:
                    return forced.status, forced.body, forced.headers, host, urls, count
                return 200, "", {}, host, urls, count

        return Handler


@pytest.fixture
def indexnow_server() -> Iterator[IndexNowServer]:
    """A fresh strict IndexNow endpoint for one test."""
    with IndexNowServer() as server:
        yield server

"""Every HTTP request indexnow-sync makes: one pooled session, timeouts, size caps, redirects.

The only module that imports ``requests``. It owns the transport rules of SPEC.md "Limits and
safety": a wall-clock deadline on each request (connect, status line, headers, interim ``1xx``
answers *and* body: see :class:`_Watchdog`), a cap on the decoded body size (also for
gzip/deflate bombs), redirects followed only within the site's host, TLS verification always on.
Every HTTP status is returned to the caller; only transport failures raise, as
:class:`~indexnow_sync.errors.FetchError` with a stable ``reason``.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import io
import itertools
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from indexnow_sync import __version__
from indexnow_sync.errors import FetchError
from indexnow_sync.urls import host_key, same_host

DEFAULT_TIMEOUT = 20.0  # seconds, connect and read
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
POST_RESPONSE_MAX_BYTES = 1024 * 1024
USER_AGENT = f"indexnow-sync/{__version__} (+https://github.com/indexnow-sync/indexnow-sync)"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READ_SIZE = 64 * 1024
# Children of a sitemap index are fetched by ~8 threads through one client.
_POOL_MAXSIZE = 10
# Only encodings we decode ourselves (with a size bound) may be offered to servers.
_ACCEPT_ENCODING = "gzip, deflate"


@dataclass(frozen=True)
class HttpResponse:
    """One answered request: any status, the decoded body (at most the size cap)."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float

    def header(self, name: str) -> str:
        """The header's value (case-insensitive name), "" when absent."""
        return self.headers.get(name, "") or ""

    @property
    def content_type(self) -> str:
        """Lower-case media type without parameters (``text/html``), "" if none."""
        return self.header("Content-Type").split(";", 1)[0].strip().lower()


class _Session(requests.Session):
    """A session that reads the environment's proxy settings once per origin.

    requests re-reads them (``*_proxy``, ``no_proxy``: a walk over ``os.environ``) on every
    request; on a CI runner's environment that costs about 1.4 ms per request, the largest
    cost of checking 10,000 pages. The environment does not change during a run, and the
    answer depends only on the URL's scheme and host, so it is kept per origin."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[object, ...], Any] = {}
        self._environment_lock = threading.Lock()

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if proxies:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(str(url))
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        with self._environment_lock:
            settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            with self._environment_lock:
                self._environment[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}

    def get_redirect_target(self, resp: Any) -> None:
        """None: requests never follows a redirect here (:class:`WebClient` does, within the
        host), and must not parse a Location either: it would raise ``ValueError`` for one
        that is no URL (``http://[::1``) before the answer reaches us."""
        return None


@dataclass(frozen=True)
class StreamedResponse:
    """An answered GET whose body has not been read yet (see :meth:`WebClient.stream`)."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: Iterator[bytes]  # decoded pieces as they arrive; raises FetchError

    @property
    def content_type(self) -> str:
        """Lower-case media type without parameters (``text/html``), "" if none."""
        return (self.headers.get("Content-Type", "") or "").split(";", 1)[0].strip().lower()


class WebClient:
    """A thread-safe HTTP client; ``get`` may be called from several threads at once."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        pool_maxsize: int = _POOL_MAXSIZE,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._session = _Session()
        self._session.verify = True
        self._session.headers.update(
            {"User-Agent": user_agent, "Accept": "*/*", "Accept-Encoding": _ACCEPT_ENCODING}
        )
        # max_retries=0: retrying is a decision of the caller (indexnow.py has its own policy).
        # pool_maxsize: page checks run up to --check-concurrency requests at once.
        adapter = _DeadlineAdapter(
            pool_connections=4, pool_maxsize=max(pool_maxsize, _POOL_MAXSIZE), max_retries=0
        )
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def get(
        self,
        url: str,
        *,
        same_host_as: str | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> HttpResponse:
        """GET ``url``, following redirects only to the host of ``same_host_as`` (default: of
        ``url``). ``timeout`` bounds the whole exchange, redirects and body included."""
        _check_url(url)
        limit = self.timeout if timeout is None else timeout
        cap = self.max_bytes if max_bytes is None else max_bytes
        start = time.monotonic()
        deadline = start + limit
        response, final_url = self._open(url, same_host_as, deadline, limit)
        try:
            body = _read_body(response, url, cap, deadline, limit, truncate=False)
            return HttpResponse(
                url=url,
                final_url=final_url,
                status=response.status_code,
                headers=CaseInsensitiveDict(response.headers),
                body=body,
                elapsed=time.monotonic() - start,
            )
        finally:
            response.close()

    @contextmanager
    def stream(
        self,
        url: str,
        *,
        same_host_as: str | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Iterator[StreamedResponse]:
        """GET ``url`` like :meth:`get`, but hand over the answer as soon as its headers are
        in: the body is read piece by piece, as it arrives, by iterating
        :meth:`StreamedResponse.body` (so nothing holds the whole body). The same size cap
        and decoding apply; ``timeout`` bounds the time spent waiting for the server (the
        time the caller spends on each piece does not count)."""
        _check_url(url)
        limit = self.timeout if timeout is None else timeout
        cap = self.max_bytes if max_bytes is None else max_bytes
        deadline = time.monotonic() + limit
        response, final_url = self._open(url, same_host_as, deadline, limit)
        try:
            yield StreamedResponse(
                url=url,
                final_url=final_url,
                status=response.status_code,
                headers=CaseInsensitiveDict(response.headers),
                body=_body_pieces(response, url, cap, deadline, limit, truncate=False),
            )
        finally:
            response.close()

    def _open(
        self, url: str, same_host_as: str | None, deadline: float, limit: float
    ) -> tuple[requests.Response, str]:
        """The answer to a GET of ``url`` (body unread) and the URL it came from, following
        redirects only to the host of ``same_host_as`` (default: of ``url``)."""
        anchor = url if same_host_as is None else same_host_as
        current = url
        for _ in range(self.max_redirects + 1):
            response = self._send("GET", current, url, deadline, limit)
            location = response.headers.get("Location")
            target = _redirect_target(current, location)
            if response.status_code not in _REDIRECT_STATUSES or target is None:
                return response, current  # no redirect, or none that can be followed
            response.close()
            if not same_host(target, anchor):
                raise FetchError(
                    url, "redirect_off_host", _off_host(url, current, target), target=target
                )
            current = target
        raise FetchError(
            url,
            "too_many_redirects",
            f"{url}: more than {self.max_redirects} redirects (the last one to {current}); "
            "fix the redirect chain on the site, or use the final URL",
        )

    def post_json(self, url: str, body: bytes, *, timeout: float | None = None) -> HttpResponse:
        """POST a JSON body. Redirects are returned as they are, not followed; the response
        body is read up to 1 MiB (enough for any endpoint's explanation) and cut there, and a
        body that fails to decode is cut too: the status is the answer, the body only text."""
        _check_url(url)
        limit = self.timeout if timeout is None else timeout
        start = time.monotonic()
        deadline = start + limit
        response = self._send(
            "POST",
            url,
            url,
            deadline,
            limit,
            body=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            answer = _read_body(
                response, url, POST_RESPONSE_MAX_BYTES, deadline, limit, truncate=True
            )
            return HttpResponse(
                url=url,
                final_url=url,
                status=response.status_code,
                headers=CaseInsensitiveDict(response.headers),
                body=answer,
                elapsed=time.monotonic() - start,
            )
        finally:
            response.close()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> WebClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(
        self,
        method: str,
        target: str,
        url: str,
        deadline: float,
        limit: float,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(url, "timeout", _timeout_message(url, limit))
        # Until the headers are in, only the watchdog can end the exchange at the deadline:
        # the socket timeout below bounds each read, and a server can keep every read short.
        exchange = _Exchange()
        _WATCHDOG.arm(deadline, exchange)
        _current.exchange = exchange
        try:
            response = self._session.request(
                method,
                target,
                data=body,
                headers=headers,
                timeout=(remaining, remaining),
                allow_redirects=False,
                stream=True,
            )
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if exchange.finish():
                raise FetchError(url, "timeout", _timeout_message(url, limit)) from exc
            raise _transport_error(url, exc, limit) from exc
        finally:
            _current.exchange = None
        if exchange.finish():
            response.close()
            raise FetchError(url, "timeout", _timeout_message(url, limit))
        return response


# --- the deadline until the headers are in --------------------------------------------------


class _Exchange:
    """One request's sockets while it waits for the headers, so the watchdog can end it.

    Each socket is watched through a duplicate of its descriptor: the duplicate stays valid
    whatever the connection does meanwhile (TLS wraps the socket and detaches the original
    object; a closed descriptor may be reused by another request), and shutting it down ends
    the TCP connection under every reader, plain or TLS. The duplicates are closed when the
    exchange finishes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._done = False

    def watch(self, sock: socket.socket) -> None:
        try:
            twin = socket.fromfd(sock.fileno(), sock.family, sock.type, sock.proto)
        except (OSError, ValueError):
            return  # already closed: nothing left to wait on
        with self._lock:
            if not self._done and not self._expired:
                self._sockets.append(twin)
                return
            expired = self._expired and not self._done
        if expired:
            _halt(twin)
        twin.close()

    def expire(self) -> None:
        """The deadline has passed: end every watched connection."""
        with self._lock:
            if self._done:
                return
            self._expired = True
            sockets = list(self._sockets)
        for twin in sockets:
            _halt(twin)

    def finish(self) -> bool:
        """The exchange is over (headers in, or failed); True when the deadline ended it."""
        with self._lock:
            self._done = True
            sockets, self._sockets = self._sockets, []
            expired = self._expired
        for twin in sockets:
            twin.close()
        return expired


def _halt(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # the connection may be gone already
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that ends, at its deadline, every exchange still waiting on a server.

    Socket timeouts bound each read, not the whole: a server that sends its headers a line at
    a time, or an endless run of ``100 Continue`` answers, never lets one expire. Shutting the
    connection down at the deadline makes the blocked read return at once, and the request
    fails as a timeout. Exchanges that finished in time stay in the heap (holding nothing)
    until their deadline passes."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, _Exchange]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, exchange: _Exchange) -> None:
        with self._condition:
            heapq.heappush(self._heap, (deadline, next(self._order), exchange))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="indexnow-sync-deadline", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._heap:
                    self._condition.wait()
                deadline = self._heap[0][0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                exchange = heapq.heappop(self._heap)[2]
            exchange.expire()


_WATCHDOG = _Watchdog()
_current = threading.local()  # .exchange: the calling thread's request, while it is sent


def _watch(sock: socket.socket) -> None:
    exchange: _Exchange | None = getattr(_current, "exchange", None)
    if exchange is not None:
        exchange.watch(sock)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    """A connection whose socket the calling request's deadline watches: a new one from the
    moment it is connected (the TLS handshake included), a reused one when it sends."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:
            _watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, urllib3.connection.HTTPSConnection):
    """:class:`_WatchedHTTPConnection` for https (its methods run around the TLS ones)."""


class _HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connections the request deadline can end (direct and through
    an HTTP proxy; a SOCKS proxy keeps the per-read timeout only)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:
            manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager


# --- body reading ---------------------------------------------------------------------------


def _read_body(
    response: requests.Response,
    url: str,
    cap: int,
    deadline: float,
    limit: float,
    *,
    truncate: bool,
) -> bytes:
    """The whole body, read under the deadline (see :func:`_body_pieces`)."""
    # BytesIO.getvalue() hands over its buffer without copying: a 50 MB sitemap is held
    # once, not twice (a list of chunks joined at the end would be).
    chunks = io.BytesIO()
    for piece in _body_pieces(response, url, cap, deadline, limit, truncate=truncate):
        chunks.write(piece)
    return chunks.getvalue()


def _body_pieces(
    response: requests.Response,
    url: str,
    cap: int,
    deadline: float,
    limit: float,
    *,
    truncate: bool,
) -> Iterator[bytes]:
    """The body as it arrives, under the deadline, decoding Content-Encoding ourselves so
    that the cap applies to decoded bytes and a small compressed bomb is stopped after cap+1
    bytes. With ``truncate``, a body over the cap or failing to decode is cut short instead
    of raising. The time the consumer spends between pieces is not the server's: it moves
    the deadline (every wait on the server still counts)."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    try:
        decoder = _make_decoder(url, encoding)
    except FetchError:
        if not truncate:
            raise
        # An endpoint's status is what counts; its body is only shown to the user.
        decoder = None
    if decoder is None and not truncate:
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(url, "too_large", _too_large_message(url, cap))
    total = 0
    raw = response.raw
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(url, "timeout", _timeout_message(url, limit))
        _bound_next_read(raw, remaining)
        try:
            data = raw.read1(_READ_SIZE, decode_content=False)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            raise _transport_error(url, exc, limit) from exc
        room = cap - total + 1  # one byte more than allowed tells "too large" from "exactly cap"
        try:
            piece = data[:room] if decoder is None else decoder.decode(data, room)
        except FetchError:
            if not truncate:
                raise
            return
        total += len(piece)
        if total > cap:
            if truncate:
                yield piece[: len(piece) - (total - cap)]
                return
            raise FetchError(url, "too_large", _too_large_message(url, cap))
        if piece:
            handed = time.monotonic()
            yield piece
            deadline += time.monotonic() - handed
        if not data:
            break
    if decoder is not None and not truncate:
        decoder.finish()


def _bound_next_read(raw: object, remaining: float) -> None:
    """Make the next socket read give up when the request's deadline passes, so a server that
    trickles a byte at a time cannot hold us longer than the timeout."""
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(max(remaining, 0.001))


class _Decoder:
    """gzip/deflate decoding that never inflates more than it is allowed to."""

    def __init__(self, url: str, encoding: str) -> None:
        self._url = url
        self._encoding = encoding
        self._gzip = encoding in ("gzip", "x-gzip")
        self._started = False
        self._fed = False
        self._obj = self._new()

    def _new(self, raw_deflate: bool = False) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS)

    def decode(self, data: bytes, room: int) -> bytes:
        """Decode ``data``, producing at most ``room`` bytes (more input is then left unread:
        the caller stops anyway because the cap is exceeded)."""
        if not data:
            return b""
        self._fed = True
        try:
            return b"".join(self._decode(data, room))
        except zlib.error as exc:
            raise FetchError(
                self._url,
                "bad_encoding",
                f"{self._url}: the {self._encoding}-encoded body is corrupt ({exc}); "
                "check the server's compression settings",
            ) from exc

    def _decode(self, data: bytes, room: int) -> Iterator[bytes]:
        if not self._started and not self._gzip:
            self._started = True
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
            try:
                out = self._obj.decompress(data, room)
            except zlib.error:
                self._obj = self._new(raw_deflate=True)
                out = self._obj.decompress(data, room)
            yield out
            room -= len(out)
        else:
            out = self._obj.decompress(data, room)
            yield out
            room -= len(out)
        # A gzip body may hold several members back to back.
        while self._gzip and self._obj.eof and self._obj.unused_data.strip(b"\0") and room > 0:
            rest = self._obj.unused_data
            self._obj = self._new()
            out = self._obj.decompress(rest, room)
            yield out
            room -= len(out)

    def finish(self) -> None:
        # An empty body (204, 304) carrying a Content-Encoding header is not corrupt.
        if self._fed and not self._obj.eof:
            raise FetchError(
                self._url,
                "bad_encoding",
                f"{self._url}: the {self._encoding}-encoded body ends before the compressed "
                "data does (truncated); check the server's compression settings",
            )


def _make_decoder(url: str, encoding: str) -> _Decoder | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Decoder(url, encoding)
    raise FetchError(
        url,
        "bad_encoding",
        f"{url}: the server answered with Content-Encoding {encoding!r}, which indexnow-sync "
        f"did not ask for and cannot decode; configure the server to honour "
        f"'Accept-Encoding: {_ACCEPT_ENCODING}'",
    )


def _redirect_target(current: str, location: str | None) -> str | None:
    """Where a ``Location`` leads from ``current``; None when there is none, or it is no URL
    (``http://[::1``, a port that is no number): such an answer is returned as it is, like a
    redirect without a Location, for the caller to judge."""
    if not location or not location.strip():
        return None
    try:
        target = urljoin(current, location.strip())
        urlsplit(target).port  # noqa: B018 - raises on a port that is no number
    except ValueError:
        return None
    return target


# --- errors ---------------------------------------------------------------------------------


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on an invalid port
    except ValueError as exc:
        raise FetchError(url, "bad_url", f"{url!r} is not a valid URL ({exc})") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(
            url,
            "bad_url",
            f"{url!r} is not an http(s) URL; give a full URL such as "
            "https://example.com/sitemap.xml",
        )


def _host_text(url: str) -> str:
    key = host_key(url)
    if key is None:
        return url
    return key[0] if key[1] is None else f"{key[0]}:{key[1]}"


def _off_host(url: str, current: str, target: str) -> str:
    via = "" if current == url else f" (via {current})"
    return (
        f"{url}{via} redirects to {target}, which is not on {_host_text(url)}; only redirects "
        "within the site's host are followed: fix the redirect, or use the final URL"
    )


def _timeout_message(url: str, limit: float) -> str:
    return (
        f"{url}: the site did not answer completely within {limit:g} s; "
        "check that it is up, or raise the timeout"
    )


def _too_large_message(url: str, cap: int) -> str:
    return (
        f"{url}: the answer is larger than {_size_text(cap)} (counted after decompression), "
        "so it was not read; a sitemap may hold at most 50 MB uncompressed: split it under a "
        "sitemap index, or raise the size limit"
    )


def _size_text(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    return f"{size} bytes"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (urllib3 and requests nest them deeply)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested: list[object] = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
            *current.args,
        ]
        stack.extend(item for item in nested if isinstance(item, BaseException))


# OpenSSL's reasons for a first answer that is no TLS record at all: a plain-HTTP server's
# "HTTP/1.1 400 Bad Request" read as a record header (3.0: WRONG_VERSION_NUMBER; 3.2+:
# RECORD_LAYER_FAILURE; older and LibreSSL: UNKNOWN_PROTOCOL, PACKET_LENGTH_TOO_LONG).
_PLAIN_HTTP_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG"}
)


def _plain_http_answer(causes: list[BaseException]) -> bool:
    """The TLS handshake got a plain-HTTP answer: the server speaks http:// on that port."""
    return any(
        isinstance(cause, ssl.SSLError)
        and (getattr(cause, "reason", None) or "") in _PLAIN_HTTP_REASONS
        for cause in causes
    )


def _transport_error(url: str, exc: BaseException, limit: float) -> FetchError:
    causes = list(_causes(exc))

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(cause, kinds) for cause in causes)

    bad_url = (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        urllib3.exceptions.LocationParseError,
    )
    if has(*bad_url):
        return FetchError(url, "bad_url", f"{url!r} is not a valid http(s) URL")
    # urllib3's NewConnectionError (refused, DNS) subclasses its ConnectTimeoutError, so a
    # timeout is recognised by the concrete classes only.
    timed_out = any(
        isinstance(cause, (requests.exceptions.Timeout, TimeoutError))
        or (
            isinstance(cause, urllib3.exceptions.TimeoutError)
            and not isinstance(cause, urllib3.exceptions.NewConnectionError)
        )
        for cause in causes
    )
    if timed_out and not has(ConnectionRefusedError, socket.gaierror):
        return FetchError(url, "timeout", _timeout_message(url, limit))
    if _plain_http_answer(causes):
        plain = "http://" + url.split("://", 1)[-1].split("/", 1)[0]
        return FetchError(
            url,
            "plain_http",  # (not a passing failure: never retried)
            f"{url}: the TLS handshake failed: it answers plain HTTP",
            cause="an https:// URL was given for a server that speaks plain HTTP on that port",
            fix=f"use http:// ({plain}) in --site, --live or --key-location",
        )
    if has(ssl.SSLError, urllib3.exceptions.SSLError, requests.exceptions.SSLError):
        problem = (
            "the TLS connection failed (certificate not valid for this host, expired, or not "
            "trusted)"
        )
        fix = "serve a valid certificate (verification cannot be turned off)"
    elif has(socket.gaierror, urllib3.exceptions.NameResolutionError):
        problem = "the host name could not be resolved"
        fix = "check the URL and the network's DNS"
    elif has(ConnectionRefusedError):
        problem = "the connection was refused: nothing answers at that host and port"
        fix = "check the URL's host and port, and that the server is running"
    elif has(
        ConnectionResetError,
        BrokenPipeError,
        http.client.IncompleteRead,
        urllib3.exceptions.ProtocolError,
        requests.exceptions.ChunkedEncodingError,
    ):
        problem = "the server closed the connection before the answer was complete"
        fix = "retry, and check the server's logs if it keeps happening"
    else:
        problem = f"the request failed ({type(exc).__name__})"
        fix = "check that the host is reachable"
    return FetchError(url, "connection", f"{url}: {problem}", fix=fix)


# --- a prefix of an answer, for robots.txt and page checks ----------------------------------

PAGE_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class PrefixResponse:
    """An answer read up to a size limit, keeping every header line (``X-Robots-Tag`` and
    ``Link`` may come several times, and their order and separation matter)."""

    url: str
    final_url: str
    status: int
    header_items: tuple[tuple[str, str], ...]
    body: bytes  # at most the limit asked for
    truncated: bool  # the answer was longer: reading stopped there (not an error)
    redirects: int = 0  # same-host redirects followed

    def header(self, name: str) -> str:
        """The first value of the header (case-insensitive name), "" when absent."""
        values = self.header_values(name)
        return values[0] if values else ""

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of the header, one per header line, in order."""
        wanted = name.lower()
        return tuple(value for key, value in self.header_items if key.lower() == wanted)

    @property
    def content_type(self) -> str:
        """Lower-case media type without parameters (``text/html``), "" if none."""
        return self.header("Content-Type").split(";", 1)[0].strip().lower()


def get_prefix(
    client: WebClient,
    url: str,
    *,
    max_bytes: int = PAGE_MAX_BYTES,
    redirects: int = 0,
    timeout: float | None = None,
) -> PrefixResponse:
    """GET ``url`` and read at most ``max_bytes`` of its (decoded) body, then stop reading.

    Follows at most ``redirects`` redirects, only within the URL's host; a redirect beyond
    that (or to another host) is returned as the answer, for the caller to judge: a page check
    passes ``redirects=0`` and sees every 3xx. Transport failures raise :class:`FetchError`."""
    _check_url(url)
    limit = client.timeout if timeout is None else timeout
    start = time.monotonic()
    deadline = start + limit
    current = url
    followed = 0
    while True:
        response = client._send("GET", current, url, deadline, limit)
        try:
            target = _redirect_target(current, response.headers.get("Location"))
            if (
                response.status_code in _REDIRECT_STATUSES
                and target is not None
                and followed < redirects
                and same_host(target, url)
            ):
                current = target
                followed += 1
                continue
            # One byte more than allowed tells "cut" from "exactly the limit".
            body = _read_body(response, url, max_bytes + 1, deadline, limit, truncate=True)
            raw_headers = response.raw.headers
            items = tuple(
                (name, value) for name in raw_headers for value in raw_headers.getlist(name)
            )
            return PrefixResponse(
                url=url,
                final_url=current,
                status=response.status_code,
                header_items=items,
                body=body[:max_bytes],
                truncated=len(body) > max_bytes,
                redirects=followed,
            )
        finally:
            response.close()

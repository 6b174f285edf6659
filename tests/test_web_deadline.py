"""Every request has one wall-clock deadline, ``--timeout`` per attempt, covering the status
line, the headers, interim ``1xx`` answers and the body (SPEC "Submitting"): a server that
answers a little at a time, each piece well within a read timeout, cannot hold a run.

How these tests stay deterministic: each hostile server keeps going for 30 s (about 30 times
the client's timeout), each piece far sooner than the timeout. The assertion is the outcome
(a ``timeout`` error, the server seeing the client hang up), not a measured time: a client
without the deadline gets the server's final, complete answer after 30 s and the test fails;
a client with it gives up at its deadline, however loaded the machine, since nothing but that
deadline ends the exchange before 30 s.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator

import pytest

from indexnow_sync.errors import FetchError
from indexnow_sync.web import WebClient, get_prefix
from tests.rawserver import RawConnection, RawServer

HOSTILE_FOR = 30.0  # seconds each hostile server keeps going before it answers completely
TIMEOUT = 1.0
FINAL = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


def drip_header_lines(conn: RawConnection) -> None:
    """The status line, then one header line every 0.3 s (90 lines: within http.client's
    limit of 100), then the end of the headers and the body."""
    if not conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"):
        return
    for number in range(90):
        time.sleep(HOSTILE_FOR / 90)
        if not conn.send(f"X-Drip-{number}: still coming\r\n".encode()):
            return
    conn.send(b"\r\nok")


def drip_status_line(conn: RawConnection) -> None:
    """The status line itself, one byte every 0.2 s."""
    line = b"HTTP/1.1 200 OK" + b" " * 140 + b"\r\n"
    for byte in line:
        time.sleep(HOSTILE_FOR / len(line))
        if not conn.send(bytes([byte])):
            return
    conn.send(b"Content-Length: 2\r\n\r\nok")


def endless_continue(conn: RawConnection) -> None:
    """``100 Continue`` answers, a hundred a second, then the real answer."""
    end = time.monotonic() + HOSTILE_FOR
    while time.monotonic() < end:
        if not conn.send(b"HTTP/1.1 100 Continue\r\nX-Early: hint\r\n\r\n"):
            return
        time.sleep(0.01)
    conn.send(FINAL)


def drip_tls_handshake(conn: RawConnection) -> None:
    """The header of a 16 KiB TLS handshake record, then its body a byte every 0.3 s."""
    if not conn.send(b"\x16\x03\x03\x40\x00"):
        return
    for _ in range(90):
        time.sleep(HOSTILE_FOR / 90)
        if not conn.send(b"\x00"):
            return


Request = Callable[[WebClient, str], object]


def get(client: WebClient, url: str) -> object:
    return client.get(url)


def stream(client: WebClient, url: str) -> object:
    with client.stream(url) as answer:
        return b"".join(answer.body)


def prefix(client: WebClient, url: str) -> object:
    return get_prefix(client, url)


def post(client: WebClient, url: str) -> object:
    return client.post_json(url, b'{"urlList": []}')


@pytest.fixture(params=[drip_header_lines, drip_status_line, endless_continue])
def hostile(request: pytest.FixtureRequest) -> Iterator[RawServer]:
    with RawServer(request.param) as server:
        yield server


@pytest.mark.parametrize("send", [get, stream, prefix, post], ids=["get", "stream", "page", "post"])
def test_a_server_answering_a_little_at_a_time_cannot_outlast_the_timeout(
    hostile: RawServer, send: Request
) -> None:
    with WebClient(timeout=TIMEOUT) as client, pytest.raises(FetchError) as caught:
        send(client, hostile.url("/page"))
    assert caught.value.reason == "timeout"
    assert f"within {TIMEOUT:g} s" in caught.value.message
    # The client hung up: the server's next piece found the connection closed.
    assert hostile.hung_up.wait(HOSTILE_FOR)


def test_a_tls_handshake_answered_a_little_at_a_time_cannot_outlast_the_timeout() -> None:
    # The https path (its own connection class) keeps to the deadline too. Python's ssl
    # module already bounds a handshake as a whole by the socket timeout, so this passed
    # before as well: it pins the https connection, it is not a regression test.
    with (
        RawServer(drip_tls_handshake, wait_for_request=False) as server,
        WebClient(timeout=TIMEOUT) as client,
    ):
        url = server.url("/page").replace("http://", "https://")
        with pytest.raises(FetchError) as caught:
            client.get(url)
        assert caught.value.reason == "timeout"
        # urllib3 leaves a socket that failed its handshake to the garbage collector (the
        # error's traceback holds it): once it is collected, the server sees the hang-up.
        del caught
        gc.collect()
        assert server.hung_up.wait(HOSTILE_FOR)


def test_a_deadline_that_passes_after_the_answer_leaves_the_connection_alone() -> None:
    # The watchdog still holds the first request's deadline when the kept-alive connection
    # carries the next requests: it must not end them.
    def kept_alive(conn: RawConnection) -> None:
        while conn.send(b"HTTP/1.1 100 Continue\r\n\r\n" + FINAL) and conn.next_request():
            pass

    with RawServer(kept_alive) as server, WebClient(timeout=TIMEOUT) as client:
        for number in range(3):
            if number:
                time.sleep(TIMEOUT)  # past the previous request's deadline
            answer = client.get(server.url("/ok"))
            assert (answer.status, answer.body) == (200, b"ok")
        assert len(server.requests) == 3
        assert not server.hung_up.is_set()  # one connection, never dropped

"""What a failed TLS handshake is diagnosed as (issue 19): an ``https://`` URL for a server
that speaks plain HTTP on that port says so and names the ``http://`` form, instead of
blaming a certificate; a server that hangs up during the handshake is not taken for one."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from indexnow_sync.errors import FetchError
from indexnow_sync.web import WebClient
from tests import siteserver
from tests.siteserver import SiteServer

site_server = siteserver.site_server


def fetch_error(client: WebClient, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        client.get(url)
    return caught.value


def test_https_to_a_plain_http_port_says_it_answers_plain_http(site_server: SiteServer) -> None:
    # Before the fix: "the TLS connection failed (certificate not valid for this host,
    # expired, or not trusted); serve a valid certificate".
    plain = site_server.base_url  # http://127.0.0.1:PORT
    url = plain.replace("http://", "https://", 1) + "/robots.txt"
    error = fetch_error(WebClient(timeout=5.0), url)
    assert error.reason == "plain_http"  # never retried: it answers the same way every time
    assert error.what == f"{url}: the TLS handshake failed: it answers plain HTTP"
    assert error.fix == f"use http:// ({plain}) in --site, --live or --key-location"
    assert "certificate" not in error.message


@pytest.fixture
def hang_up_server() -> Iterator[str]:
    """Accepts a connection and closes it at once, without a byte: not plain HTTP."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/robots.txt"
    stop.set()
    thread.join()
    listener.close()


def test_a_server_hanging_up_during_the_handshake_is_not_called_plain_http(
    hang_up_server: str,
) -> None:
    error = fetch_error(WebClient(timeout=5.0), hang_up_server)
    assert error.reason == "connection"
    assert "plain HTTP" not in error.message

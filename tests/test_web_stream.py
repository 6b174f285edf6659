"""``WebClient.stream``: a GET whose body is handed over piece by piece as it arrives, under
the same rules as ``get`` (size cap after decoding, deadline, same-host redirects)."""

from __future__ import annotations

import gzip
import time

import pytest

from indexnow_sync.errors import FetchError
from indexnow_sync.web import WebClient
from tests.siteserver import SiteServer, gzip_bomb

BODY = b"".join(b"<url><loc>https://ex.com/%d</loc></url>\n" % i for i in range(20_000))


def test_status_and_headers_come_first_then_the_body_in_pieces(site_server: SiteServer) -> None:
    site_server.route("/s.xml", BODY, content_type="application/xml")
    with WebClient() as client, client.stream(site_server.url("s.xml")) as answer:
        assert answer.status == 200
        assert answer.content_type == "application/xml"
        pieces = list(answer.body)
    assert b"".join(pieces) == BODY
    assert len(pieces) > 1


def test_gzip_content_encoding_is_decoded_piece_by_piece(site_server: SiteServer) -> None:
    site_server.route("/s.xml", BODY, gzip_encoding=True)
    with WebClient() as client, client.stream(site_server.url("s.xml")) as answer:
        assert b"".join(answer.body) == BODY


def test_the_size_cap_counts_decoded_bytes(site_server: SiteServer) -> None:
    site_server.route("/bomb", gzip_bomb(5_000_000), headers={"Content-Encoding": "gzip"})
    with (
        WebClient() as client,
        client.stream(site_server.url("bomb"), max_bytes=100_000) as answer,
        pytest.raises(FetchError) as caught,
    ):
        for _piece in answer.body:
            pass
    assert caught.value.reason == "too_large"


def test_a_declared_length_over_the_cap_fails_before_any_piece(site_server: SiteServer) -> None:
    site_server.route("/big", BODY)
    with (
        WebClient() as client,
        client.stream(site_server.url("big"), max_bytes=1000) as answer,
        pytest.raises(FetchError, match="larger than"),
    ):
        next(iter(answer.body))


def test_a_trickled_body_still_times_out(site_server: SiteServer) -> None:
    site_server.route("/slow", b"x" * 5000, trickle=0.05, trickle_chunk=10)
    with (
        WebClient(timeout=0.5) as client,
        client.stream(site_server.url("slow")) as answer,
        pytest.raises(FetchError) as caught,
    ):
        for _piece in answer.body:
            pass
    assert caught.value.reason == "timeout"


def test_time_spent_on_each_piece_by_the_caller_is_not_the_servers(
    site_server: SiteServer,
) -> None:
    # The server answers at once; the caller (parsing) is slow: no timeout.
    site_server.route("/s.xml", BODY)
    read = b""
    with WebClient(timeout=0.5) as client, client.stream(site_server.url("s.xml")) as answer:
        for piece in answer.body:
            read += piece
            time.sleep(0.15)
    assert read == BODY


def test_redirects_are_followed_only_on_the_same_host(site_server: SiteServer) -> None:
    site_server.route("/a", redirect_to=site_server.url("b"))
    site_server.route("/b", b"<urlset/>")
    site_server.route("/off", redirect_to=site_server.url("b", host="localhost"))
    with WebClient() as client:
        with client.stream(site_server.url("a")) as answer:
            assert answer.final_url == site_server.url("b")
            assert b"".join(answer.body) == b"<urlset/>"
        with pytest.raises(FetchError) as caught, client.stream(site_server.url("off")):
            pass
    assert caught.value.reason == "redirect_off_host"


def test_an_unread_body_is_not_downloaded(site_server: SiteServer) -> None:
    site_server.route_huge("/huge", 20_000_000)
    with WebClient() as client, client.stream(site_server.url("huge")) as answer:
        assert answer.status == 200
    assert site_server.wait_idle()
    assert site_server.requests[-1].sent < 20_000_000


def test_gzip_file_body_is_passed_through_as_is(site_server: SiteServer) -> None:
    # A .xml.gz file (no Content-Encoding) is the sitemap reader's to gunzip, by its magic.
    site_server.route("/s.xml.gz", gzip.compress(BODY), content_type="application/gzip")
    with WebClient() as client, client.stream(site_server.url("s.xml.gz")) as answer:
        assert gzip.decompress(b"".join(answer.body)) == BODY

"""The HTTP layer against a real local server: statuses, decoding, redirects, caps, timeouts."""

from __future__ import annotations

import gzip
import itertools
import json
import socket
import time
import tracemalloc
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from indexnow_sync.errors import FetchError
from indexnow_sync.web import USER_AGENT, HttpResponse, WebClient
from tests import siteserver
from tests.siteserver import SiteServer, answer, gzip_bomb

# Brings the fixture into this module (an import of the name itself trips ruff's F811).
site_server = siteserver.site_server

SITEMAP = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://example.com/a</loc></url></urlset>\n"
)


@pytest.fixture
def client() -> WebClient:
    return WebClient(timeout=5.0)


def fetch_error(call: object, *args: object, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


# --- plain answers ------------------------------------------------------------------------


def test_get_returns_body_status_and_headers(site_server: SiteServer, client: WebClient) -> None:
    site_server.route("/sitemap.xml", SITEMAP, content_type="Application/XML; charset=utf-8")
    response = client.get(site_server.url("/sitemap.xml"))
    assert response.status == 200
    assert response.body == SITEMAP
    assert response.content_type == "application/xml"
    assert response.header("content-length") == str(len(SITEMAP))
    assert response.header("X-Absent") == ""
    assert response.final_url == response.url == site_server.url("/sitemap.xml")
    assert site_server.requests[0].header("User-Agent") == USER_AGENT


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_error_statuses_are_returned_not_raised(
    site_server: SiteServer, client: WebClient, status: int
) -> None:
    site_server.route("/robots.txt", "gone", status=status)
    response = client.get(site_server.url("/robots.txt"))
    assert response.status == status
    assert response.body == b"gone"


def test_content_encoding_gzip_is_decoded(site_server: SiteServer, client: WebClient) -> None:
    site_server.route("/sitemap.xml", SITEMAP, gzip_encoding=True)
    response = client.get(site_server.url("/sitemap.xml"))
    assert response.body == SITEMAP
    assert "gzip" in site_server.requests[0].header("Accept-Encoding")


@pytest.mark.parametrize("raw", [False, True], ids=["zlib-deflate", "raw-deflate"])
def test_content_encoding_deflate_is_decoded(
    site_server: SiteServer, client: WebClient, raw: bool
) -> None:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    encoded = compressor.compress(SITEMAP) + compressor.flush()
    site_server.route("/sitemap.xml", encoded, headers={"Content-Encoding": "deflate"})
    assert client.get(site_server.url("/sitemap.xml")).body == SITEMAP


def test_gz_file_without_content_encoding_stays_compressed(
    site_server: SiteServer, client: WebClient
) -> None:
    # A .xml.gz sitemap is a file, not a transfer encoding: decompressing it is the parser's job.
    packed = gzip.compress(SITEMAP)
    site_server.route("/sitemap.xml.gz", packed)
    assert client.get(site_server.url("/sitemap.xml.gz")).body == packed


def test_corrupt_gzip_encoding_is_reported(site_server: SiteServer, client: WebClient) -> None:
    site_server.route("/sitemap.xml", b"this is not gzip", headers={"Content-Encoding": "gzip"})
    error = fetch_error(client.get, site_server.url("/sitemap.xml"))
    assert error.reason == "bad_encoding"
    assert site_server.url("/sitemap.xml") in str(error)


def test_serves_a_folder_as_fallback(
    site_server: SiteServer, client: WebClient, tmp_path: Path
) -> None:
    (tmp_path / "sitemap-index.xml").write_bytes(SITEMAP)
    (tmp_path / "abcd1234.txt").write_text("abcd1234")
    site_server.serve_dir(tmp_path)
    assert client.get(site_server.url("/sitemap-index.xml")).body == SITEMAP
    key = client.get(site_server.url("/abcd1234.txt"))
    assert (key.body, key.content_type) == (b"abcd1234", "text/plain")
    assert client.get(site_server.url("/../etc/passwd")).status == 404
    assert client.get(site_server.url("/missing.xml")).status == 404


# --- redirects ----------------------------------------------------------------------------


def test_relative_redirect_within_host_is_followed(
    site_server: SiteServer, client: WebClient
) -> None:
    site_server.route("/sitemap.xml", redirect_to="/new/sitemap.xml", status=301)
    site_server.route("/new/sitemap.xml", SITEMAP)
    response = client.get(site_server.url("/sitemap.xml"))
    assert response.status == 200
    assert response.body == SITEMAP
    assert response.url == site_server.url("/sitemap.xml")
    assert response.final_url == site_server.url("/new/sitemap.xml")


def test_absolute_redirect_chain_within_host_is_followed(
    site_server: SiteServer, client: WebClient
) -> None:
    site_server.route("/a", redirect_to=site_server.url("/b"), status=308)
    site_server.route("/b", redirect_to="c", status=302)  # relative to /b
    site_server.route("/c", "done")
    response = client.get(site_server.url("/a"))
    assert (response.body, response.final_url) == (b"done", site_server.url("/c"))
    assert [r.path for r in site_server.requests] == ["/a", "/b", "/c"]


def test_redirect_to_another_host_is_refused(site_server: SiteServer, client: WebClient) -> None:
    elsewhere = site_server.url("/sitemap.xml", host="localhost")
    site_server.route("/sitemap.xml", redirect_to=elsewhere, status=301)
    error = fetch_error(client.get, site_server.url("/sitemap.xml"))
    assert error.reason == "redirect_off_host"
    assert site_server.url("/sitemap.xml") in str(error)
    assert elsewhere in str(error)
    assert site_server.hits("/sitemap.xml") == 1  # the other host was never asked


def test_same_host_as_allows_only_the_site_host(site_server: SiteServer, client: WebClient) -> None:
    # A sitemap listed at another name of the server, redirecting back to the site's host.
    site_server.route("/s.xml", redirect_to=site_server.url("/real.xml"))
    site_server.route("/real.xml", SITEMAP)
    start = site_server.url("/s.xml", host="localhost")
    response = client.get(start, same_host_as=site_server.base_url)
    assert response.body == SITEMAP
    # Without it, the start URL's own host is the rule, and the same redirect is off-host.
    assert fetch_error(client.get, start).reason == "redirect_off_host"


def test_redirect_loop_gives_up(site_server: SiteServer) -> None:
    site_server.route("/a", redirect_to="/b")
    site_server.route("/b", redirect_to="/a")
    client = WebClient(timeout=5.0, max_redirects=3)
    error = fetch_error(client.get, site_server.url("/a"))
    assert error.reason == "too_many_redirects"
    assert len(site_server.requests) == 4  # the first request and three redirects


def test_redirect_without_location_is_returned(site_server: SiteServer, client: WebClient) -> None:
    site_server.route("/odd", "no location", status=302)
    assert client.get(site_server.url("/odd")).status == 302


@pytest.mark.parametrize("location", ["http://[::1", "http://h:port/x", "//[zz"])
def test_a_location_that_is_no_url_is_returned_not_followed(
    site_server: SiteServer, client: WebClient, location: str
) -> None:
    # It raised ValueError from urljoin (an internal error ending the run) before.
    site_server.route("/odd", "moved", status=301, headers={"Location": location})
    answer = client.get(site_server.url("/odd"))
    assert (answer.status, answer.header("Location")) == (301, location)
    with client.stream(site_server.url("/odd")) as streamed:
        assert streamed.status == 301


# --- size caps ----------------------------------------------------------------------------


def test_huge_body_with_a_length_is_refused_before_reading(site_server: SiteServer) -> None:
    size = 512 * 1024 * 1024
    site_server.route_huge("/sitemap.xml", size)
    client = WebClient(timeout=5.0, max_bytes=1024 * 1024)
    error = fetch_error(client.get, site_server.url("/sitemap.xml"))
    assert error.reason == "too_large"
    assert "1 MiB" in str(error)
    client.close()
    assert site_server.wait_idle()
    assert site_server.requests[0].sent < 64 * 1024 * 1024


def test_announced_oversize_body_is_refused_without_waiting_for_it(
    site_server: SiteServer,
) -> None:
    # The body would take far longer than the timeout to arrive: only refusing on the
    # announced Content-Length gives "too large" instead of "timeout".
    site_server.route(
        "/sitemap.xml",
        b"<" * 100,
        headers={"Content-Length": str(600 * 1024 * 1024)},
        trickle=0.1,
    )
    client = WebClient(timeout=1.0, max_bytes=1024 * 1024)
    assert fetch_error(client.get, site_server.url("/sitemap.xml")).reason == "too_large"


@pytest.mark.parametrize(
    "framing",
    [{"Content-Length": ""}, {"Transfer-Encoding": "chunked"}],
    ids=["ends-at-close", "chunked"],
)
def test_huge_body_without_a_length_is_cut_while_streaming(
    site_server: SiteServer, framing: dict[str, str]
) -> None:
    size = 512 * 1024 * 1024
    site_server.route_huge("/sitemap.xml", size, headers=framing)
    client = WebClient(timeout=5.0, max_bytes=1024 * 1024)
    error = fetch_error(client.get, site_server.url("/sitemap.xml"))
    assert error.reason == "too_large"
    client.close()
    assert site_server.wait_idle()
    assert site_server.requests[0].sent < 64 * 1024 * 1024


def test_body_without_a_length_is_read_to_the_end(
    site_server: SiteServer, client: WebClient
) -> None:
    site_server.route("/a.xml", SITEMAP, headers={"Content-Length": ""})
    site_server.route(
        "/b.xml", SITEMAP, headers={"Transfer-Encoding": "chunked"}, trickle=0.001, trickle_chunk=50
    )
    assert client.get(site_server.url("/a.xml")).body == SITEMAP
    assert client.get(site_server.url("/b.xml")).body == SITEMAP


def test_body_of_exactly_the_cap_is_accepted(site_server: SiteServer) -> None:
    site_server.route("/exact", b"y" * 1000)
    assert WebClient(max_bytes=1000).get(site_server.url("/exact")).body == b"y" * 1000


def test_gzip_bomb_is_stopped_after_the_cap(site_server: SiteServer) -> None:
    bomb = gzip_bomb(256 * 1024 * 1024)  # 256 MiB inflated, about 256 KiB on the wire
    site_server.route("/sitemap.xml", bomb, headers={"Content-Encoding": "gzip"})
    client = WebClient(timeout=5.0, max_bytes=2 * 1024 * 1024)
    tracemalloc.start()
    try:
        error = fetch_error(client.get, site_server.url("/sitemap.xml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.reason == "too_large"
    assert "after decompression" in str(error)
    # Inflating even one 64 KiB read of this bomb unbounded would allocate ~64 MiB.
    assert peak < 16 * 1024 * 1024


def test_max_bytes_per_call_overrides_the_client(site_server: SiteServer) -> None:
    site_server.route("/key.txt", b"k" * 200)
    client = WebClient(max_bytes=10_000)
    assert fetch_error(client.get, site_server.url("/key.txt"), max_bytes=100).reason == (
        "too_large"
    )
    assert len(client.get(site_server.url("/key.txt")).body) == 200


# --- timeouts and broken connections ------------------------------------------------------


def test_slow_answer_times_out_quickly(site_server: SiteServer, client: WebClient) -> None:
    # The answer would come after 30 s: any bound far below that proves the 0.5 s timeout
    # ended the wait, and leaves room for a loaded machine.
    site_server.route("/sitemap.xml", SITEMAP, delay=30.0)
    started = time.monotonic()
    error = fetch_error(client.get, site_server.url("/sitemap.xml"), timeout=0.5)
    assert error.reason == "timeout"
    assert "0.5 s" in str(error)
    assert time.monotonic() - started < 10.0


def test_trickling_body_is_bounded_by_the_total_deadline(site_server: SiteServer) -> None:
    # Each byte arrives well within the read timeout; only a whole-request deadline stops it
    # (the whole body would take 20 s).
    site_server.route("/sitemap.xml", b"z" * 400, trickle=0.05)
    client = WebClient(timeout=0.6)
    started = time.monotonic()
    error = fetch_error(client.get, site_server.url("/sitemap.xml"))
    assert error.reason == "timeout"
    assert time.monotonic() - started < 10.0


def test_a_read_started_near_the_deadline_does_not_outlast_it(site_server: SiteServer) -> None:
    # Bytes at 0 s, 1.9 s, 3.8 s (a busy server only makes them later): the read started at
    # 1.9 s must give up at the 2 s deadline, not wait out a full read timeout, which would
    # return with the byte at 3.8 s at the earliest. 1.7 s of room for a loaded machine.
    site_server.route("/sitemap.xml", b"abc", trickle=1.9)
    client = WebClient(timeout=2.0)
    started = time.monotonic()
    assert fetch_error(client.get, site_server.url("/sitemap.xml")).reason == "timeout"
    assert time.monotonic() - started < 3.7


def test_dropped_connection_is_a_connection_error(
    site_server: SiteServer, client: WebClient
) -> None:
    site_server.route("/sitemap.xml", drop=True)
    error = fetch_error(client.get, site_server.url("/sitemap.xml"))
    assert error.reason == "connection"
    assert site_server.url("/sitemap.xml") in str(error)


def test_connection_dropped_mid_body_is_a_connection_error(
    site_server: SiteServer, client: WebClient
) -> None:
    site_server.route("/sitemap.xml", SITEMAP, cut_after=20)
    error = fetch_error(client.get, site_server.url("/sitemap.xml"))
    assert error.reason == "connection"
    assert "closed the connection" in str(error)


def test_refused_connection_is_a_connection_error(client: WebClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    error = fetch_error(client.get, f"http://127.0.0.1:{port}/sitemap.xml")
    assert error.reason == "connection"
    assert "refused" in str(error)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/sitemap.xml", "example.com/sitemap.xml", "http:///x", "http://h:x/"]
)
def test_bad_urls_are_refused_before_any_request(client: WebClient, url: str) -> None:
    assert fetch_error(client.get, url).reason == "bad_url"
    assert fetch_error(client.post_json, url, b"{}").reason == "bad_url"


def test_a_failed_request_leaves_the_client_usable(
    site_server: SiteServer, client: WebClient
) -> None:
    site_server.route("/slow", "late", delay=5.0)
    site_server.route("/ok", "fine")
    assert fetch_error(client.get, site_server.url("/slow"), timeout=0.2).reason == "timeout"
    assert client.get(site_server.url("/ok")).body == b"fine"


def test_a_short_timeout_does_not_stick_to_a_reused_connection(
    site_server: SiteServer, client: WebClient
) -> None:
    site_server.route("/fast", "quick")
    site_server.route("/slow", "late", delay=1.5)
    assert client.get(site_server.url("/fast"), timeout=1.0).body == b"quick"
    assert client.get(site_server.url("/slow"), timeout=30.0).body == b"late"
    first, second = site_server.requests
    assert first.client_port == second.client_port  # the same pooled connection


# --- POST ---------------------------------------------------------------------------------


def test_post_json_sends_content_type_and_body(site_server: SiteServer) -> None:
    site_server.route("/indexnow", "", status=202)
    payload = json.dumps({"host": "example.com", "key": "k" * 32, "urlList": ["u"]}).encode()
    with WebClient(timeout=5.0) as client:
        response = client.post_json(site_server.url("/indexnow"), payload)
    assert response.status == 202
    received = site_server.requests[0]
    assert received.method == "POST"
    assert received.header("Content-Type") == "application/json; charset=utf-8"
    assert received.body == payload


def test_post_json_returns_refusals_and_redirects_as_statuses(site_server: SiteServer) -> None:
    site_server.route(
        "/indexnow",
        responses=[
            answer("Url list cannot be empty", status=422),
            answer(status=429, headers={"Retry-After": "3"}),
            answer(redirect_to="/elsewhere", status=301),
        ],
    )
    client = WebClient(timeout=5.0)
    refused = client.post_json(site_server.url("/indexnow"), b"{}")
    assert (refused.status, refused.body) == (422, b"Url list cannot be empty")
    assert client.post_json(site_server.url("/indexnow"), b"{}").header("Retry-After") == "3"
    moved = client.post_json(site_server.url("/indexnow"), b"{}")
    assert (moved.status, moved.final_url) == (301, site_server.url("/indexnow"))
    assert site_server.hits("/elsewhere") == 0


def test_post_json_cuts_a_huge_answer_but_keeps_the_status(site_server: SiteServer) -> None:
    site_server.route_huge("/indexnow", 8 * 1024 * 1024)
    response = WebClient(timeout=5.0).post_json(site_server.url("/indexnow"), b"{}")
    assert response.status == 200
    assert len(response.body) == 1024 * 1024


def test_post_json_keeps_the_status_when_the_answer_body_is_garbled(
    site_server: SiteServer,
) -> None:
    site_server.route("/indexnow", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    response = WebClient(timeout=5.0).post_json(site_server.url("/indexnow"), b"{}")
    assert response.status == 200


def test_post_json_errors_never_show_the_body(site_server: SiteServer) -> None:
    secret = b'{"key": "s3cr3t-key-value-1234"}'
    site_server.route("/indexnow", drop=True)
    error = fetch_error(WebClient(timeout=5.0).post_json, site_server.url("/indexnow"), secret)
    assert error.reason == "connection"
    assert "s3cr3t" not in str(error)


# --- concurrency --------------------------------------------------------------------------


def test_concurrent_gets_through_one_client(site_server: SiteServer) -> None:
    for n in range(24):
        site_server.route(f"/sitemap-{n}.xml", f"child {n}", delay=0.05)
    with WebClient(timeout=5.0) as client, ThreadPoolExecutor(max_workers=8) as pool:
        results: list[HttpResponse] = list(
            pool.map(lambda n: client.get(site_server.url(f"/sitemap-{n}.xml")), range(24))
        )
    assert [r.body for r in results] == [f"child {n}".encode() for n in range(24)]
    # The answers overlapped in time: the client did not serialise the threads.
    spans = sorted((r.time, r.ended) for r in site_server.requests)
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))

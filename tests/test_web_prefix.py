"""web.get_prefix (the read behind robots.txt and page checks) and the session's proxy settings,
against a real server on 127.0.0.1."""

from __future__ import annotations

import gzip

import pytest

from indexnow_sync.web import PAGE_MAX_BYTES, WebClient, get_prefix
from tests.siteserver import SiteServer


def test_every_header_line_is_kept_apart(site_server: SiteServer) -> None:
    # requests would join them as "googlebot: nofollow, noindex", scoping noindex to Google.
    site_server.route(
        "/p",
        "x",
        header_lines=[("X-Robots-Tag", "googlebot: nofollow"), ("X-Robots-Tag", "noindex")],
    )
    with WebClient() as client:
        answer = get_prefix(client, site_server.url("/p"))
    assert answer.header_values("x-robots-tag") == ("googlebot: nofollow", "noindex")
    assert answer.header("X-ROBOTS-TAG") == "googlebot: nofollow"


def test_a_location_that_is_no_url_is_returned_not_followed(site_server: SiteServer) -> None:
    # robots.txt follows redirects: this raised ValueError from urljoin before.
    site_server.route("/robots.txt", "moved", status=302, headers={"Location": "http://[::1"})
    with WebClient() as client:
        answer = get_prefix(client, site_server.url("/robots.txt"), redirects=5)
    assert (answer.status, answer.redirects, answer.header("Location")) == (302, 0, "http://[::1")


def test_redirects_are_returned_unless_asked_for(site_server: SiteServer) -> None:
    site_server.route("/a", redirect_to="/b", status=301)
    site_server.route("/b", redirect_to=site_server.url("/c", host="localhost"), status=302)
    site_server.route("/c", "c")
    with WebClient() as client:
        first = get_prefix(client, site_server.url("/a"))
        followed = get_prefix(client, site_server.url("/a"), redirects=5)
    assert (first.status, first.header("Location"), first.redirects) == (301, "/b", 0)
    # /b leaves the host: returned as it is, never followed.
    assert (followed.status, followed.redirects) == (302, 1)
    assert followed.final_url == site_server.url("/b")
    assert site_server.hits("/c") == 0


def test_the_body_is_cut_at_the_limit_not_refused(site_server: SiteServer) -> None:
    site_server.route_huge("/big", 10 * 1024 * 1024)
    site_server.route("/exact", b"y" * 1000)
    site_server.route(
        "/zipped", gzip.compress(b"z" * 500_000), headers={"Content-Encoding": "gzip"}
    )
    with WebClient() as client:
        big = get_prefix(client, site_server.url("/big"))
        exact = get_prefix(client, site_server.url("/exact"), max_bytes=1000)
        zipped = get_prefix(client, site_server.url("/zipped"))
    assert (len(big.body), big.truncated) == (PAGE_MAX_BYTES, True)
    assert (len(exact.body), exact.truncated) == (1000, False)
    assert (zipped.body, zipped.truncated) == (b"z" * PAGE_MAX_BYTES, True)


def test_proxy_settings_from_the_environment_still_apply(
    site_server: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The session reads them once per origin; a proxy for http still gets plain-http requests,
    # and NO_PROXY still exempts its hosts.
    site_server.route("/via-proxy", "proxied")
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", site_server.base_url)
    monkeypatch.setenv("NO_PROXY", "localhost")
    with WebClient() as client:
        for _ in range(2):
            via = get_prefix(client, "http://127.0.0.1:9/via-proxy")  # port 9: nothing there
            assert via.body == b"proxied"
        direct = get_prefix(client, site_server.url("/via-proxy", host="localhost"))
    assert direct.body == b"proxied"
    assert site_server.hits("/via-proxy") == 3

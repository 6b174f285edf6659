"""Issue 9 item 7: a site on an IPv6 literal (``http://[::1]:8766``).

The IndexNow ``host`` field keeps the brackets (``[::1]:8766``), a site inferred from
``--live`` or from the URLs keeps them, and host comparisons hold. End to end against a site
served on ::1 and the strict endpoint, which refuses a host field without brackets; skipped
when the machine has no IPv6 loopback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from indexnow_sync.indexnow import make_batches
from indexnow_sync.keyfile import filter_in_scope, key_file_url
from indexnow_sync.urls import normalize_site, origin, request_host, same_host
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

KEY = "6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d"


def test_the_host_field_of_an_ipv6_literal_keeps_its_brackets() -> None:
    assert request_host("http://[::1]:8766/a") == "[::1]:8766"
    assert request_host("https://[2001:DB8::1]/a") == "[2001:db8::1]"
    assert request_host("http://[::1]:80/a") == "[::1]"


def test_an_ipv6_site_is_normalized_with_its_brackets() -> None:
    assert normalize_site("http://[::1]:8766/") == "http://[::1]:8766"
    assert origin("http://[::1]:8766/some/page") == "http://[::1]:8766"
    assert key_file_url("http://[::1]:8766", KEY, None) == f"http://[::1]:8766/{KEY}.txt"


def test_ipv6_hosts_compare_by_address_and_port() -> None:
    assert same_host("http://[::1]:8766/a", "https://[::1]:8766/b")
    assert not same_host("http://[::1]:8766/a", "http://[::1]:8767/a")
    assert not same_host("http://[::1]:8766/a", "http://127.0.0.1:8766/a")
    kept, skipped = filter_in_scope(
        ["http://[::1]:8766/a", "http://[::2]:8766/b"], "http://[::1]:8766", None
    )
    assert kept == ["http://[::1]:8766/a"]
    assert [s.url for s in skipped] == ["http://[::2]:8766/b"]
    assert "[::1]:8766" in skipped[0].reason
    assert [b.host for b in make_batches(["http://[::1]:8766/a"])] == ["[::1]:8766"]


@pytest.fixture
def v6_site() -> Iterator[SiteServer]:
    try:
        server = SiteServer(bind="::1")
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback on this machine ({exc})")
    with server:
        server.route(f"/{KEY}.txt", KEY, content_type="text/plain")
        for name in ("old", "new", "a", "b", "c"):  # live pages: the checks pass them
            server.route(f"/{name}", "<!doctype html><title>p</title>", content_type="text/html")
        yield server


def _urlset(*locs: str) -> str:
    return "<urlset>" + "".join(f"<url><loc>{u}</loc></url>" for u in locs) + "</urlset>"


def _run(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(cli, [*args, "--json"], env={"INDEXNOW_KEY": KEY})
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_sync_to_an_ipv6_site_sends_the_bracketed_host(v6_site: SiteServer, tmp_path: Path) -> None:
    v6_site.route("/sitemap.xml", _urlset(v6_site.url("old")))
    (tmp_path / "sitemap.xml").write_text(_urlset(v6_site.url("old"), v6_site.url("new")))
    with IndexNowServer() as endpoint:
        code, report, stderr = _run(
            "sync",
            "--site",
            v6_site.base_url,
            "--build",
            str(tmp_path),
            "--endpoint",
            endpoint.endpoint,
        )
        assert code == 0, stderr
        assert endpoint.accepted == [v6_site.url("new")]
        assert [r.host for r in endpoint.requests] == [f"[::1]:{v6_site.port}"]
    assert report["site"] == v6_site.base_url
    assert report["skipped"] == []


def test_a_site_inferred_from_live_or_from_the_urls_keeps_its_brackets(
    v6_site: SiteServer, tmp_path: Path
) -> None:
    v6_site.route("/sitemap.xml", _urlset())
    (tmp_path / "sitemap.xml").write_text(_urlset(v6_site.url("a")))
    with IndexNowServer() as endpoint:
        code, report, stderr = _run(
            "sync",
            "--live",
            v6_site.url("sitemap.xml"),
            "--build",
            str(tmp_path),
            "--endpoint",
            endpoint.endpoint,
        )
        assert code == 0, stderr
        assert report["site"] == v6_site.base_url
        assert report["submitted"] == [v6_site.url("a")]

        code, report, stderr = _run(
            "submit", v6_site.url("b"), v6_site.url("c"), "--endpoint", endpoint.endpoint
        )
        assert code == 0, stderr
        assert report["site"] == v6_site.base_url
        assert report["skipped"] == []
        assert sorted(endpoint.accepted) == sorted(v6_site.url(p) for p in "abc")

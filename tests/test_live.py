"""The live side of the diff through ``indexnow-sync plan``: discovery, and every way a live
site can be unhealthy (issue 2: 404, 503, HTML fallback, slow, gzip, redirect off-host, huge
body). A 404 for every discovered sitemap means "first deploy"; a 404 for one the user named
is an error (issue 19); anything transient is an error, never an empty site.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from tests.siteserver import SiteServer, gzip_bomb


def urlset(entries: dict[str, str | None]) -> str:
    items = "".join(
        f"<url><loc>{loc}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"
        for loc, lastmod in entries.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
    )


def sitemap_index(children: list[str]) -> str:
    items = "".join(f"<sitemap><loc>{child}</loc></sitemap>" for child in children)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}'
        "</sitemapindex>"
    )


class Site:
    """One test's site: the live server and a build folder whose URLs are on the same host."""

    def __init__(self, server: SiteServer, tmp_path: Path) -> None:
        self.server = server
        self.base = server.base_url
        self.build = tmp_path / "build"
        self.build.mkdir()
        self.plan = tmp_path / "plan.json"

    def u(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def write_build(self, entries: dict[str, str | None]) -> None:
        (self.build / "sitemap.xml").write_text(urlset(entries), encoding="utf-8")

    def plan_cmd(self, *extra: str) -> tuple[int, dict[str, Any], str]:
        args = ["plan", "--site", self.base, "--build", str(self.build), "--out", str(self.plan)]
        result = CliRunner().invoke(cli, [*args, *extra, "--json"], env={"INDEXNOW_KEY": None})
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, result.stdout + result.stderr
        return result.exit_code, json.loads(lines[0]), result.stderr


@pytest.fixture
def site(site_server: SiteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    monkeypatch.chdir(tmp_path)  # no indexnow.yml from the repo may leak in
    return Site(site_server, tmp_path)


OLD = {"a": "2024-01-01", "b": "2024-01-01", "gone": "2024-01-01"}
NEW = {"a": "2024-01-01", "b": "2024-06-01", "new": "2024-06-01"}


def live_and_build(site: Site) -> str:
    """Write the build (NEW) and return the live sitemap (OLD) as XML."""
    site.write_build({site.u(k): v for k, v in NEW.items()})
    return urlset({site.u(k): v for k, v in OLD.items()})


def assert_expected_delta(site: Site, report: dict[str, Any]) -> None:
    assert report["added"] == [site.u("new")]
    assert report["changed"] == [site.u("b")]
    assert report["removed"] == [site.u("gone")]


# --- discovery ----------------------------------------------------------------------------------


def test_robots_txt_sitemap_lines_are_read_as_a_union(site: Site) -> None:
    site.write_build({site.u("a"): None, site.u("b"): None, site.u("c"): None})
    site.server.route(
        "/robots.txt",
        f"User-agent: *\nDisallow:\nSitemap: {site.u('one.xml')}\nsitemap: {site.u('two.xml')}\n",
    )
    site.server.route("/one.xml", urlset({site.u("a"): None}))
    site.server.route("/two.xml", urlset({site.u("b"): None}))
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert report["added"] == [site.u("c")]
    assert report["removed"] == []
    assert site.server.hits("/sitemap.xml") == 0


def test_a_sitemap_line_cut_at_500_kib_is_not_read(site: Site) -> None:
    # The last line of a robots.txt cut at 500 KiB may be half a URL: /cut.xml of
    # /cut.xml-full.xml here. It was read as a live sitemap before.
    site.write_build({site.u("a"): None})
    site.server.route("/sitemap.xml", urlset({site.u("a"): None}))
    site.server.route("/cut.xml", urlset({site.u("a"): None, site.u("b"): None}))
    line = f"Sitemap: {site.u('cut.xml')}".encode()
    filler = b"# " + b"x" * (500 * 1024 - len(line) - 3) + b"\n"
    site.server.route("/robots.txt", filler + line + b"-full.xml\n")
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert report["removed"] == []
    assert site.server.hits("/cut.xml") == 0
    assert site.server.hits("/sitemap.xml") == 1  # no usable Sitemap line: the usual name


@pytest.mark.parametrize("name", ["sitemap.xml", "sitemap-index.xml", "sitemap_index.xml"])
def test_robots_404_falls_back_to_the_usual_names(site: Site, name: str) -> None:
    site.server.route(f"/{name}", live_and_build(site))
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)
    assert site.server.hits("/robots.txt") == 1
    # The live sitemap is read once: a status probe before the read was a second GET of
    # what may be a generated sitemap, and two readings of a site mid-deploy can differ.
    assert site.server.hits(f"/{name}") == 1


def test_robots_503_is_an_error(site: Site) -> None:
    site.server.route("/sitemap.xml", live_and_build(site))
    site.server.route("/robots.txt", "down", status=503)
    code, report, _ = site.plan_cmd()
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert "503" in report["error"]["message"]
    assert not site.plan.exists()


def test_no_live_sitemap_anywhere_is_a_first_deploy(site: Site) -> None:
    site.write_build({site.u("a"): None, site.u("b"): "2024-01-01"})
    code, report, stderr = site.plan_cmd()
    assert code == 0, report
    assert sorted(report["added"]) == [site.u("a"), site.u("b")]
    assert report["changed"] == report["removed"] == []
    assert any("first deploy" in w for w in report["warnings"])
    assert "first deploy" in stderr


def test_live_503_is_never_everything_added(site: Site) -> None:
    live_and_build(site)
    site.server.route("/sitemap.xml", "busy", status=503)
    code, report, _ = site.plan_cmd()
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert report["added"] == []
    assert not site.plan.exists()


def test_html_fallback_page_is_an_error_that_says_html(site: Site) -> None:
    live_and_build(site)
    spa = "<!doctype html><html><head><title>App</title></head><body><div id=app></div></html>"
    site.server.route("/sitemap.xml", spa, content_type="text/html; charset=utf-8")
    code, report, stderr = site.plan_cmd()
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert "html" in report["error"]["message"].lower()
    assert "html" in stderr.lower()


def test_slow_live_sitemap_beyond_timeout_is_an_error(site: Site) -> None:
    site.server.route("/sitemap.xml", live_and_build(site), delay=2.0)
    code, report, _ = site.plan_cmd("--timeout", "0.5")
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert "time" in report["error"]["message"].lower()


def test_gzip_content_encoding_is_decoded(site: Site) -> None:
    site.server.route("/sitemap.xml", live_and_build(site), gzip_encoding=True)
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)


def test_gzip_body_recognised_by_magic(site: Site) -> None:
    body = gzip.compress(live_and_build(site).encode())
    site.server.route("/robots.txt", f"Sitemap: {site.u('sitemap.xml.gz')}\n")
    site.server.route("/sitemap.xml.gz", body, content_type="application/octet-stream")
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)


def test_redirect_within_host_is_followed(site: Site) -> None:
    site.server.route("/sitemap.xml", redirect_to=site.u("real/sitemap.xml"), status=301)
    site.server.route("/real/sitemap.xml", live_and_build(site))
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)


def test_redirect_to_another_host_is_an_error(site: Site) -> None:
    xml = live_and_build(site)
    other = site.server.url("elsewhere.xml", host="localhost")
    site.server.route("/sitemap.xml", redirect_to=other)
    site.server.route("/elsewhere.xml", xml)
    code, report, _ = site.plan_cmd()
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert site.server.hits("/elsewhere.xml") == 0


def test_huge_body_beyond_limit_is_an_error(site: Site) -> None:
    live_and_build(site)
    site.server.route_huge("/sitemap.xml", 3_000_000, content_type="application/xml")
    code, report, _ = site.plan_cmd("--max-sitemap-bytes", "100000")
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert "larger than" in report["error"]["message"]
    assert report["added"] == []


def test_huge_body_without_content_length_is_an_error(site: Site) -> None:
    live_and_build(site)
    site.server.route_huge(
        "/sitemap.xml", 3_000_000, content_type="application/xml", headers={"Content-Length": ""}
    )
    code, report, _ = site.plan_cmd("--max-sitemap-bytes", "100000")
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert "larger than" in report["error"]["message"]


# --- live sitemap indexes -------------------------------------------------------------------------


def test_live_index_children_are_fetched(site: Site) -> None:
    live_and_build(site)
    site.server.route("/sitemap.xml", sitemap_index([site.u("s-0.xml"), "/s-1.xml"]))
    site.server.route("/s-0.xml", urlset({site.u("a"): "2024-01-01", site.u("b"): "2024-01-01"}))
    site.server.route("/s-1.xml", urlset({site.u("gone"): "2024-01-01"}))
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)
    assert site.server.hits("/s-0.xml") == site.server.hits("/s-1.xml") == 1


def test_live_index_child_500_is_an_error(site: Site) -> None:
    live_and_build(site)
    site.server.route("/sitemap.xml", sitemap_index([site.u("s-0.xml"), site.u("s-1.xml")]))
    site.server.route("/s-0.xml", urlset({site.u("a"): "2024-01-01"}))
    site.server.route("/s-1.xml", "oops", status=500)
    code, report, _ = site.plan_cmd()
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert "s-1.xml" in report["error"]["message"]
    assert not site.plan.exists()


def test_live_index_child_404_is_an_error_not_missing_urls(site: Site) -> None:
    live_and_build(site)
    site.server.route("/sitemap.xml", sitemap_index([site.u("s-0.xml"), site.u("s-1.xml")]))
    site.server.route("/s-0.xml", urlset({site.u("a"): "2024-01-01"}))
    code, report, _ = site.plan_cmd()
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"


def test_live_index_child_on_another_host_is_skipped_with_a_warning(site: Site) -> None:
    live_and_build(site)
    foreign = site.server.url("foreign.xml", host="localhost")
    site.server.route("/sitemap.xml", sitemap_index([site.u("s-0.xml"), foreign]))
    site.server.route("/s-0.xml", urlset({site.u(k): v for k, v in OLD.items()}))
    site.server.route("/foreign.xml", urlset({site.u("new"): "2024-06-01"}))
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)
    assert site.server.hits("/foreign.xml") == 0
    assert any(foreign in w for w in report["warnings"])


def test_explicit_live_url_skips_discovery(site: Site) -> None:
    site.server.route("/custom/map.xml", live_and_build(site))
    site.server.route("/robots.txt", "down", status=503)  # would fail discovery
    code, report, _ = site.plan_cmd("--live", site.u("custom/map.xml"))
    assert code == 0, report
    assert_expected_delta(site, report)
    assert site.server.hits("/robots.txt") == 0


@pytest.mark.parametrize("where", ["flag", "env", "config"])
def test_a_named_live_sitemap_answering_404_is_an_error_not_a_first_deploy(
    site: Site, where: str, tmp_path: Path
) -> None:
    # Issue 19: a typo in --live (sitemp.xml) read as "first deploy" would submit the whole
    # site. Before the fix: exit 0, every build URL added.
    site.server.route("/sitemap.xml", live_and_build(site))
    typo = site.u("sitemp.xml")
    if where == "flag":
        code, report, stderr = site.plan_cmd("--live", typo)
    elif where == "env":
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("INDEXNOW_LIVE", typo)
            code, report, stderr = site.plan_cmd()
    else:
        (tmp_path / "indexnow.yml").write_text(f"live: {typo}\n", encoding="utf-8")
        code, report, stderr = site.plan_cmd()
    assert code == 1, report
    assert report["error"]["kind"] == "live_sitemap"
    first, *rest = report["error"]["message"].splitlines()
    # (plan submits nothing ever: it says what it did not do; and where the URL came from)
    named = {"flag": "--live", "env": "INDEXNOW_LIVE", "config": "indexnow.yml: live"}[where]
    assert first == f"no sitemap at {typo} (HTTP 404): check {named}; no plan was written"
    assert any(line.startswith("fix: ") and named in line for line in rest)
    assert report["added"] == [] and not site.plan.exists()
    assert f"error: no sitemap at {typo}" in stderr


def test_a_named_live_sitemap_answering_404_sends_nothing(site: Site, tmp_path: Path) -> None:
    from tests.indexnow_server import IndexNowServer

    site.write_build({site.u("a"): None, site.u("b"): None})
    key = "0123456789abcdef0123456789abcdef"
    site.server.route(f"/{key}.txt", key)
    with IndexNowServer() as endpoint:
        result = CliRunner().invoke(
            cli,
            ["sync", "--site", site.base, "--build", str(site.build), "--key", key,
             "--live", site.u("sitemp.xml"), "--endpoint", endpoint.endpoint, "--check", "off"],
        )  # fmt: skip
        assert result.exit_code == 1, result.stderr
        assert endpoint.requests == []
    assert "error: no sitemap at" in result.stderr


def test_robots_listed_sitemaps_all_404_are_still_a_first_deploy(site: Site) -> None:
    # Discovered (robots.txt), not named by the user: a first deploy, as SPEC says.
    site.write_build({site.u("a"): None})
    site.server.route("/robots.txt", f"User-agent: *\nSitemap: {site.u('gone.xml')}\n")
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert report["added"] == [site.u("a")]
    assert any("first deploy" in warning for warning in report["warnings"])


def test_plan_file_records_the_delta(site: Site) -> None:
    site.server.route("/sitemap.xml", live_and_build(site))
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    text = site.plan.read_text(encoding="utf-8")
    for url in (site.u("new"), site.u("b"), site.u("gone")):
        assert url in text
    assert f'"{site.u("a")}"' not in text  # unchanged pages are not in the plan


def test_trickled_body_slower_than_timeout_gives_up(site: Site) -> None:
    # Each chunk arrives well within the timeout, the whole body never does: a per-read
    # timeout alone would wait ~1,000 s here.
    xml = live_and_build(site).encode() + b" " * 20_000
    site.server.route("/sitemap.xml", xml, trickle=0.05, trickle_chunk=20)
    started = time.monotonic()
    code, report, _ = site.plan_cmd("--timeout", "0.5")
    assert time.monotonic() - started < 10
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"


def test_live_410_is_a_first_deploy(site: Site) -> None:
    site.write_build({site.u("a"): None})
    site.server.route("/sitemap.xml", "gone", status=410)
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert report["added"] == [site.u("a")]


def test_robots_sitemap_on_another_host_is_ignored(site: Site) -> None:
    foreign = site.server.url("foreign.xml", host="localhost")
    site.server.route("/robots.txt", f"Sitemap: {foreign}\n")
    site.server.route("/foreign.xml", urlset({site.u("zzz"): None}))
    site.server.route("/sitemap.xml", live_and_build(site))
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)
    assert site.server.hits("/foreign.xml") == 0
    assert any(foreign in w for w in report["warnings"])


def test_robots_txt_served_as_html_falls_back(site: Site) -> None:
    site.server.route("/robots.txt", "<!doctype html><html></html>", content_type="text/html")
    site.server.route("/sitemap.xml", live_and_build(site))
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)


def test_live_sitemap_dropped_connection_is_an_error(site: Site) -> None:
    live_and_build(site)
    site.server.route("/sitemap.xml", drop=True)
    code, report, _ = site.plan_cmd()
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"


def test_live_sitemap_truncated_body_is_an_error(site: Site) -> None:
    xml = live_and_build(site)
    site.server.route("/sitemap.xml", xml, cut_after=len(xml) // 2)
    code, report, _ = site.plan_cmd()
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"


def test_gzip_bomb_beyond_limit_is_an_error(site: Site) -> None:
    live_and_build(site)
    site.server.route("/robots.txt", f"Sitemap: {site.u('sitemap.xml.gz')}\n")
    site.server.route("/sitemap.xml.gz", gzip_bomb(5_000_000), content_type="application/gzip")
    code, report, _ = site.plan_cmd("--max-sitemap-bytes", "100000")
    assert code == 1
    assert report["error"]["kind"] == "live_sitemap"
    assert "more than" in report["error"]["message"]


def test_baseline_skips_the_live_site(site: Site, tmp_path: Path) -> None:
    old = tmp_path / "old.xml"
    old.write_text(live_and_build(site), encoding="utf-8")
    site.server.route("/robots.txt", "down", status=503)
    code, report, _ = site.plan_cmd("--baseline", str(old))
    assert code == 0, report
    assert_expected_delta(site, report)
    assert site.server.requests == []


def test_size_limit_message_states_the_real_limit(site: Site) -> None:
    live_and_build(site)
    site.server.route("/robots.txt", f"Sitemap: {site.u('sitemap.xml.gz')}\n")
    site.server.route("/sitemap.xml.gz", gzip_bomb(5_000_000), content_type="application/gzip")
    code, report, _ = site.plan_cmd("--max-sitemap-bytes", "100000")
    assert code == 1
    assert " 0 MiB" not in report["error"]["message"]


# --- children streamed into the parser, four at a time (issue 11) -------------------------------


def max_in_flight(server: SiteServer, paths: set[str]) -> int:
    """The most requests for ``paths`` the server was answering at the same moment."""
    spans = [(r.time, r.ended) for r in server.requests if r.path in paths]
    return max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)


def test_live_children_are_fetched_concurrently_at_most_four_at_a_time(site: Site) -> None:
    pages = {f"p{i}": "2024-01-01" for i in range(10)}
    site.write_build({site.u(k): v for k, v in pages.items()})
    children = [site.u(f"s-{i}.xml") for i in range(10)]
    site.server.route("/sitemap.xml", sitemap_index(children))
    for i in range(10):
        # Each child takes a while to start answering, as a CMS generating it would.
        site.server.route(f"/s-{i}.xml", urlset({site.u(f"p{i}"): "2024-01-01"}), delay=0.3)
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert report["added"] == report["changed"] == report["removed"] == []
    assert 2 <= max_in_flight(site.server, {f"/s-{i}.xml" for i in range(10)}) <= 4
    assert all(site.server.hits(f"/s-{i}.xml") == 1 for i in range(10))


@pytest.mark.parametrize(
    "failure",
    [
        {"body": "oops", "status": 500},
        {"body": "<!doctype html><html><body>Not here</body></html>", "content_type": "text/html"},
        {"drop": True},
        {"cut": True},
        {"not_well_formed": True},
        {"delay": 3.0},
    ],
    ids=["500", "html", "dropped", "cut", "not-well-formed", "timeout"],
)
def test_one_failing_child_among_many_fails_the_run(site: Site, failure: dict[str, Any]) -> None:
    # Never "everything else removed": one unreadable child makes the live side unreadable.
    live_and_build(site)
    children = [site.u(f"s-{i}.xml") for i in range(8)]
    site.server.route("/sitemap.xml", sitemap_index(children))
    for i in range(8):
        site.server.route(f"/s-{i}.xml", urlset({site.u(f"x{i}"): "2024-01-01"}), delay=0.1)
    bad = urlset({site.u(f"y{i}"): "2024-01-01" for i in range(2000)})
    if failure.pop("cut", False):
        failure = {"body": bad, "cut_after": len(bad) // 2}
    if failure.pop("not_well_formed", False):
        failure = {"body": bad.replace("</url>", "</uri>", 1)}
    site.server.route("/s-5.xml", **failure)
    code, report, _ = site.plan_cmd("--timeout", "1")
    assert code == 1, report
    assert report["error"]["kind"] == "live_sitemap"
    assert "s-5.xml" in report["error"]["message"]
    assert report["added"] == report["removed"] == []
    assert not site.plan.exists()


def test_a_live_page_that_is_not_a_sitemap_is_not_downloaded_in_full(site: Site) -> None:
    # The first bytes already tell: reading stops there (before, the whole body was read).
    live_and_build(site)
    size = 5_000_000
    site.server.route_huge("/sitemap.xml", size, b"<!doctype html><p>app</p>\n", content_type="")
    code, report, _ = site.plan_cmd()
    assert code == 1
    assert "HTML page" in report["error"]["message"]
    assert site.server.wait_idle()
    # (discovery only looks at the status; then the read itself stops early)
    assert all(r.sent < size for r in site.server.requests if r.path == "/sitemap.xml")


def test_live_child_with_raw_ampersands_is_repaired_like_a_file(site: Site) -> None:
    live_and_build(site)
    site.server.route("/sitemap.xml", sitemap_index([site.u("s-0.xml"), site.u("s-1.xml")]))
    site.server.route("/s-0.xml", urlset({site.u(k): v for k, v in OLD.items()}))
    site.server.route("/s-1.xml", urlset({site.u("q?a=1&b=2"): "2024-01-01"}))
    site.write_build(
        {**{site.u(k): v for k, v in NEW.items()}, site.u("q?a=1&amp;b=2"): "2024-01-01"}
    )
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)
    assert any("repaired 1 unescaped '&'" in w for w in report["warnings"])


def test_gzip_children_with_and_without_content_encoding_stream_in(site: Site) -> None:
    live_and_build(site)
    site.server.route("/sitemap.xml", sitemap_index([site.u("s-0.xml.gz"), site.u("s-1.xml")]))
    first: dict[str, str | None] = {site.u("a"): "2024-01-01", site.u("b"): "2024-01-01"}
    site.server.route("/s-0.xml.gz", gzip.compress(urlset(first).encode()))
    site.server.route("/s-1.xml", urlset({site.u("gone"): "2024-01-01"}), gzip_encoding=True)
    code, report, _ = site.plan_cmd()
    assert code == 0, report
    assert_expected_delta(site, report)


def test_a_failed_side_does_not_wait_for_the_other_downloads(tmp_path: Path) -> None:
    # Child 0 fails at once; child 1 does not answer for far longer than the run needs. The
    # CLI process must end with the error, not hang until that download times out.
    with SiteServer() as server:
        base = server.base_url
        build = tmp_path / "build"
        build.mkdir()
        (build / "sitemap.xml").write_text(urlset({f"{base}/a": None}), encoding="utf-8")
        server.route("/sitemap.xml", sitemap_index([f"{base}/s-0.xml", f"{base}/s-1.xml"]))
        server.route("/s-0.xml", "oops", status=500, delay=0.2)
        server.route("/s-1.xml", urlset({f"{base}/b": None}), delay=300)
        cmd = [sys.executable, "-c", "from indexnow_sync.cli import main; main()"]
        cmd += ["plan", "--site", base, "--build", str(build), "--out", str(tmp_path / "p.json")]
        # (a hang guard, not a speed test: waiting for child 1 would take 300 s)
        done = subprocess.run(
            [*cmd, "--json", "--timeout", "600"], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1, done.stderr
    assert "s-0.xml" in json.loads(done.stdout)["error"]["message"]

"""A second first-hour review, after issue 19: what a new user tried on main and found wrong.

Each test is one finding of that review (the numbers are the review's), run against the real
CLI and local servers on 127.0.0.1: a robots.txt line that 404s while /sitemap.xml works, a
--report path that cannot be written, verify-key from a key location alone, plan after the
deploy, key-file fetch errors in the message format, endpoint refusals, a URL list bringing in
another scheme, --json in odd endings, a guessed build folder, another key's file, a path
passed as key, fixes that name what the run did, wrong files, click's usage errors, the
build's host checked when the live site does not answer, and the dry run's output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

KEY = "3f9a0c1d2e4b5a6978877665544332211a2b4c8d"
OTHER_KEY = "0000111122223333444455556666777788889999"
PAGE = "<!doctype html><html><head><title>A page</title></head><body>Hello</body></html>"


def urlset(entries: Mapping[str, str | None]) -> str:
    items = "".join(
        f"<url><loc>{loc}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"
        for loc, lastmod in entries.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
    )


class Run:
    """One CLI run (in process): exit code, stdout, stderr, and the --json report."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    @property
    def report(self) -> dict[str, Any]:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, self.stdout + self.stderr
        parsed: dict[str, Any] = json.loads(lines[0])
        return parsed

    @property
    def error_lines(self) -> list[str]:
        """The error's lines on stderr: ``error: ...`` and the indented lines under it."""
        lines = self.stderr.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("error: "))
        block = [lines[start]]
        for line in lines[start + 1 :]:
            if not line.startswith("  "):
                break
            block.append(line)
        return block


def run(*args: str, env: Mapping[str, str | None] | None = None, key: str | None = KEY) -> Run:
    environ: dict[str, str | None] = {"INDEXNOW_KEY": key}
    environ.update(env or {})
    result = CliRunner().invoke(cli, list(args), env=environ)
    return Run(result.exit_code, result.stdout, result.stderr)


def assert_message_format(lines: list[str]) -> None:
    """SPEC's error shape: a short first line, then at most one cause and one fix line."""
    assert lines[0].startswith("error: ")
    assert all(len(line) < 170 for line in lines), lines
    fixes = [line for line in lines if line.strip().startswith("fix:")]
    assert len(fixes) <= 1, lines
    assert len(lines) <= 3, lines


class World:
    """A live site (old sitemap, key file, pages) and a build folder with a newer sitemap."""

    def __init__(self, server: SiteServer, endpoint: IndexNowServer, tmp: Path) -> None:
        self.server = server
        self.endpoint = endpoint
        self.base = server.base_url
        self.tmp = tmp
        self.build = tmp / "dist"
        self.build.mkdir()
        self.plan = tmp / "plan.json"
        server.route(f"/{KEY}.txt", KEY, content_type="text/plain")

    def u(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def live(self, entries: Mapping[str, str | None], path: str = "/sitemap.xml") -> None:
        self.server.route(path, urlset({self.u(k): v for k, v in entries.items()}))

    def built(self, entries: Mapping[str, str | None], *, deployed: bool = True) -> None:
        (self.build / "sitemap.xml").write_text(
            urlset({self.u(k): v for k, v in entries.items()}), encoding="utf-8"
        )
        if deployed:
            for path in entries:
                self.server.route(f"/{path.lstrip('/')}", PAGE, content_type="text/html")

    def sync(self, *extra: str, key: str | None = KEY) -> Run:
        return run(
            "sync", "--site", self.base, "--build", str(self.build),
            "--endpoint", self.endpoint.endpoint, *extra, key=key,
        )  # fmt: skip

    def plan_cmd(self, *extra: str, key: str | None = KEY) -> Run:
        return run(
            "plan", "--site", self.base, "--build", str(self.build), "--out", str(self.plan),
            *extra, key=key,
        )  # fmt: skip


@pytest.fixture
def endpoint() -> Iterator[IndexNowServer]:
    with IndexNowServer() as server:
        yield server


@pytest.fixture
def world(
    site_server: SiteServer,
    endpoint: IndexNowServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    monkeypatch.chdir(tmp_path)  # no indexnow.yml from the repo may leak in
    for name in ("INDEXNOW_LIVE", "INDEXNOW_BASELINE", "INDEXNOW_SITE", "INDEXNOW_BUILD"):
        monkeypatch.delenv(name, raising=False)
    return World(site_server, endpoint, tmp_path)


OLD = {"a": "2024-01-01", "b": "2024-01-01", "gone": "2024-01-01"}
NEW = {"a": "2024-01-01", "b": "2024-06-01", "new": "2024-06-01"}


# --- 1. a robots.txt Sitemap: line that 404s ------------------------------------------------


def test_a_stale_robots_sitemap_line_falls_back_to_the_default_names(world: World) -> None:
    world.server.route("/robots.txt", f"User-agent: *\nSitemap: {world.u('sitemp.xml')}\n")
    world.live(OLD)
    world.built(NEW)
    done = world.plan_cmd("--json")
    assert done.code == 0, done.stderr
    report = done.report
    # The diff is against /sitemap.xml, not "first deploy, everything added".
    assert report["added"] == [world.u("new")]
    assert report["changed"] == [world.u("b")]
    assert report["removed"] == [world.u("gone")]
    assert not any("first deploy" in warning for warning in report["warnings"])
    stale = [w for w in report["warnings"] if world.u("sitemp.xml") in w]
    assert len(stale) == 1, report["warnings"]
    assert "robots.txt" in stale[0] and "404" in stale[0]
    assert world.server.hits("/sitemap.xml") == 1


def test_robots_sitemaps_that_partly_work_are_still_their_union_alone(world: World) -> None:
    world.server.route(
        "/robots.txt",
        f"User-agent: *\nSitemap: {world.u('one.xml')}\nSitemap: {world.u('gone.xml')}\n",
    )
    world.live({"a": "2024-01-01"}, "/one.xml")
    world.live(OLD)  # not read: robots.txt names sitemaps that work
    world.built({"a": "2024-01-01", "new": None})
    done = world.plan_cmd("--json")
    assert done.code == 0, done.stderr
    assert done.report["added"] == [world.u("new")]
    assert done.report["removed"] == []
    assert world.server.hits("/sitemap.xml") == 0
    assert any(world.u("gone.xml") in w for w in done.report["warnings"])


def test_a_first_deploy_warning_names_exactly_what_was_tried(world: World) -> None:
    world.server.route("/robots.txt", f"User-agent: *\nSitemap: {world.u('sitemp.xml')}\n")
    world.built({"a": None})
    done = world.plan_cmd("--json")
    assert done.code == 0, done.stderr
    first = [w for w in done.report["warnings"] if "first deploy" in w]
    assert len(first) == 1, done.report["warnings"]
    for tried in ("sitemp.xml", "/sitemap.xml", "/sitemap-index.xml", "/sitemap_index.xml"):
        assert tried in first[0]
    for name in ("/sitemap.xml", "/sitemap-index.xml", "/sitemap_index.xml"):
        assert world.server.hits(name) == 1


def test_a_first_deploy_without_robots_txt_says_it_answered_404(world: World) -> None:
    world.built({"a": None})
    done = world.plan_cmd("--json")
    first = [w for w in done.report["warnings"] if "first deploy" in w]
    assert len(first) == 1, done.report["warnings"]
    assert f"{world.base}/robots.txt answered 404" in first[0]

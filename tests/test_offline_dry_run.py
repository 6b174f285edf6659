"""SPEC "Key file rules": with --baseline and no reachable site, a dry run checks the built key
file only, and says so. Only a dry run, only with a baseline, only when the site cannot be
reached, and only when the built file passed: everything else still needs the hosted file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from indexnow_sync.cli import cli
from tests.siteserver import SiteServer

KEY = "3f9a0c1d2e4b5a6978877665544332211a2b4c8d"
SHOWN = "3f9a…4c8d"


def urlset(*locs: str) -> str:
    items = "".join(f"<url><loc>{loc}</loc><lastmod>2024-06-01</lastmod></url>" for loc in locs)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


@pytest.fixture
def closed_site() -> str:
    """The base URL of a site that no longer answers (its port is closed)."""
    with SiteServer() as server:
        base = server.base_url
    return base


def prepare(tmp_path: Path, site: str, key_body: bytes | None) -> tuple[Path, Path]:
    build = tmp_path / "build"
    build.mkdir()
    (build / "sitemap.xml").write_text(urlset(f"{site}/a", f"{site}/new"), "utf-8")
    if key_body is not None:
        (build / f"{KEY}.txt").write_bytes(key_body)
    baseline = tmp_path / "previous.xml"
    baseline.write_text(urlset(f"{site}/a"), "utf-8")
    return build, baseline


def sync(site: str, build: Path, baseline: Path, *extra: str) -> tuple[Result, dict[str, Any]]:
    args = ["sync", "--site", site, "--build", str(build), "--baseline", str(baseline)]
    args += ["--endpoint", "http://127.0.0.1:9/indexnow", *extra]
    result = CliRunner().invoke(cli, args, env={"INDEXNOW_KEY": KEY, "GITHUB_ACTIONS": None})
    json_lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    report: dict[str, Any] = json.loads(json_lines[0]) if json_lines else {}
    return result, report


def test_dry_run_with_baseline_and_unreachable_site_checks_the_built_file_and_says_so(
    tmp_path: Path, closed_site: str
) -> None:
    build, baseline = prepare(tmp_path, closed_site, KEY.encode())
    # --check off: the page checks need the site (an unreachable robots.txt stops the run,
    # RFC 9309); this is about the key check alone.
    result, report = sync(closed_site, build, baseline, "--dry-run", "--check", "off", "--json")
    assert result.exit_code == 0, result.stderr
    check = report["key_check"]
    assert check["ok"] is True
    assert check["local_only"] is True
    assert SHOWN in check["url"] and check["url"].endswith(f"build/{SHOWN}.txt")
    assert report["would_submit"] == [f"{closed_site}/new"]
    human, _ = sync(closed_site, build, baseline, "--dry-run", "--check", "off")
    assert human.exit_code == 0, human.stderr
    (line,) = [line for line in human.stderr.splitlines() if line.startswith("key file ")]
    # It says that only the built file was checked, and why the hosted one was not.
    assert ": ok (built file only: the hosted key file could not be fetched" in line
    assert KEY not in human.stderr + human.stdout


def test_the_built_file_must_still_pass(tmp_path: Path, closed_site: str) -> None:
    build, baseline = prepare(tmp_path, closed_site, KEY.encode() + b"\n")
    result, report = sync(closed_site, build, baseline, "--dry-run", "--json")
    assert result.exit_code == 1
    assert report["key_check"]["ok"] is False
    assert report["key_check"]["problem"] == "ends with a newline (\\n)"


def test_without_a_built_key_file_an_unreachable_site_fails(
    tmp_path: Path, closed_site: str
) -> None:
    build, baseline = prepare(tmp_path, closed_site, None)
    result, report = sync(closed_site, build, baseline, "--dry-run", "--json")
    assert result.exit_code == 1
    assert report["key_check"]["ok"] is False
    assert report["key_check"]["local_only"] is False


def test_a_real_run_never_settles_for_the_built_file(tmp_path: Path, closed_site: str) -> None:
    build, baseline = prepare(tmp_path, closed_site, KEY.encode())
    result, report = sync(closed_site, build, baseline, "--json")
    assert result.exit_code == 1
    assert report["key_check"]["ok"] is False
    assert report["submitted"] == []


def test_a_reachable_site_with_a_missing_key_file_is_not_excused(
    tmp_path: Path, site_server: SiteServer
) -> None:
    # The site answers (404): that is a real problem, not "could not check".
    build, baseline = prepare(tmp_path, site_server.base_url, KEY.encode())
    result, report = sync(site_server.base_url, build, baseline, "--dry-run", "--json")
    assert result.exit_code == 1
    assert report["key_check"]["ok"] is False
    assert "HTTP 404" in report["key_check"]["problem"]


def test_an_offline_dry_run_with_the_default_checks_says_what_it_could_not_check(
    tmp_path: Path, closed_site: str
) -> None:
    build, baseline = prepare(tmp_path, closed_site, KEY.encode())
    result, report = sync(closed_site, build, baseline, "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    assert report["key_check"]["local_only"] is True
    assert report["would_submit"] == [f"{closed_site}/new"]
    assert any("robots.txt and the pages were not checked" in w for w in report["warnings"])
    # A real run still needs the site: without --dry-run nothing is sent on doubt.
    real, real_report = sync(closed_site, build, baseline, "--json")
    assert real.exit_code == 1
    assert real_report["submitted"] == []

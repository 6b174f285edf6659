"""Re-running a deploy job: ``plan`` keeps a plan of the same build that still has URLs to
send (a re-run sees the site already deployed, so a fresh diff would find nothing), and never
silently drops the pending URLs of another build's plan. Runs the real CLI against a local
site and the strict local IndexNow endpoint; each URL must be accepted exactly once.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from tests.indexnow_server import Answer, IndexNowServer
from tests.siteserver import SiteServer

KEY = "0123456789abcdef0123456789abcdef"


def urlset(base: str, pages: dict[str, str]) -> str:
    items = "".join(
        f"<url><loc>{base}{path}</loc><lastmod>{day}</lastmod></url>" for path, day in pages.items()
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


class Job:
    """A deploy job's world: the live folder the site serves, builds, the plan file."""

    def __init__(self, site: SiteServer, endpoint: IndexNowServer, tmp: Path) -> None:
        self.site = site
        self.endpoint = endpoint
        self.base = site.base_url
        self.live = tmp / "live"
        self.live.mkdir()
        self.tmp = tmp
        self.plan = tmp / "plan.json"
        site.serve_dir(self.live)
        self.build({"/": "2024-01-01", "/old/": "2024-01-01"}, "v0")
        self.deploy("v0")

    def build(self, pages: dict[str, str], name: str) -> Path:
        folder = self.tmp / name
        folder.mkdir()
        (folder / "sitemap.xml").write_text(urlset(self.base, pages), encoding="utf-8")
        # The pages themselves, so the checks before submitting pass; a page's content
        # changes exactly when its lastmod does.
        for path, day in pages.items():
            (folder / path.strip("/")).mkdir(parents=True, exist_ok=True)
            (folder / path.strip("/") / "index.html").write_text(
                f"<html><head></head><body>{path} of {day}</body></html>"
            )
        (folder / f"{KEY}.txt").write_text(KEY, encoding="utf-8")
        return folder

    def deploy(self, name: str) -> None:
        shutil.rmtree(self.live)
        shutil.copytree(self.tmp / name, self.live)

    def run(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = CliRunner().invoke(
            cli,
            [*args, "--site", self.base, "--json"],
            env={"INDEXNOW_KEY": KEY, "GITHUB_ACTIONS": None, "GITHUB_OUTPUT": None},
        )
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, result.stdout + result.stderr
        report: dict[str, Any] = json.loads(lines[0])
        return result.exit_code, report

    def plan_for(self, name: str) -> tuple[int, dict[str, Any]]:
        return self.run("plan", "--build", str(self.tmp / name), "--out", str(self.plan))

    def submit(self) -> tuple[int, dict[str, Any]]:
        return self.run("submit", "--plan", str(self.plan), "--endpoint", self.endpoint.endpoint)


@pytest.fixture
def job(site_server: SiteServer, tmp_path: Path) -> Iterator[Job]:
    with IndexNowServer() as endpoint:
        yield Job(site_server, endpoint, tmp_path)


def test_rerun_after_a_failed_submit_keeps_the_plan_and_sends_each_url_once(job: Job) -> None:
    job.build({"/": "2024-02-01", "/old/": "2024-01-01", "/new/": "2024-02-01"}, "v1")
    wanted = [job.base + "/", job.base + "/new/"]

    # Attempt 1: plan, deploy, the endpoint refuses (nothing accepted): the job fails.
    code, first = job.plan_for("v1")
    assert code == 0 and sorted(first["added"] + first["changed"]) == sorted(wanted)
    job.deploy("v1")
    job.endpoint.script(Answer(status=422, body="try later"))
    code, _failed = job.submit()
    assert code == 1 and job.endpoint.accepted == []

    # Attempt 2 (the plan file restored from the cache): the site already serves v1, so a
    # fresh diff finds nothing; plan must keep the plan of this same build.
    code, again = job.plan_for("v1")
    assert code == 0
    assert sorted(again["added"] + again["changed"]) == sorted(wanted)
    assert any("kept the existing plan" in note for note in again["notes"])
    job.deploy("v1")
    code, sent = job.submit()
    assert code == 0 and sorted(sent["submitted"]) == sorted(wanted)

    # Attempt 3 (re-run of a green job): nothing pending, nothing sent again.
    assert job.plan_for("v1")[0] == 0
    code, idle = job.submit()
    assert code == 0 and idle["submitted"] == []
    assert job.endpoint.accepted_counts() == dict.fromkeys(wanted, 1)


def two_builds(job: Job) -> None:
    pages = {"/": "2024-01-01", "/old/": "2024-01-01", "/a/": "2024-02-01"}
    job.build(pages, "v1")
    job.build({**pages, "/b/": "2024-03"}, "v2")


def test_pending_urls_of_another_builds_plan_are_carried_over_with_a_warning(job: Job) -> None:
    two_builds(job)  # v1 adds /a/, v2 also /b/
    # v1 was planned and deployed, but its submit never ran (the job was cancelled).
    assert job.plan_for("v1")[0] == 0
    job.deploy("v1")

    code, report = job.plan_for("v2")  # the next commit's job: its own delta is only /b/
    assert code == 0
    assert sorted(report["added"]) == [job.base + "/a/", job.base + "/b/"]
    assert any("never submitted" in w and "carried" in w for w in report["warnings"])
    # The carried URL keeps its build lastmod: submit --plan --wait needs it to tell "live".
    plan = json.loads(job.plan.read_text(encoding="utf-8"))
    assert plan["lastmods"] == {job.base + "/a/": "2024-02-01", job.base + "/b/": "2024-03"}
    job.deploy("v2")
    assert job.submit()[0] == 0
    assert job.endpoint.accepted_counts() == {job.base + "/a/": 1, job.base + "/b/": 1}


def test_a_finished_plan_of_another_build_is_simply_replaced(job: Job) -> None:
    two_builds(job)  # v1 adds /a/, v2 also /b/
    assert job.plan_for("v1")[0] == 0
    job.deploy("v1")
    assert job.submit()[0] == 0
    code, report = job.plan_for("v2")
    assert code == 0
    assert report["added"] == [job.base + "/b/"]
    assert report["warnings"] == [] and report["notes"] == []

"""Issue 8 acceptance: waiting for the deploy, end to end against a real local site whose
content switches from the old build to the new one (tests/siteserver.py ``deploy``) and the
strict local IndexNow endpoint.

In-process runs inject the clock and the sleep (the site server's switches run on the same fake
clock), so a 10-minute wait takes no real time and every pause is asserted exactly. The CLI
runs use sub-second ``--wait`` values and switches triggered by request counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from indexnow_sync.config import Config
from indexnow_sync.errors import DeferredError, UsageError
from indexnow_sync.plan import read_plan
from indexnow_sync.sync import Outcome, run_plan, run_submit_plan, run_submit_urls, run_sync
from indexnow_sync.wait import PollPolicy
from tests.faketime import FakeTime
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

KEY = "7c1e9a3b5d2f4e6a8b0c1d3e5f7a9b2c"

OLD = {"/": "2024-01-01", "/about/": "2024-01-01", "/gone/": "2024-01-01"}
NEW = {
    "/": "2024-03-01",  # changed
    "/about/": "2024-01-01",  # unchanged
    "/blog/new/": "2024-03-01",  # added
    "/blog/two/": "2024-03-02T10:00:00+02:00",  # added
}  # /gone/ removed


class World:
    """The old build deployed on a local site, the new build on disk (``dist``)."""

    def __init__(self, site: SiteServer, endpoint: IndexNowServer, tmp: Path, fake: FakeTime):
        self.site, self.endpoint, self.tmp, self.fake = site, endpoint, tmp, fake
        self.old = self.folder("old", OLD)
        self.new = self.folder("dist", NEW)
        site.serve_dir(self.old)
        self.lines: list[str] = []

    def u(self, path: str) -> str:
        return self.site.url(path)

    def folder(self, name: str, pages: Mapping[str, str]) -> Path:
        root = self.tmp / name
        root.mkdir()
        entries = "".join(
            f"<url><loc>{self.u(path)}</loc><lastmod>{lastmod}</lastmod></url>"
            for path, lastmod in pages.items()
        )
        (root / "sitemap.xml").write_text(
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>',
            encoding="utf-8",
        )
        (root / f"{KEY}.txt").write_text(KEY, encoding="ascii")
        for path, lastmod in pages.items():
            # A page's content changes exactly when its lastmod does (a well-behaved site).
            page = root / path.strip("/") / "index.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(f"<!doctype html><title>{path}</title><p>{path} of {lastmod}</p>")
        return root

    def config(self, **options: Any) -> Config:
        base = Config(
            site=self.site.base_url,
            build=self.new,
            key=KEY,
            endpoint=self.endpoint.endpoint,
            wait=600.0,
        )
        return replace(base, **options)

    def pacing(self) -> PollPolicy:
        return self.fake.policy()

    def run(self, action: Callable[[], Outcome]) -> tuple[Outcome, DeferredError | None]:
        try:
            return action(), None
        except DeferredError as error:
            return error.outcome, error  # type: ignore[attr-defined]

    def sync(self, **options: Any) -> tuple[Outcome, DeferredError | None]:
        config = self.config(**options)
        return self.run(lambda: run_sync(config, self.lines.append, pacing=self.pacing()))

    def plan(self) -> Path:
        path = self.tmp / "plan.json"
        run_plan(self.config(wait=0.0), path)
        return path

    def submit_plan(self, plan: Path, **options: Any) -> tuple[Outcome, DeferredError | None]:
        config = self.config(build=None, **options)
        return self.run(
            lambda: run_submit_plan(config, plan, self.lines.append, pacing=self.pacing())
        )

    def sent(self) -> set[str]:
        return set(self.endpoint.accepted)

    def urls(self, *paths: str) -> set[str]:
        return {self.u(path) for path in paths}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fake = FakeTime(5000.0)
    with SiteServer(clock=fake.clock) as site, IndexNowServer() as endpoint:
        yield World(site, endpoint, tmp_path, fake)


DELTA = ("/", "/blog/new/", "/blog/two/", "/gone/")


def deferred_of(outcome: Outcome) -> dict[str, str]:
    return {d.url: d.reason for d in outcome.deferred}


# --- the whole site switches after a delay --------------------------------------------------


def test_sync_waits_for_the_whole_site_then_sends_exactly_the_delta(world: World) -> None:
    world.site.deploy(world.new, after_seconds=20)
    outcome, error = world.sync()
    assert error is None
    assert world.sent() == world.urls(*DELTA)
    assert world.endpoint.accepted_counts().most_common(1)[0][1] == 1
    # The delta came from the live sitemap, so the first new reading comes after 5 s; the
    # third one (at 23.75 s) sees the new build. The pages were live at once.
    assert world.fake.sleeps == [5.0, 7.5, 11.25]
    assert outcome.waiting == {
        "seconds": 600.0,
        "waited": 23.75,
        "sitemap_reads": 3,
        "page_rechecks": 0,
    }
    assert outcome.deferred == ()
    sitemap_lines = [line for line in world.lines if line.startswith("live sitemap:")]
    assert sitemap_lines == [
        "live sitemap: 0 of 3 delta entries live, waiting up to 10m00s more",
        "live sitemap: 0 of 3 delta entries live, waiting up to 9m55s more",
        "live sitemap: 0 of 3 delta entries live, waiting up to 9m48s more",
        "live sitemap: 3 of 3 delta entries live",
    ]


def test_sync_against_a_baseline_reads_the_live_sitemap_at_once(world: World) -> None:
    baseline = world.folder("previous", OLD)
    world.site.deploy(world.new)  # deployed already
    outcome, error = world.sync(baseline=baseline)
    assert error is None
    assert world.fake.sleeps == []
    assert outcome.waiting is not None and outcome.waiting["sitemap_reads"] == 1
    assert world.sent() == world.urls(*DELTA)


# --- only some pages switch: defer, send the rest, re-run sends the rest ---------------------


def test_only_some_pages_switch_the_rest_is_deferred_then_sent_by_a_rerun(world: World) -> None:
    plan = world.plan()  # before the deploy
    # The deploy reaches everything but /blog/two/ and /gone/ within the wait.
    live_soon = ["/sitemap.xml", "/", "/about/", "/blog/new/", f"/{KEY}.txt"]
    world.site.deploy(world.new, paths=live_soon, after_seconds=10)

    outcome, error = world.submit_plan(plan, wait=60.0)
    assert isinstance(error, DeferredError) and error.kind == "deferred"
    assert error.exit_code == 1
    assert world.sent() == world.urls("/", "/blog/new/")
    assert deferred_of(outcome) == {
        world.u("/blog/two/"): "answered 404",
        world.u("/gone/"): "still answers 200",
    }
    assert "2 URL(s) were not live after waiting up to 60 s" in error.message
    assert f"submit --plan {plan}" in error.message
    # Gate 1 passed at 12.5 s; the pages were checked again until the deadline, exactly.
    assert world.fake.sleeps == [5.0, 7.5, 5.0, 7.5, 11.25, 16.875, 6.875]
    assert sum(world.fake.sleeps) == 60.0
    assert outcome.waiting is not None and outcome.waiting["page_rechecks"] == 5
    assert any(line.startswith("pages: 2 of 4 not live yet") for line in world.lines)
    page_lines = [line for line in world.lines if line.startswith("pages:")]
    assert page_lines[-1] == (
        "pages: 2 of 4 not live yet (1 answering 404/410, 1 removed but still answering 2xx); "
        "stopped waiting after 1m00s"
    )
    # Never lost: both stay pending in the plan, which also says why they were deferred.
    saved = read_plan(plan)
    assert saved.pending(include_removed=True) == [world.u("/blog/two/"), world.u("/gone/")]
    assert {d.url: d.reason for d in saved.deferred} == deferred_of(outcome)

    world.site.deploy(world.new)  # the rest of the deploy arrives
    again, error = world.submit_plan(plan, wait=60.0)
    assert error is None
    assert again.result is not None
    assert set(again.result.submitted) == world.urls("/blog/two/", "/gone/")
    assert set(world.endpoint.accepted_counts().values()) == {1}
    assert world.sent() == world.urls(*DELTA)
    assert read_plan(plan).deferred == ()
    assert read_plan(plan).pending(include_removed=True) == []


def test_the_sitemap_switching_before_the_pages_passes_gate_1_and_gate_2_waits(
    world: World,
) -> None:
    plan = world.plan()
    world.site.deploy(world.new, paths=["/sitemap.xml"], after_seconds=3)
    world.site.deploy(world.new, after_seconds=30)
    outcome, error = world.submit_plan(plan, wait=600.0)
    assert error is None
    assert world.sent() == world.urls(*DELTA)
    assert world.fake.sleeps[0] == 5.0  # gate 1: the second reading sees the new sitemap
    assert outcome.waiting is not None
    assert outcome.waiting["sitemap_reads"] == 2
    assert outcome.waiting["page_rechecks"] >= 2  # gate 2 waited for the pages
    assert "live sitemap: 3 of 3 delta entries live" in world.lines
    assert "pages: all 4 checked pages are live" in world.lines


def test_a_changed_url_waits_for_its_new_lastmod_in_the_live_sitemap(world: World) -> None:
    plan = world.plan()
    # The new sitemap lists the new pages, but / with the old lastmod (a stale cached copy).
    stale = world.folder("stale", {**NEW, "/": "2024-01-01"})
    world.site.deploy(stale)
    outcome, error = world.submit_plan(plan, wait=20.0)
    assert isinstance(error, DeferredError)
    assert deferred_of(outcome) == {
        world.u("/"): "live sitemap shows lastmod 2024-01-01, the build 2024-03-01"
    }
    assert world.sent() == world.urls("/blog/new/", "/blog/two/", "/gone/")
    assert "live sitemap: 2 of 3 delta entries live; stopped waiting after 20s" in world.lines


def test_a_live_sitemap_that_fails_while_deploying_is_not_yet_not_an_error(
    world: World,
) -> None:
    plan = world.plan()
    broken = world.tmp / "broken"
    broken.mkdir()
    (broken / "sitemap.xml").write_text("<!doctype html><html>deploying</html>")
    world.site.deploy(broken, paths=["/sitemap.xml"])
    world.site.deploy(world.new, after_seconds=8)
    _, error = world.submit_plan(plan, wait=60.0)
    assert error is None
    assert world.sent() == world.urls(*DELTA)
    assert any("live sitemap: 0 of 3 delta entries live (live sitemap" in x for x in world.lines)


# --- the key file is part of the deploy ------------------------------------------------------


def test_a_key_file_not_deployed_yet_is_checked_again(world: World) -> None:
    (world.old / f"{KEY}.txt").unlink()  # the first deploy with IndexNow brings the key file
    plan = world.plan()
    world.site.deploy(world.new, after_seconds=10)
    outcome, error = world.submit_plan(plan, wait=600.0)
    assert error is None
    assert outcome.key_check is not None and outcome.key_check.ok
    assert world.fake.sleeps[:2] == [5.0, 7.5]  # then the key file was there
    assert any("not deployed yet?" in line and "waiting up to" in line for line in world.lines)
    assert world.sent() == world.urls(*DELTA)


def test_a_key_file_still_missing_at_the_deadline_fails_the_key_check(world: World) -> None:
    (world.old / f"{KEY}.txt").unlink()
    plan = world.plan()
    result = CliRunner().invoke(
        cli,
        ["submit", "--plan", str(plan), "--wait", "0.2", "--json"],
        env={"INDEXNOW_KEY": KEY, "INDEXNOW_ENDPOINT": world.endpoint.endpoint},
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["kind"] == "key_check"
    assert world.site.hits(f"/{KEY}.txt") >= 2
    assert world.endpoint.requests == []


# --- a dry run never waits ---------------------------------------------------------------------


def test_a_dry_run_never_waits_and_reports_what_a_real_run_would_wait_for(world: World) -> None:
    plan = world.plan()
    one_reading = world.site.hits("/sitemap.xml")  # plan read the live sitemap once
    world.site.deploy(world.new, paths=["/sitemap.xml", "/blog/new/"])
    outcome, error = world.submit_plan(plan, wait=900.0, dry_run=True)
    assert world.fake.sleeps == []  # never slept
    assert world.site.hits("/sitemap.xml") == 2 * one_reading  # one live-sitemap reading
    assert outcome.waiting is not None
    assert outcome.waiting["sitemap_reads"] == 1 and outcome.waiting["page_rechecks"] == 0
    assert isinstance(error, DeferredError)  # exits as the real run would at its deadline
    assert error.message.startswith("dry run: 3 URL(s) are not live yet")
    # Gate 1 passes (the new sitemap is live); the changed page answers 200 with its previous
    # content (the plan keeps both fingerprints): not live yet either.
    assert deferred_of(outcome) == {
        world.u("/"): "answers 200 with the previous content (a cached copy?)",
        world.u("/blog/two/"): "answered 404",
        world.u("/gone/"): "still answers 200",
    }
    assert outcome.result is not None
    assert set(outcome.result.submitted) == world.urls("/blog/new/")  # would submit
    assert world.endpoint.requests == []


def test_a_dry_sync_against_the_live_site_sees_nothing_live_without_reading_again(
    world: World,
) -> None:
    outcome, error = world.sync(dry_run=True)
    assert world.fake.sleeps == []
    # The delta's own reading, no other.
    assert world.site.hits("/sitemap.xml") == 1
    assert isinstance(error, DeferredError)
    assert deferred_of(outcome) == {
        world.u("/"): "live sitemap shows the previous lastmod, the build 2024-03-01",
        world.u("/blog/new/"): "not in the live sitemap",
        world.u("/blog/two/"): "not in the live sitemap",
        world.u("/gone/"): "still answers 200",
    }
    assert world.endpoint.requests == []


# --- plans of format version 1 -----------------------------------------------------------------


def test_a_version_1_plan_waits_on_listing_alone_and_says_so(world: World) -> None:
    plan = world.plan()
    raw = json.loads(plan.read_text(encoding="utf-8"))
    raw["version"] = 1
    del raw["lastmods"], raw["deferred"]
    plan.write_text(json.dumps(raw), encoding="utf-8")
    stale = world.folder("stale", {**NEW, "/": "2024-01-01"})
    world.site.deploy(stale)  # / is listed, with the old lastmod: enough for a v1 plan
    outcome, error = world.submit_plan(plan, wait=60.0)
    assert error is None
    assert world.sent() == world.urls(*DELTA)
    assert any("format version 1" in note for note in outcome.notes)
    # Progress is recorded without pretending to know the lastmods: it stays version 1.
    saved = json.loads(plan.read_text(encoding="utf-8"))
    assert saved["version"] == 1 and "lastmods" not in saved
    assert len(saved["accepted"]) == 4


# --- URL lists: the pages only -----------------------------------------------------------------


def test_a_url_list_waits_for_its_pages_and_never_records_deferred_ones(world: World) -> None:
    world.site.deploy(world.new, paths=["/blog/new/"], after_seconds=6)
    state = world.tmp / "state.json"
    config = world.config(wait=30.0)
    outcome, error = world.run(
        lambda: run_submit_urls(
            config,
            [world.u("/blog/new/"), world.u("/blog/two/")],
            state,
            world.lines.append,
            pacing=world.pacing(),
        )
    )
    assert isinstance(error, DeferredError)
    assert error.message.splitlines()[-1] == (
        "fix: re-run the same 'submit' once they are live to send them"
    )
    assert world.sent() == world.urls("/blog/new/")
    assert deferred_of(outcome) == {world.u("/blog/two/"): "answered 404"}
    assert outcome.waiting is not None and outcome.waiting["sitemap_reads"] == 0
    recorded = json.loads(state.read_text(encoding="utf-8"))["accepted"]
    assert set(recorded) == world.urls("/blog/new/")


def test_wait_needs_page_checks(world: World) -> None:
    with pytest.raises(UsageError, match="--wait needs --check pages"):
        run_sync(world.config(check="robots"))
    assert world.site.requests == []


# --- wait 0: the deploy has not happened --------------------------------------------------------


def cli_run(world: World, *args: str, env: Mapping[str, str] | None = None) -> Any:
    result = CliRunner().invoke(
        cli,
        [args[0], "--json", *args[1:]],
        env={
            "INDEXNOW_KEY": KEY,
            "INDEXNOW_ENDPOINT": world.endpoint.endpoint,
            "GITHUB_ACTIONS": None,
            "GITHUB_OUTPUT": None,
            "GITHUB_STEP_SUMMARY": None,
            **(env or {}),
        },
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert KEY not in result.stdout + result.stderr
    return result


def test_sync_against_a_live_site_whose_added_pages_are_all_missing(world: World) -> None:
    result = cli_run(world, "sync", "--site", world.site.base_url, "--build", str(world.new))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["error"]["kind"] == "not_deployed"
    message = report["error"]["message"]
    # Issue 19: one ~600-character line before; now what failed, the causes, the fixes.
    lines = message.splitlines()
    assert lines[0] == (
        "every added URL answered 404 or 410: the deploy has not happened yet; nothing was sent"
    )
    assert "the 4 checked URL(s) are deferred" in lines[1]
    assert "took its delta from the live site" in lines[2]
    assert "a re-run after the deploy finds nothing" in lines[2]
    assert lines[3].startswith("fix: run 'indexnow-sync plan --out PLAN' before the deploy")
    assert "--baseline" in lines[4] and "--wait 900" in lines[4]
    assert len(lines) == 5 and all(len(line) < 160 for line in lines)
    assert "error: every added URL answered 404 or 410" in result.stderr
    assert "\n  fix: run 'indexnow-sync plan --out PLAN'" in result.stderr
    assert world.endpoint.requests == []
    assert report["submitted"] == [] and report["counts"]["deferred"] == 4
    assert {e["url"]: e["reason"] for e in report["deferred"]} == {
        world.u("/blog/new/"): "answered 404",
        world.u("/blog/two/"): "answered 404",
        world.u("/"): "answered 200; held back: no added page is live yet",
        world.u("/gone/"): "answered 200; held back: no added page is live yet",
    }
    assert report["skipped"] == []  # not skipped: deferred
    assert f"  deferred {world.u('/blog/new/')}: answered 404" in result.stderr


def test_submit_plan_before_the_deploy_keeps_everything_pending(world: World) -> None:
    plan = world.plan()
    result = cli_run(world, "submit", "--plan", str(plan))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["error"]["kind"] == "not_deployed"
    assert "fix: the plan keeps them pending" in report["error"]["message"]
    assert world.endpoint.requests == []
    assert len(read_plan(plan).pending(include_removed=True)) == 4
    world.site.deploy(world.new)
    assert cli_run(world, "submit", "--plan", str(plan)).exit_code == 0
    assert world.sent() == world.urls(*DELTA)


def test_a_wait_that_defers_everything_says_so_not_nothing_to_submit(world: World) -> None:
    plan = world.plan()  # and the deploy never comes
    result = cli_run(world, "submit", "--plan", str(plan), "--wait", "0.2")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["error"]["kind"] == "deferred" and report["counts"]["deferred"] == 4
    assert "deferred 4 URL(s), not live yet (not sent):" in result.stderr
    assert "nothing to submit" not in result.stderr
    assert world.endpoint.requests == []


def test_one_live_added_page_is_enough_to_count_as_deployed(world: World) -> None:
    world.site.deploy(world.new, paths=["/blog/new/"])
    result = cli_run(world, "sync", "--site", world.site.base_url, "--build", str(world.new))
    report = json.loads(result.stdout)
    # Deployed, in part: the missing added page is skipped, as before...
    assert {e["url"]: e["code"] for e in report["skipped"]} == {
        world.u("/blog/two/"): "not_found",
        world.u("/gone/"): "still_live",
    }
    assert report["submitted"] == [world.u("/blog/new/")]
    # ... and the changed page, still serving its previous content, is never sent early.
    assert result.exit_code == 1 and report["error"]["kind"] == "deferred"
    assert report["deferred"] == [
        {"url": world.u("/"), "reason": "answers 200 with the previous content (a cached copy?)"}
    ]
    assert "their pages still serve the previous content" in report["error"]["message"]


# --- the CLI with a real (sub-second) wait: progress, report, GitHub files ----------------------


def test_cli_wait_progress_report_and_github_files(world: World, tmp_path: Path) -> None:
    # The pages are deployed but /blog/two/ (404 throughout); the live sitemap switches once
    # the delta has been read from it (one request). The changed / serves its new content
    # already, so content finds it unchanged (the first run compares live pages): not sent.
    world.site.deploy(world.new)
    world.site.deploy(world.old, paths=["/sitemap.xml", "/blog/two/"])
    world.site.deploy(world.new, paths=["/sitemap.xml"], after_requests=1)
    output, summary = tmp_path / "output.txt", tmp_path / "summary.md"
    result = cli_run(
        world,
        "sync",
        "--site",
        world.site.base_url,
        "--build",
        str(world.new),
        "--wait",
        "0.3",
        env={"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["error"]["kind"] == "deferred"
    assert report["deferred"] == [{"url": world.u("/blog/two/"), "reason": "answered 404"}]
    assert report["counts"]["deferred"] == 1
    assert set(report["submitted"]) == world.urls("/blog/new/", "/gone/")
    assert report["unchanged_content"] == [world.u("/")]
    assert report["wait"]["seconds"] == 0.3 and report["wait"]["sitemap_reads"] == 1
    stderr = result.stderr
    assert "live sitemap: 0 of 2 delta entries live, waiting up to 0.3s more" in stderr
    assert "live sitemap: 2 of 2 delta entries live" in stderr
    assert "pages: 1 of 3 not live yet (1 answering 404/410)" in stderr
    assert "submitted 2 URL(s)" in stderr
    assert (
        f"deferred 1 URL(s), not live yet (not sent):\n  deferred {world.u('/blog/two/')}" in stderr
    )
    assert "jq -r '.deferred[].url'" in stderr
    assert "deferred-count=1\n" in output.read_text(encoding="utf-8")
    text = summary.read_text(encoding="utf-8")
    assert "⏳ **1 URL(s) deferred**" in text
    assert "<summary>Deferred (not live yet, not sent) (1)</summary>" in text
    assert f"| `{world.u('/blog/two/')}` | answered 404 |" in text


def test_cli_wait_flag_is_validated(world: World) -> None:
    result = cli_run(world, "sync", "--site", world.site.base_url, "--wait", "-5")
    assert result.exit_code == 2
    assert "--wait" in json.loads(result.stdout)["error"]["message"]
    off = cli_run(world, "sync", "--site", world.site.base_url, "--check", "off", "--wait", "9")
    assert off.exit_code == 2
    assert world.site.requests == []


# --- issue 19: what the messages tell a user to do ---------------------------------------------


@pytest.mark.parametrize("with_report", [False, True])
def test_a_sync_wait_timeout_names_report_only_as_given_or_to_add(
    world: World, tmp_path: Path, with_report: bool
) -> None:
    # Before: "jq -r '.deferred[].url' report.json | ..." whether or not --report was given.
    world.site.deploy(world.new)
    world.site.deploy(world.old, paths=["/sitemap.xml", "/blog/two/"])
    world.site.deploy(world.new, paths=["/sitemap.xml"], after_requests=1)
    report_file = tmp_path / "out" / "indexnow-report.json"
    report_file.parent.mkdir()
    extra = ("--report", str(report_file)) if with_report else ()
    args = ("sync", "--site", world.site.base_url, "--build", str(world.new), "--wait", "0.3")
    result = cli_run(world, *args, *extra)
    assert result.exit_code == 1, result.stderr
    message = json.loads(result.stdout)["error"]["message"]
    first, cause, *fixes = message.splitlines()
    assert first == "1 URL(s) were not live after waiting up to 0.3 s and were deferred"
    assert "a re-run of 'sync' against the live site will not find them again" in cause
    submit = f"indexnow-sync submit --urls-file - --site {world.site.base_url} --wait 600"
    if with_report:
        assert fixes == [
            f"fix: send them once they are live: jq -r '.deferred[].url' {report_file} | {submit}"
        ]
        assert "--report FILE" not in message
    else:
        assert fixes[0].startswith("fix: send them once they are live: indexnow-sync submit")
        assert fixes[1] == (
            "or add --report FILE to this command to keep them: "
            f"jq -r '.deferred[].url' FILE | {submit}"
        )
        assert "report.json" not in message
    shown = message.replace(str(report_file), "FILE")  # (a long temporary path)
    assert all(len(line) < 160 for line in shown.splitlines())


def test_sync_after_the_deploy_says_the_deploy_has_probably_happened_already(
    world: World,
) -> None:
    # Before: "nothing to submit" and exit 0, with no hint that the diff came too late.
    world.site.deploy(world.new)
    result = cli_run(world, "sync", "--site", world.site.base_url, "--build", str(world.new))
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    late = (
        "the live sitemap already lists the build's 4 URL(s) with the build's lastmods: if this "
        "deploy changed pages, it has probably happened already; run 'plan' before the deploy "
        "and 'submit --plan' after it (or use --baseline)"
    )
    # (the other note says why content did not decide: no live manifest yet)
    assert [note for note in report["notes"] if not note.startswith("content: ")] == [late]
    assert report["warnings"] == []  # a deploy that changed no page is fine: fail-on: warning
    assert "note: the live sitemap already lists the build's 4 URL(s)" in result.stderr
    assert result.stderr.rstrip().endswith("nothing to submit")


def test_sync_before_the_deploy_has_no_such_note(world: World) -> None:
    world.site.deploy(world.new, paths=["/blog/new/", "/blog/two/", "/"])
    result = cli_run(world, "sync", "--site", world.site.base_url, "--build", str(world.new))
    assert result.exit_code == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert not [note for note in notes if "probably happened already" in note], notes


def test_a_missing_hosted_key_file_while_the_build_holds_the_right_one_says_deploy_first(
    world: World,
) -> None:
    # The quick start's trap: keygen --write dist/, then sync before the deploy. Before: the
    # fix was to write the key file, the step just done.
    (world.old / f"{KEY}.txt").unlink()
    result = cli_run(world, "sync", "--site", world.site.base_url, "--build", str(world.new))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["error"]["kind"] == "key_check"
    lines = report["error"]["message"].splitlines()
    assert lines[0].endswith("was not found (HTTP 404)")
    assert lines[1] == (
        f"the build's key file {world.new}/7c1e…9b2c.txt is correct: the build is not deployed "
        "(or not live) yet"
    )
    assert lines[-1] == (
        "fix: deploy it, then run this again; or run 'indexnow-sync plan --out PLAN' before the "
        "deploy and 'indexnow-sync submit --plan PLAN' after it"
    )
    assert "printf" not in report["error"]["message"]
    assert world.endpoint.requests == []

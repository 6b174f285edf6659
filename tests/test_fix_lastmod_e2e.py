"""Issue 18 end to end: ``--fix-lastmod`` (SPEC "A true lastmod in the deployed sitemap"),
against a real local site serving the previous build and the strict local IndexNow endpoint.

Runs are in-process with the run's clock injected (the true lastmods are asserted exactly),
the World of ``tests/test_content_e2e.py``: hand-written builds, so each test says what
changed. The CLI is run through click for what a user reads (the line, JSON, exit codes,
the GitHub outputs and step summary). Real generator builds (MkDocs, Hugo) are in
``tests/test_generators_content.py``.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from indexnow_sync.errors import SitemapWriteError, UsageError
from indexnow_sync.manifest import DEFAULT_NAME, read_manifest_file
from indexnow_sync.outcome import Outcome
from indexnow_sync.plan import read_plan
from indexnow_sync.sync import run_plan
from tests.rewrite_oracle import assert_valid, loc_and_lastmod
from tests.siteserver import Answer
from tests.test_content_e2e import CHURN, KEY, MANY, NOW, NOW_TEXT, STAMPED, V1, V2, World
from tests.test_content_e2e import world as world  # (the fixture)

OLD = "2024-01-01T00:00:00Z"  # V1's lastmods, as --fix-lastmod writes them


def lastmods(world: World, folder: Path) -> dict[str, str | None]:
    """Path -> <lastmod> text of the build's sitemap.xml."""
    return {
        world.paths([loc])[0]: lastmod
        for loc, lastmod in loc_and_lastmod((folder / "sitemap.xml").read_bytes())
        if loc
    }


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def deployed_v1_fixed(world: World) -> Path:
    """v1 planned with --fix-lastmod before its deploy: its manifest and its rewritten
    sitemap are live."""
    v1 = world.build(V1)
    outcome, _plan = world.plan(v1, fix_lastmod=True)
    # No earlier manifest: the build's lastmods, as they are (reworded: nothing corrected).
    assert outcome.lastmod_fix is not None and outcome.lastmod_fix["corrected"] == 0
    assert set(lastmods(world, v1).values()) == {OLD}
    world.deploy(v1)
    return v1


def test_plan_writes_when_each_page_s_content_last_changed(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    outcome, plan = world.plan(v2, fix_lastmod=True)
    assert lastmods(world, v2) == {
        "/a/": NOW_TEXT,  # a body edit its lastmod did not show: moved forward
        "/b/": OLD,  # a rebuild stamping the date over the same content: moved back
        "/c/": NOW_TEXT,  # both: the run's time (the generator said 2024-06-01)
        "/d/": OLD,  # neither
        "/new/": NOW_TEXT,  # new: the run's time
    }
    assert_valid((v2 / "sitemap.xml").read_bytes())
    assert outcome.lastmod_fix == {
        "written": True,
        "files": [str(v2 / "sitemap.xml")],
        "corrected": 4,
        "moved_back": 1,
        "added": 0,
        "moved_forward": 3,
        "differ_from_before": 2,  # /a/ and /c/: what engines see move in the live sitemap
        "before": "live",
    }
    # The delta is the one the rewritten sitemap shows: /b/'s true lastmod did not move.
    delta = outcome.delta
    assert delta is not None
    assert world.paths(delta.added) == ["/new/"]
    assert world.paths(delta.changed) == ["/a/", "/c/"]
    assert delta.unchanged_content == ()
    # The plan records the lastmods that will be served (what --wait looks for).
    saved = read_plan(plan)
    assert dict(saved.delta.lastmods) == {world.u(p): NOW_TEXT for p in ("/new/", "/a/", "/c/")}


def test_the_next_day_s_rebuild_keeps_every_lastmod(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    world.plan(v2, fix_lastmod=True)
    world.deploy(v2)
    served = lastmods(world, v2)
    rebuilt = world.build({path: ("2024-06-02", text) for path, (_day, text) in V2.items()})
    outcome, _plan = world.plan(rebuilt, fix_lastmod=True)
    assert lastmods(world, rebuilt) == served
    assert outcome.delta is not None
    assert outcome.delta.changed == () and outcome.delta.added == ()
    assert outcome.lastmod_fix is not None
    # (the injected clock has not moved: the edits of v2 are later than the rebuild's date)
    fix = outcome.lastmod_fix
    assert (fix["corrected"], fix["moved_back"], fix["moved_forward"]) == (5, 2, 3)


def test_submit_wait_finds_the_served_lastmods_live_at_once(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    _outcome, plan = world.plan(v2, fix_lastmod=True)
    world.deploy(v2)
    outcome, deferred = world.submit(plan, wait=600.0)
    assert deferred is None
    assert outcome.result is not None
    assert world.paths(outcome.result.submitted) == ["/new/", "/a/", "/c/", "/gone/"]
    assert world.fake.sleeps == []  # the live sitemap showed the plan's lastmods: no wait


def test_without_fix_lastmod_only_the_manifest_is_written(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    before = snapshot(v2)
    outcome, _plan = world.plan(v2)
    assert outcome.lastmod_fix is None
    after = snapshot(v2)
    assert set(after) - set(before) == {DEFAULT_NAME}
    assert {name: after[name] for name in before} == before


def test_a_sync_dry_run_writes_nothing_and_says_what_it_would_correct(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    before = snapshot(v2)
    # (--check robots: the site still serves v1, a page check would defer the delta)
    outcome, deferred = world.sync(v2, fix_lastmod=True, dry_run=True, check="robots")
    assert deferred is None
    assert snapshot(v2) == before
    assert outcome.lastmod_fix is not None
    assert outcome.lastmod_fix["written"] is False
    assert outcome.lastmod_fix["corrected"] == 4
    assert outcome.lastmod_fix["files"] == [str(v2 / "sitemap.xml")]


def test_sync_rewrites_before_sending(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    outcome, deferred = world.sync(v2, fix_lastmod=True, check="robots")
    assert deferred is None
    assert lastmods(world, v2)["/a/"] == NOW_TEXT
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/a/", "/c/"]
    assert outcome.lastmod_fix is not None and outcome.lastmod_fix["written"] is True
    assert outcome.result is not None
    assert world.paths(outcome.result.submitted) == ["/new/", "/a/", "/c/"]


def test_a_build_without_pages_is_left_as_built_and_says_so(world: World) -> None:
    v1 = world.build(V1, html=False)
    before = (v1 / "sitemap.xml").read_bytes()
    outcome, _plan = world.plan(v1, fix_lastmod=True)
    assert (v1 / "sitemap.xml").read_bytes() == before
    assert outcome.lastmod_fix is not None
    assert "no HTML pages" in outcome.lastmod_fix["skipped"]


@pytest.mark.parametrize(
    ("option", "problem"),
    [({"changed_by": "lastmod"}, "--changed-by lastmod"), ({"fingerprints": "off"}, "off")],
)
def test_fix_lastmod_needs_the_manifest(world: World, option: dict[str, Any], problem: str) -> None:
    v1 = world.build(V1)
    with pytest.raises(UsageError) as caught:
        world.plan(v1, fix_lastmod=True, **option)
    assert caught.value.exit_code == 2
    assert caught.value.what.startswith("--fix-lastmod cannot be used with --")
    assert problem in caught.value.what
    assert not (v1 / DEFAULT_NAME).exists()


def test_a_read_only_sitemap_stops_the_plan_and_changes_no_sitemap(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    sitemap = v2 / "sitemap.xml"
    before = sitemap.read_bytes()
    sitemap.chmod(0o444)
    out = world.folder("plan") / "plan.json"
    with pytest.raises(SitemapWriteError) as caught:
        run_plan(world.config(v2, fix_lastmod=True), out, clock=lambda: NOW)
    assert caught.value.what == f"{sitemap}: is read-only"
    assert caught.value.exit_code == 1
    assert sitemap.read_bytes() == before
    assert not out.exists()  # no plan: the run failed before it


# --- what a user reads -----------------------------------------------------------------------


def cli_plan(world: World, build: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    out = world.folder("plan") / "plan.json"
    args = ["plan", "--site", world.site.base_url, "--build", str(build), "--out", str(out)]
    cleared = {"INDEXNOW_FIX_LASTMOD": None, "GITHUB_ACTIONS": None}
    return CliRunner().invoke(cli, [*args, *extra], env={**cleared, **(env or {})})


def test_one_line_the_json_and_the_step_summary_say_what_was_corrected(
    world: World, tmp_path: Path
) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)}
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    result = cli_plan(world, v2, "--fix-lastmod", "--json", env=env)
    assert result.exit_code == 0, result.stderr
    line = (
        "true lastmods: corrected 4 <lastmod> in 1 sitemap file(s): 1 moved back to when the "
        "content changed, 3 moved forward for an edit the generator did not date; 2 differ "
        "from the live sitemap"
    )
    assert line in result.stderr.splitlines()
    report = json.loads(result.stdout)
    assert report["lastmod_fix"]["corrected"] == 4
    assert report["lastmod_fix"]["moved_back"] == 1
    assert report["lastmod_fix"]["moved_forward"] == 3
    assert "lastmods-corrected-count=4\n" in output.read_text(encoding="utf-8")
    assert (
        "🕒 **True lastmods**: 4 &lt;lastmod&gt; corrected in 1 sitemap file(s): 1 moved back to "
        "when the content changed, 0 added where missing, 3 moved forward for an edit the "
        "generator did not date; 2 differ from the live sitemap."
    ) in summary.read_text(encoding="utf-8")


def test_the_option_comes_from_the_command_line_the_environment_or_the_config(
    world: World,
) -> None:
    deployed_v1_fixed(world)
    by_env = world.build(V2)
    result = cli_plan(world, by_env, env={"INDEXNOW_FIX_LASTMOD": "true"})
    assert result.exit_code == 0, result.stderr
    assert lastmods(world, by_env)["/b/"] == OLD
    overridden = world.build(V2)
    result = cli_plan(world, overridden, "--no-fix-lastmod", env={"INDEXNOW_FIX_LASTMOD": "1"})
    assert result.exit_code == 0, result.stderr
    assert lastmods(world, overridden)["/b/"] == "2024-06-01"
    by_file = world.build(V2)
    config = world.folder("config") / "indexnow.yml"
    config.write_text("fix-lastmod: true\n", encoding="utf-8")
    result = cli_plan(world, by_file, "--config", str(config))
    assert result.exit_code == 0, result.stderr
    assert lastmods(world, by_file)["/b/"] == OLD


def test_a_dry_run_line_says_nothing_was_written(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    args = ["sync", "--site", world.site.base_url, "--build", str(v2), "--fix-lastmod"]
    args += ["--dry-run", "--check", "robots", "--endpoint", world.endpoint.endpoint]
    result = CliRunner().invoke(cli, args, env={"INDEXNOW_KEY": KEY, "GITHUB_ACTIONS": None})
    assert result.exit_code == 0, result.stderr
    assert (
        "true lastmods: would correct (dry run: nothing written) 4 <lastmod> in 1 sitemap "
        "file(s): 1 moved back to when the content changed, 3 moved forward for an edit the "
        "generator did not date; 2 differ from the live sitemap"
    ) in result.stderr.splitlines()


def test_a_sitemap_only_build_reports_nothing_written(world: World, tmp_path: Path) -> None:
    # Black-box review 20r, finding 4: `written: true` with `files: []` and `skipped`.
    v1 = world.build(V1, html=False)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    env["GITHUB_OUTPUT"] = str(tmp_path / "output")
    result = cli_plan(world, v1, "--fix-lastmod", "--json", env=env)
    assert result.exit_code == 0, result.stderr
    fix = json.loads(result.stdout)["lastmod_fix"]
    assert fix["written"] is False
    assert fix["files"] == [] and "no HTML pages" in fix["skipped"]
    assert "true lastmods: none written: the build has no HTML pages" in result.stderr
    assert "🕒 **True lastmods**: none written:" in summary.read_text(encoding="utf-8")


def test_a_build_whose_lastmods_are_already_true_reports_nothing_written(
    world: World, tmp_path: Path
) -> None:
    # (finding 4: nothing to rewrite in a real run is not "written", nor a dry run)
    v1 = deployed_v1_fixed(world)
    before = (v1 / "sitemap.xml").read_bytes()
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    env["GITHUB_OUTPUT"] = str(tmp_path / "output")
    result = cli_plan(world, v1, "--fix-lastmod", "--json", env=env)
    assert result.exit_code == 0, result.stderr
    assert (v1 / "sitemap.xml").read_bytes() == before
    fix = json.loads(result.stdout)["lastmod_fix"]
    assert (fix["written"], fix["files"], fix["corrected"]) == (False, [], 0)
    assert "skipped" not in fix
    line = "true lastmods: every <lastmod> already says when its content changed"
    assert any(said.startswith(line) for said in result.stderr.splitlines())
    text = summary.read_text(encoding="utf-8")
    assert "🕒 **True lastmods**: every &lt;lastmod&gt; already says when its content changed" in (
        text
    )
    assert "dry run" not in text


def test_the_churn_warning_counts_the_lastmods_fix_lastmod_set_back(world: World) -> None:
    # Black-box review 20r, finding 5: "12 of 12 ... have a new <lastmod> ...: 1 really
    # changed, 0 only got a new lastmod": the stamped pages --fix-lastmod set back were not
    # counted, and the counts did not add up.
    v1 = world.build(MANY)
    world.plan(v1, fix_lastmod=True)
    world.deploy(v1)
    stamped = world.build(STAMPED)
    outcome, _ = world.plan(stamped, fix_lastmod=True)
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/p0/", "/p1/"]
    assert outcome.delta.unchanged_content == ()
    assert lastmods(world, stamped)["/p5/"] == OLD
    churn = [w for w in outcome.warnings if "have a new <lastmod>" in w]
    said = f"{CHURN} (--fix-lastmod set them back to when their content changed: not sent)"
    assert churn == [said]


def test_a_read_only_sitemap_is_exit_1_naming_it(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    (v2 / "sitemap.xml").chmod(0o444)
    result = cli_plan(world, v2, "--fix-lastmod", "--json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {v2 / 'sitemap.xml'}: is read-only\n")
    assert json.loads(result.stdout)["error"]["kind"] == "sitemap_write"


# --- what the true lastmods rest on: the live manifest, or what stands in for it --------------

LATER = datetime(2025, 6, 2, 8, 0, 0, tzinfo=timezone.utc)  # the next day's run
LATER_TEXT = "2025-06-02T08:00:00Z"


def deployed_v2_fixed(world: World) -> dict[str, str | None]:
    """v1, then v2, each planned with --fix-lastmod before its deploy: the live sitemap says
    when each page really changed. Returns what it serves (path -> lastmod)."""
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    world.plan(v2, fix_lastmod=True)
    world.deploy(v2)
    return lastmods(world, v2)


def plan_later(world: World, build: Path, **options: Any) -> Outcome:
    out = world.folder("plan") / "plan.json"
    return run_plan(world.config(build, fix_lastmod=True, **options), out, clock=lambda: LATER)


# The next day: every page rebuilt with the generator's new date, /d/ edited.
V3 = {path: ("2024-06-02", text) for path, (_day, text) in V2.items()}
V3["/d/"] = ("2024-06-02", "Delta, edited the next day.")


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        (Answer(b"oops", status=500), "answered HTTP 500"),
        (Answer(b"no", status=403), "answered HTTP 403"),
        (Answer(b"{not json", content_type="application/json"), "not valid JSON"),
        (Answer(b"<!doctype html><title>App</title>", content_type="text/html"), "HTML page"),
    ],
    ids=["500", "403", "broken", "html"],
)
def test_an_unreadable_live_manifest_keeps_the_live_sitemap_s_true_lastmods(
    world: World, manifest: Answer, says: str
) -> None:
    served = deployed_v2_fixed(world)
    world.site.route(f"/{DEFAULT_NAME}", responses=[manifest])
    v3 = world.build(V3)
    outcome = plan_later(world, v3)
    assert any(says in warning and DEFAULT_NAME in warning for warning in outcome.warnings)
    # Each page's live copy was compared: the same content keeps the lastmod the live sitemap
    # shows (the true one), the edited page gets the run's time. Nothing takes the
    # generator's date, nothing of the history is lost.
    assert lastmods(world, v3) == {**served, "/d/": LATER_TEXT}
    assert outcome.delta is not None and world.paths(outcome.delta.changed) == ["/d/"]
    written = read_manifest_file(v3 / DEFAULT_NAME, site=None, max_bytes=1 << 20)
    assert written is not None
    assert {world.paths([u])[0]: e.content_changed for u, e in written.entries.items()} == {
        **served,
        "/d/": LATER_TEXT,
    }
    fix = outcome.lastmod_fix
    assert fix is not None and fix["differ_from_before"] == 1


def test_the_fix_line_says_how_many_lastmods_differ_from_the_live_sitemap(world: World) -> None:
    served = deployed_v2_fixed(world)
    world.site.route(f"/{DEFAULT_NAME}", "oops", status=500)
    v3 = world.build({path: ("2024-06-02", text) for path, (_day, text) in V2.items()})
    result = cli_plan(world, v3, "--fix-lastmod")
    assert result.exit_code == 0, result.stderr
    assert lastmods(world, v3) == served
    lines = [line for line in result.stderr.splitlines() if line.startswith("true lastmods:")]
    assert lines == [
        "true lastmods: corrected 5 <lastmod> in 1 sitemap file(s): 2 moved back to when the "
        "content changed, 3 moved forward for an edit the generator did not date; none "
        "differs from the live sitemap"
    ]


def test_new_ignore_selectors_compare_the_live_pages_whose_bytes_changed(world: World) -> None:
    """Fingerprints of other --ignore selectors are not compared, and never taken as a
    change: a page whose file is byte for byte the one the manifest recorded is the same;
    any other is compared with its live page under the new selectors."""
    served = deployed_v2_fixed(world)
    v3 = world.build(V3, built="13:00")  # every page shows another build time
    seen = len(world.site.requests)
    outcome = plan_later(world, v3, ignore=(".built-at",))
    assert sorted(world.gets(seen)) == sorted([*V3, f"/{DEFAULT_NAME}"])
    assert lastmods(world, v3) == {**served, "/d/": LATER_TEXT}
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/d/"]
    assert outcome.delta.reasons == {world.u("/d/"): "content"}
    assert outcome.content is not None and outcome.content["compared"] == len(V3)


def without_lastmod(world: World, folder: Path, path: str) -> Path:
    """The build with no <lastmod> for ``path`` (Sphinx, Docusaurus, Astro write none)."""
    sitemap = folder / "sitemap.xml"
    entry = f"<loc>{world.u(path)}</loc><lastmod>2024-01-01</lastmod>"
    text = sitemap.read_text("utf-8")
    assert entry in text
    sitemap.write_text(text.replace(entry, f"<loc>{world.u(path)}</loc>"), "utf-8")
    return folder


def test_a_url_without_a_lastmod_gets_the_run_s_time_when_first_seen(world: World) -> None:
    v1 = without_lastmod(world, world.build(V1), "/a/")
    world.plan(v1, fix_lastmod=True)  # a first run: no earlier manifest, no live sitemap
    assert lastmods(world, v1) == {"/a/": NOW_TEXT, **{p: OLD for p in V1 if p != "/a/"}}
    world.deploy(v1)
    again = without_lastmod(world, world.build(V1), "/a/")  # the next day, nothing edited
    plan_later(world, again)
    assert lastmods(world, again)["/a/"] == NOW_TEXT  # kept: its content did not change


def test_no_manifest_is_written_when_the_sitemaps_cannot_be(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    (v2 / "sitemap.xml").chmod(0o444)
    with pytest.raises(SitemapWriteError):
        run_plan(
            world.config(v2, fix_lastmod=True), world.folder("p") / "p.json", clock=lambda: NOW
        )
    assert not (v2 / DEFAULT_NAME).exists()
    assert {p.name for p in v2.iterdir() if p.is_file()} == {"sitemap.xml", f"{KEY}.txt"}


@pytest.mark.parametrize("fix", [False, True], ids=["plain", "fix-lastmod"])
def test_the_manifest_is_readable_by_a_web_server_running_as_another_user(
    world: World, fix: bool
) -> None:
    old = os.umask(0o022)
    try:
        v1 = world.build(V1)
        world.plan(v1, fix_lastmod=fix)
    finally:
        os.umask(old)
    assert stat.S_IMODE((v1 / DEFAULT_NAME).stat().st_mode) == 0o644

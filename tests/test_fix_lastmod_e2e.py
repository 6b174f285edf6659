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
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from indexnow_sync.errors import SitemapWriteError, UsageError
from indexnow_sync.manifest import DEFAULT_NAME
from indexnow_sync.plan import read_plan
from indexnow_sync.sync import run_plan
from tests.rewrite_oracle import assert_valid, loc_and_lastmod
from tests.test_content_e2e import KEY, NOW, NOW_TEXT, V1, V2, World
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
        "content changed, 3 moved forward for an edit the generator did not date"
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
        "generator did not date."
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
        "generator did not date"
    ) in result.stderr.splitlines()


def test_a_read_only_sitemap_is_exit_1_naming_it(world: World) -> None:
    deployed_v1_fixed(world)
    v2 = world.build(V2)
    (v2 / "sitemap.xml").chmod(0o444)
    result = cli_plan(world, v2, "--fix-lastmod", "--json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {v2 / 'sitemap.xml'}: is read-only\n")
    assert json.loads(result.stdout)["error"]["kind"] == "sitemap_write"

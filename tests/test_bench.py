"""A bench run never dirties the work tree (issue 19): results go to a folder the user gives
(``--results``), by default ``bench/.cache/results``, which git ignores. Before: every run
rewrote tracked files under ``bench/results/`` (``action_install.py``: a tracked file).

The benches run here at toy sizes, only to see where they write; no figure is judged."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
GIT = shutil.which("git")

pytestmark = pytest.mark.skipif(GIT is None, reason="needs git")


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [str(GIT), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree holding this repository's .gitignore and bench/, all committed."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "bench", work / "bench", ignore=shutil.ignore_patterns(".cache"))
    shutil.copy(ROOT / ".gitignore", work / ".gitignore")
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "bench", cwd=work)
    return work


def run_bench(repo: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checks_and_plan_benches_leave_the_work_tree_clean(repo: Path) -> None:
    run_bench(repo, "bench/checks.py", "--urls", "20", "--runs", "1")
    # (run.py's site listens on a fixed port by default, which another bench may hold)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    run_bench(repo, "bench/run.py", "--urls", "1000", "--runs", "1", "--port", port)
    assert git("status", "--porcelain", "--untracked-files=all", cwd=repo) == ""
    written = sorted(p.name for p in (repo / "bench" / ".cache" / "results").iterdir())
    assert written == ["checks-20.json", "plan-1000.json"]


def test_results_go_where_the_user_says(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "published"
    run_bench(repo, "bench/checks.py", "--urls", "20", "--runs", "1", "--results", str(out))
    assert [p.name for p in out.iterdir()] == ["checks-20.json"]
    assert not (repo / "bench" / ".cache" / "results").exists()


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_action_install_bench_writes_to_an_ignored_folder_by_default(repo: Path) -> None:
    # It installs from PyPI (cold runs), so it is not run here: its default is checked
    # against git's ignore rules instead.
    default = _load("action_install").parse_args([]).results
    inside = repo / default.relative_to(ROOT) / "action-install.json"
    inside.parent.mkdir(parents=True)
    inside.write_text("{}")
    assert git("status", "--porcelain", "--untracked-files=all", cwd=repo) == ""

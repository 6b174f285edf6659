"""The README as a new user reads it (issue 19): its quick start works as written, its links
work on GitHub and on PyPI, its examples pin one version of each action, and its
Troubleshooting section covers every error a run can end with.

The quick start's commands are taken from the README, not copied here: the test only puts the
local site's address where the README says ``https://www.example.com``, points the IndexNow
endpoint at a local one (``INDEXNOW_ENDPOINT``, outside the commands) and replaces the
``# ... deploy ...`` comment with a deploy (the build folder copied over the served one).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from indexnow_sync import errors
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer
from tests.test_action import sitemap

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SITE = "https://www.example.com"
PAGE = "<html><head><title>{0}</title></head><body><main>{0}</main></body></html>"


def write_site(folder: Path, base: str, pages: dict[str, str], text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitemap.xml").write_text(sitemap(base, pages), encoding="utf-8")
    for path in pages:
        page = folder / path.strip("/") / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(PAGE.format(f"{path} {text}"), encoding="utf-8")


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def quick_start() -> list[str]:
    """The command lines of the quick start's "On your machine" block."""
    section = README[README.index("## Quick start") : README.index("## Contents")]
    local = section[section.index("**On your machine**") :]
    return [line for line in code_blocks(local, "sh")[0].splitlines() if line.strip()]


# --- the quick start, as written ----------------------------------------------------------


def test_the_quick_start_installs_from_the_repository_until_the_first_release() -> None:
    install, *_ = quick_start()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (repository,) = re.findall(r'^Repository = "(https://github\.com/[^"]+)"$', pyproject, re.M)
    assert install.startswith(f"pipx install git+{repository}   # or: pip install git+{repository}")
    assert "`pipx install indexnow-sync` (or `pip install indexnow-sync`)" in README


@pytest.fixture
def endpoint() -> Iterator[IndexNowServer]:
    with IndexNowServer() as server:
        yield server


OLD = {"/": "2024-01-01", "/docs/": "2024-01-01", "/old/": "2024-01-01"}
NEW = {"/": "2024-01-01", "/docs/": "2024-06-01", "/blog/": "2024-06-01"}


def around_a_deploy(
    commands: list[str],
    base: str,
    project: Path,
    served: Path,
    env: dict[str, str],
    *,
    check_before: str = "",
) -> subprocess.CompletedProcess[str]:
    """A README block's commands run as written by bash in ``project``, the local site's
    address put where the README says ``https://www.example.com``, and its ``# ... deploy``
    comment replaced by a deploy: the host then serves exactly the build (rsync --delete, a
    Pages upload). ``check_before`` runs just before the deploy."""
    deploy = next(i for i, line in enumerate(commands) if line.startswith("# ... deploy"))
    script = [
        "set -euo pipefail",
        *(line.replace(SITE, base) for line in commands[:deploy]),
        *([check_before] if check_before else []),
        f'rm -rf "{served}" && cp -R dist "{served}"',
        *(line.replace(SITE, base) for line in commands[deploy + 1 :]),
    ]
    assert all(SITE not in line for line in script)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("INDEXNOW_", "GITHUB_"))}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ['PATH']}"
    environ.update(env)
    return subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("live_site", ["an older build", "nothing yet"])
def test_the_quick_start_commands_succeed_before_and_after_a_deploy(
    site_server: SiteServer, endpoint: IndexNowServer, tmp_path: Path, live_site: str
) -> None:
    base = site_server.base_url
    project = tmp_path / "project"  # the user's site project, after its build
    served = tmp_path / "served"  # what the host serves
    served.mkdir()
    if live_site == "an older build":
        write_site(served, base, OLD, "old")
    site_server.serve_dir(served)
    write_site(project / "dist", base, NEW, "new")

    _install, *commands = quick_start()
    done = around_a_deploy(
        commands,
        base,
        project,
        served,
        {"INDEXNOW_ENDPOINT": endpoint.endpoint},
        check_before='test -f indexnow-plan.json && echo "planned before the deploy"',
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "planned before the deploy" in done.stdout
    assert "error" not in done.stderr.lower(), done.stderr

    plan = json.loads((project / "indexnow-plan.json").read_text(encoding="utf-8"))
    if live_site == "an older build":
        expected = {f"{base}/blog/", f"{base}/docs/", f"{base}/old/"}
        assert (plan["added"], plan["changed"], plan["removed"]) == (
            [f"{base}/blog/"],
            [f"{base}/docs/"],
            [f"{base}/old/"],
        )
    else:
        expected = {base + path for path in NEW}
        assert "first deploy" in done.stderr
    assert set(endpoint.accepted) == expected
    (key_file,) = (project / "dist").glob("*.txt")  # written by keygen --write dist/
    assert key_file.stem not in done.stdout + done.stderr  # the key is never printed


def test_the_local_dry_run_commands_succeed_before_and_after_a_deploy(
    site_server: SiteServer, endpoint: IndexNowServer, tmp_path: Path
) -> None:
    # The section used to suggest 'sync --dry-run' before the deploy, which exits 1 there
    # (the key file is not deployed, the added pages answer 404).
    section = README[README.index("### A local dry run") : README.index("## Troubleshooting")]
    commands = [line for line in code_blocks(section, "sh")[0].splitlines() if line.strip()]
    base = site_server.base_url
    project, served = tmp_path / "project", tmp_path / "served"
    write_site(served, base, OLD, "old")
    site_server.serve_dir(served)
    write_site(project / "dist", base, NEW, "new")
    key = "3f9a0c1d2e4b5a6978877665544332211a2b4c8d"
    (project / "dist" / f"{key}.txt").write_text(key, encoding="utf-8")
    env = {"INDEXNOW_ENDPOINT": endpoint.endpoint, "INDEXNOW_KEY": key, "TMPDIR": str(tmp_path)}
    done = around_a_deploy(commands, base, project, served, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stderr.lower(), done.stderr
    assert f"  would submit (added) {base}/blog/" in done.stderr
    assert endpoint.requests == []  # a preview sends nothing


# --- links, pins, structure ---------------------------------------------------------------


def github_slug(heading: str) -> str:
    """The anchor GitHub (and PyPI's renderer, readme_renderer 46+) gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def headings() -> list[str]:
    found = []
    fenced = False
    for line in README.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            found.append(line.lstrip("#").strip())
    return found


def test_every_link_works_on_github_and_on_pypi() -> None:
    # PyPI shows the README away from the repository: a relative link to a file is dead there.
    anchors = {github_slug(heading) for heading in headings()}
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    assert links
    for link in links:
        if link.startswith("#"):
            assert link[1:] in anchors, f"no heading for {link}"
        else:
            assert link.startswith("https://"), f"{link} is relative: dead on PyPI"
    assert not re.search(r"<a\s", README)


def test_the_contents_list_every_chapter_guide_then_reference() -> None:
    contents = README[README.index("## Contents") : README.index("# Guide")]
    chapters = [h for h in headings() if h not in ("indexnow-sync", "Quick start", "Contents")]
    top = [
        line.lstrip("#").strip()
        for line in README.splitlines()
        if line.startswith("## ") and line.lstrip("#").strip() in chapters
    ]
    for chapter in top:
        assert f"(#{github_slug(chapter)})" in contents, chapter
    assert contents.index("**Guide**") < contents.index("**Reference**")
    order = [README.index(title) for title in ("# Guide", "## Troubleshooting", "# Reference")]
    assert order == sorted(order)


def test_every_example_pins_the_same_version_of_each_action() -> None:
    # Workflow (d) pinned older checkout and setup-node versions than (a) to (c).
    pins: dict[str, set[str]] = {}
    for block in code_blocks(README, "yaml"):
        for ref, version in re.findall(r"uses:\s*(\S+@\S+)(?:\s+#\s*(v[\d.]+))?", block):
            name = ref.split("@")[0]
            pins.setdefault(name, set()).add(f"{ref} {version}".strip())
    assert len(pins) >= 5
    for name, refs in pins.items():
        assert len(refs) == 1, f"{name} is pinned as {sorted(refs)}"
    # ... and the same versions this repository's own workflows use.
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        text = workflow.read_text("utf-8")
        for ref, version in re.findall(r"uses:\s*(\S+@\S+)\s+#\s*(v[\d.]+)", text):
            name = ref.split("@")[0]
            if name in pins:
                assert pins[name] == {f"{ref} {version}"}, (workflow.name, name)


def test_troubleshooting_covers_every_error_kind() -> None:
    section = README[README.index("## Troubleshooting") : README.index("# Reference")]
    kinds = {
        cls.kind
        for cls in vars(errors).values()
        if inspect.isclass(cls) and issubclass(cls, errors.IndexNowSyncError)
    }
    inner = {"sitemap", "fetch"}  # only ever the cause inside another kind's message
    for kind in sorted(kinds - inner):
        assert f"`{kind}`" in section, kind
    output = README[README.index("### Error messages") :]
    for kind in sorted(inner):
        assert f"`{kind}`" in output[: output.index("### Plan file")]


def test_the_snippet_on_the_first_screen_is_about_ten_lines_of_real_steps() -> None:
    section = README[README.index("## Quick start") : README.index("**On your machine**")]
    (snippet,) = code_blocks(section, "yaml")
    assert len(snippet.splitlines()) <= 12
    steps = yaml.safe_load(snippet)
    declared = set(yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))["inputs"])
    assert [step["with"]["command"] for step in steps] == ["plan", "submit"]
    assert all(set(step["with"]) <= declared for step in steps)


def test_the_two_newcomer_commands_and_the_test_command_are_given() -> None:
    clone = README[README.index("### Get going from a clone (two commands)") :]
    blocks = code_blocks(clone, "sh")
    assert "pip install . && indexnow-sync plan --baseline fixtures/demo/live" in blocks[0]
    assert "pip install -e '.[test]' && python -m pytest -n 4" in blocks[1]
    assert "python -m pytest -n 4" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_newcomer_demo_runs_offline_as_written(tmp_path: Path) -> None:
    clone = README[README.index("### Get going from a clone (two commands)") :]
    command = code_blocks(clone, "sh")[0].strip().split(" && ")[-1]
    assert command.startswith("indexnow-sync plan ")
    shutil.copytree(ROOT / "fixtures" / "demo", tmp_path / "fixtures" / "demo")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INDEXNOW_")}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ['PATH']}"
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=environ, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    shown = clone[clone.index("It prints the real delta") :]
    shown = shown[shown.index("```\n") + 4 : shown.index("\n```", shown.index("```\n") + 4)]
    printed = done.stderr.splitlines()
    assert [line for line in shown.splitlines() if line != "  ..."] == [
        line for line in printed if line in shown.splitlines()
    ]
    assert printed[-1] == shown.splitlines()[-1] == "plan written to demo-plan.json"


def test_the_readme_states_no_test_count_that_goes_stale() -> None:
    # It said "about 1,440 tests" while the suite grew past it with every issue.
    assert not re.search(r"\b\d[\d,.]* (?:tests|test cases)\b", README)

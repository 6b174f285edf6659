"""The distributions a release publishes, and the metadata and bounds behind them.

Builds the sdist and the wheel with this environment's setuptools (the test extra's
``setuptools>=77``, offline, as ``python -m build --no-isolation`` would) and checks what a
user or a distribution packager gets: the whole test suite with its fixtures in the sdist,
only the package in the wheel, SPDX license metadata, and lower bounds that match
``constraints/lowest.txt`` (the versions the lowest-versions job installs).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")
ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What the sdist must carry so `pytest` passes from it: the tests, their fixtures, and the
# files they read (the action, its lock and installer, the workflows, the README).
SDIST_TREES = ("tests", "fixtures", "action", ".github")
SDIST_FILES = ("README.md", "LICENSE", "CHANGELOG.md", "pyproject.toml", "action.yml")


# What a build from the work tree must not see or touch: a private copy of the tree is built, so
# that two test processes (pytest -n 4 may give this module's tests to two of them) never
# build in the same folder (setuptools writes indexnow_sync.egg-info and a staging folder
# there: one build removed the other's, "No such file or directory: ...egg-info").
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "venv", ".cache", "mutants", "*.egg-info", "__pycache__", ".mypy_cache",
    ".ruff_cache", ".pytest_cache", ".hypothesis", "*.progress",
)  # fmt: skip


def _not_source(folder: str, names: list[str]) -> set[str]:
    ignored = set(_NOT_SOURCE(folder, names))
    if Path(folder) == ROOT:  # setuptools' own output folders (fixtures/demo/build is source)
        ignored |= {"build", "dist"} & set(names)
    return ignored


def _source_copy(where: Path) -> Path:
    copy = where / "source"
    shutil.copytree(ROOT, copy, ignore=_not_source)
    return copy


def _build(hook: str, out: Path, source: Path) -> Path:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, setuptools.build_meta as b; print(b.{hook}(sys.argv[1]))",
            str(out),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    source = _source_copy(tmp_path_factory.mktemp("tree"))
    return _build("build_sdist", out, source), _build("build_wheel", out, source)


def _tracked(tree: str) -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / tree).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in (".pyc", ".progress")
    }


def test_sdist_carries_the_whole_test_suite_and_what_it_reads(dists: tuple[Path, Path]) -> None:
    sdist, _wheel = dists
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        names = {name.removeprefix(top + "/") for name in archive.getnames()}
        metadata = archive.extractfile(f"{top}/PKG-INFO")
        assert metadata is not None
        pkg_info = metadata.read().decode()
    wanted = set(SDIST_FILES).union(*(_tracked(tree) for tree in SDIST_TREES))
    assert wanted - names == set()
    assert "tests/conftest.py" in names and "fixtures/demo/build/sitemap-index.xml" in names
    assert not any(name.startswith("bench/") for name in names)
    assert "License-Expression: MIT" in pkg_info
    assert "License-File: LICENSE" in pkg_info


def test_wheel_holds_the_package_only_with_license_and_entry_point(
    dists: tuple[Path, Path],
) -> None:
    _sdist, wheel = dists
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        entry = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"indexnow_sync"}
    assert "indexnow_sync/__main__.py" in names and "indexnow_sync/py.typed" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert "License-Expression: MIT" in metadata
    for classifier in ("Development Status", "Programming Language :: Python :: 3.10",
                       "Typing :: Typed"):  # fmt: skip
        assert f"Classifier: {classifier}" in metadata
    assert "Project-URL: Repository, https://github.com/" in metadata
    assert "indexnow-sync = indexnow_sync.cli:main" in entry


def _floors(requirements: list[str]) -> dict[str, str]:
    floors = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?>=([0-9.]+)(?:,.*)?", requirement)
        assert match, f"every dependency needs a lower bound: {requirement!r}"
        floors[match.group(1).lower()] = match.group(2)
    return floors


def test_lower_bounds_are_the_versions_the_lowest_job_installs() -> None:
    project = PYPROJECT["project"]
    floors = _floors(project["dependencies"] + project["optional-dependencies"]["test"])
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints" / "lowest.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )

    def same(floor: str, pin: str) -> bool:
        pad = ("." + ".".join(["0"] * 3)).split(".")[1:]
        return (floor.split(".") + pad)[:3] == (pin.split(".") + pad)[:3] or pin.startswith(
            floor + "."
        )

    assert set(pins) == set(floors)
    assert all(same(floors[name], pins[name]) for name in floors), (floors, pins)
    assert "wheel" not in project["optional-dependencies"]["test"]
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]


def test_the_action_lock_pins_every_runtime_dependency_with_hashes() -> None:
    lock = (ROOT / "action" / "requirements.txt").read_text(encoding="utf-8")
    pinned = dict(re.findall(r"(?m)^([a-z0-9_.-]+)==([^\s;]+)", lock))
    for name, floor in _floors(PYPROJECT["project"]["dependencies"]).items():
        assert name in pinned, f"{name} is not in action/requirements.txt: regenerate it"
        have = tuple(int(x) for x in re.findall(r"\d+", pinned[name])[:3])
        assert have >= tuple(int(x) for x in floor.split(".")), (name, pinned[name], floor)
    entries = re.split(r"(?m)^(?=[a-z0-9_.-]+==)", lock)[1:]
    assert entries and all("--hash=sha256:" in entry for entry in entries)
    # Hashes of the wheels for every platform (Linux x86_64/arm64, macOS, Windows; each
    # CPython), not only of the machine that made the lock: lxml has dozens.
    lxml = next(entry for entry in entries if entry.startswith("lxml=="))
    assert lxml.count("--hash=") > 20

"""Installs indexnow-sync for the GitHub Action (``action.yml``), fast and reproducibly.

Run by the Python the action found (or set up), never inside the caller's environment:

``probe``
    Exit 0 when this Python can make the action's environment: 3.10 or newer, ``venv``, and
    either pip 22.3+ (``pip --python`` installs into a venv that has no pip of its own) or
    ``ensurepip``. A container's Python without them exits 1: the action then uses
    actions/setup-python instead.
``key``
    Print ``key=`` (the cache key: OS, arch, Python version and interpreter, lock digest) and
    ``venv=`` (where the environment lives) for ``$GITHUB_OUTPUT``.
``install``
    Make the environment unless a restored (cached) one carries the same key: a venv without
    pip (0.2 s instead of 5-7 s with ensurepip), the runtime dependencies from the hash-locked
    ``requirements.txt`` beside this file (``--require-hashes``, wheels only), and this
    action's folder on the venv's path through a ``.pth`` file, so the package itself is
    never built. Print ``python=`` (the venv's interpreter) for ``$GITHUB_OUTPUT``.

Only the standard library: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCK = HERE / "requirements.txt"
STAMP = ".indexnow-sync-stamp"
PTH = "indexnow_sync_action.pth"
MIN_PYTHON = (3, 10)
MIN_PIP_FOR_PYTHON_OPTION = (22, 3)


def _pip_version() -> tuple[int, ...] | None:
    try:
        import pip
    except ImportError:
        return None
    parts: list[int] = []
    for piece in pip.__version__.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def install_method() -> str | None:
    """How this Python can make the environment: "pip-python", "ensurepip" or None."""
    if sys.version_info < MIN_PYTHON or not _has("venv"):
        return None
    pip = _pip_version()
    if pip is not None and pip >= MIN_PIP_FOR_PYTHON_OPTION:
        return "pip-python"
    if _has("ensurepip"):
        return "ensurepip"
    return None


def cache_key(lock: Path, environ: dict[str, str]) -> str:
    """Changes whenever a cached venv could be wrong: another OS, arch, Python (version and
    interpreter path: a venv points at its base interpreter) or lock."""
    lock_digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:20]
    interpreter = hashlib.sha256(os.fsencode(sys.executable)).hexdigest()[:8]
    runner_os = environ.get("RUNNER_OS", platform.system())
    runner = f"{runner_os}-{environ.get('RUNNER_ARCH', platform.machine())}"
    return (
        f"indexnow-sync-venv-{runner}-{platform.python_implementation().lower()}"
        f"{platform.python_version()}-{interpreter}-{lock_digest}"
    )


def venv_python(venv: Path) -> Path:
    """The venv's interpreter: ``Scripts/python.exe`` on Windows, ``bin/python`` elsewhere."""
    for candidate in (venv / "Scripts" / "python.exe", venv / "bin" / "python"):
        if candidate.exists():
            return candidate
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _usable(venv: Path, key: str) -> bool:
    stamp = venv / STAMP
    if not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() != key:
        return False
    probe = subprocess.run(
        [str(venv_python(venv)), "-I", "-c", "import lxml.etree, requests, click, yaml"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def _create(venv: Path, lock: Path, method: str) -> None:
    import venv as venv_module

    if venv.exists():
        shutil.rmtree(venv)
    with_pip = method != "pip-python"
    venv_module.EnvBuilder(with_pip=with_pip, symlinks=os.name != "nt").create(venv)
    python = str(venv_python(venv))
    pip = (
        [sys.executable, "-m", "pip", "--python", python] if not with_pip else [python, "-m", "pip"]
    )
    subprocess.run(
        [
            *pip,
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--require-hashes",
            "--only-binary",
            ":all:",
            "-r",
            str(lock),
        ],
        check=True,
    )


def _site_packages(venv: Path) -> Path:
    done = subprocess.run(
        [
            str(venv_python(venv)),
            "-I",
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip())


def install(venv: Path, lock: Path, action_path: Path, key: str) -> Path:
    started = time.monotonic()
    if _usable(venv, key):
        how = "reused (restored from the cache or made earlier in this job)"
    else:
        method = install_method()
        if method is None:
            raise SystemExit(
                f"indexnow-sync: {sys.executable} cannot make a virtual environment "
                "(needs Python >= 3.10 with venv, and pip >= 22.3 or ensurepip)"
            )
        _create(venv, lock, method)
        (venv / STAMP).write_text(key + "\n", encoding="utf-8")
        how = f"made ({method})"
    # Every run: the cached venv may come from another version of the action.
    (_site_packages(venv) / PTH).write_text(str(action_path) + "\n", encoding="utf-8")
    print(
        f"indexnow-sync environment {venv}: {how} in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return venv_python(venv)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    environ = dict(os.environ)
    if command == "probe":
        return 0 if install_method() is not None else 1
    venv = Path(environ.get("RUNNER_TEMP") or ".") / "indexnow-sync-venv"
    if command == "key":
        print(f"key={cache_key(LOCK, environ)}")
        print(f"venv={venv}")
        return 0
    if command == "install":
        python = install(venv, LOCK, HERE.parent, cache_key(LOCK, environ))
        print(f"python={python}")
        return 0
    print("usage: install.py probe|key|install", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

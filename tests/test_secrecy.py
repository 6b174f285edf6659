"""Issue 9 item 2: the full IndexNow key is never written on any line.

A key planted everywhere it can hide (a build file or folder named after it, the site's, the
live sitemap's, the key file's and the endpoint's URLs, sitemap locs, an endpoint answer that
echoes it, config values) is run through every error path we can reach; stdout, stderr, the
``--report`` file and the GitHub Actions files must show it only shortened (``3F9a…4C8d``).
The one line allowed to hold it is GitHub's ``::add-mask::`` command, which must.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from indexnow_sync.keyfile import shorten_key
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

# Mixed case: a host name lower-cases it, and the lower-cased form is still the key.
KEY = "3F9a0c1d2E4b5a6978877665544332211a2b4C8d"
SHORT = shorten_key(KEY)
FORMS = (KEY, KEY.lower(), KEY.upper())
CLI = [sys.executable, "-c", "from indexnow_sync.cli import main; main()"]


def urlset(*locs: str) -> str:
    items = "".join(f"<url><loc>{loc}</loc><lastmod>2024-06-01</lastmod></url>" for loc in locs)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


@dataclass
class World:
    site: SiteServer
    endpoint: IndexNowServer
    tmp: Path
    base: str = ""
    build: Path = field(default_factory=Path)

    def u(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"


@pytest.fixture
def world(
    site_server: SiteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    monkeypatch.chdir(tmp_path)
    with IndexNowServer() as endpoint:
        w = World(site_server, endpoint, tmp_path, base=site_server.base_url)
        w.build = tmp_path / "build"
        w.build.mkdir()
        (w.build / "sitemap.xml").write_text(
            urlset(w.u(f"{KEY}/new"), w.u("a"), f"https://{KEY}.example/off-host"),
            encoding="utf-8",
        )
        (w.build / f"{KEY}.txt").write_text(KEY, encoding="ascii")
        (tmp_path / "base.xml").write_text(urlset(w.u("a"), w.u(f"{KEY}/old")), encoding="utf-8")
        (tmp_path / KEY).mkdir()
        (tmp_path / KEY / "sitemap.xml").write_text("<urlset><url><loc>", encoding="utf-8")
        site = w.site
        site.route("/sitemap.xml", urlset(w.u("a"), w.u(f"{KEY}/old")))
        site.route(f"/{KEY}.txt", KEY, content_type="text/plain")
        # The build's page is deployed (a run whose added pages all answer 404 stops: the
        # deploy has not happened).
        site.route("/a", "<!doctype html><title>a</title><p>a</p>", content_type="text/html")
        site.route(f"/{KEY}/live.xml", "boom", status=500)
        site.route(f"/{KEY}/html.xml", "<!doctype html><html><body>hi</body></html>")
        site.route(f"/bad/{KEY}.txt", KEY + "\n", content_type="text/plain")
        site.route(f"/other/{KEY}.txt", f"<html>{KEY}</html>", content_type="text/html")
        site.route(f"/redir/{KEY}.txt", status=302, redirect_to=site.url(KEY, host="localhost"))
        site.route("/echo/indexnow", f"Key {KEY} is not valid for this host", status=422)
        yield w


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[World], list[str]]
    codes: tuple[int, ...]
    env_key: bool = True  # INDEXNOW_KEY set (else the key comes from a flag or the config)
    config: str | None = None  # indexnow.yml content; {KEY} and {BASE} are filled in


def _plan(*extra: str) -> list[str]:
    return ["plan", "--baseline", "base.xml", "--build", "build", "--out", "p.json", *extra]


def _sync(w: World, *extra: str) -> list[str]:
    return ["sync", "--site", w.base, "--build", str(w.build), *extra]


CASES = [
    Case(
        "build file named after the key",
        lambda w: ["plan", "--baseline", "base.xml", "--build", f"build/{KEY}.txt", "--out", "p"],
        (2,),
    ),
    Case(
        "build folder named after the key",
        lambda w: ["plan", "--baseline", "base.xml", "--build", KEY, "--out", "p.json"],
        (2,),
    ),
    Case(
        "baseline named after the key",
        lambda w: ["plan", "--baseline", f"{KEY}.xml", "--build", "build", "--out", "p.json"],
        (2,),
    ),
    Case(
        "plan with locs holding the key",
        lambda w: _plan("--site", w.base, "--out", f"{KEY}-plan.json"),
        (0,),
    ),
    Case(
        "live sitemap URL answers 500",
        lambda w: _sync(w, "--live", w.u(f"{KEY}/live.xml"), "--endpoint", w.endpoint.endpoint),
        (1,),
    ),
    Case(
        "live sitemap URL is an HTML page",
        lambda w: _sync(w, "--live", w.u(f"{KEY}/html.xml"), "--endpoint", w.endpoint.endpoint),
        (1,),
    ),
    Case(
        "named live sitemap URL is missing (404: an error)",
        lambda w: _sync(w, "--live", w.u(f"{KEY}/none.xml"), "--dry-run"),
        (1,),
    ),
    Case(
        "endpoint URL with ?key= that echoes the key in its 422",
        # --check off: the checks never request (so never submit) a URL holding the key,
        # and the endpoint's echo is what this case is about.
        lambda w: _sync(w, "--endpoint", w.u(f"echo/indexnow?key={KEY}"), "--check", "off"),
        (1,),
    ),
    Case("dry run listing locs that hold the key", lambda w: _sync(w, "--dry-run"), (0,)),
    Case(
        "real run accepted by the endpoint",
        lambda w: _sync(w, "--endpoint", w.endpoint.endpoint, "--include-removed"),
        (0,),
    ),
    Case(
        "hosted key file ends with a newline",
        lambda w: ["verify-key", "--site", w.base, "--key-location", w.u(f"bad/{KEY}.txt")],
        (1,),
    ),
    Case(
        "dry run with nothing in the key folder, key file ends with a newline",
        lambda w: _sync(w, "--key-location", w.u(f"bad/{KEY}.txt"), "--dry-run"),
        (1,),
    ),
    Case(
        "hosted key file is an HTML page holding the key",
        lambda w: ["verify-key", "--site", w.base, "--key-location", w.u(f"other/{KEY}.txt")],
        (1,),
    ),
    Case(
        "key file redirects off-host to a URL holding the key",
        lambda w: ["verify-key", "--site", w.base, "--key-location", w.u(f"redir/{KEY}.txt")],
        (1,),
    ),
    Case("endpoint is not a URL", lambda w: _sync(w, "--endpoint", f"nowhere?key={KEY}"), (2,)),
    Case(
        "key location on another host",
        lambda w: _sync(w, "--key-location", f"https://{KEY}.example/{KEY}.txt"),
        (2,),
    ),
    Case("site with a path", lambda w: _sync(w, "--site", f"https://{KEY}.example/{KEY}"), (2,)),
    Case(
        "live URL not http",
        lambda w: ["sync", "--build", "build", "--live", f"ftp://{KEY}.example/s.xml"],
        (2,),
    ),
    Case(
        "key only in the config file, another value in it is wrong",
        lambda w: ["sync", "--build", "build", "--site", w.base],
        (2,),
        env_key=False,
        config="key: {KEY}\nmax-urls: {KEY}\n",
    ),
    Case(
        "key only in the config file, the site value holds it",
        lambda w: ["sync", "--build", "build"],
        (2,),
        env_key=False,
        config="site: https://{KEY}.example/path\nkey: {KEY}\n",
    ),
    Case(
        "key from the flag, the config file holds it elsewhere",
        lambda w: ["sync", "--key", KEY, "--build", "build", "--site", w.base],
        (2,),
        env_key=False,
        config="endpoint: '{KEY} x'\n",
    ),
    Case("plan file named after the key", lambda w: ["submit", "--plan", f"{KEY}.json"], (2,)),
    Case(
        "URL list file named after the key",
        lambda w: ["submit", "--urls-file", f"{KEY}.txt", "--site", w.base],
        (2,),
    ),
    Case(
        "submitted URLs hold the key, endpoint echoes it",
        lambda w: [
            "submit",
            w.u(f"{KEY}/x"),
            f"http://{KEY}.example/y",
            "--site",
            w.base,
            "--endpoint",
            w.u("echo/indexnow"),
            "--check",
            "off",
        ],
        (1,),
    ),
    Case(
        "report file in a folder named after the key that does not exist",
        lambda w: _plan("--report", f"{KEY}/missing/report.json"),
        (2,),  # refused before the run (review of issue 19, finding 2)
    ),
]


def _texts(w: World, stdout: str, stderr: str) -> dict[str, str]:
    texts = {"stdout": stdout, "stderr": stderr}
    for name in ("report.json", "github_output", "github_summary"):
        path = w.tmp / name
        if path.exists():
            texts[name] = path.read_text(encoding="utf-8")
    return texts


def _assert_no_key(texts: dict[str, str]) -> None:
    for where, text in texts.items():
        for line in text.splitlines():
            if line.startswith("::add-mask::"):
                continue
            for form in FORMS:
                assert form not in line, f"the key is in {where}: {line}"
    masks = [line for line in texts["stderr"].splitlines() if line.startswith("::add-mask::")]
    assert f"::add-mask::{KEY}" in masks, texts["stderr"]
    everything = "\n".join(texts.values())
    assert SHORT in everything, f"this case never showed the (shortened) key:\n{everything}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_key_is_never_written_in_full(world: World, case: Case) -> None:
    if case.config is not None:
        (world.tmp / "indexnow.yml").write_text(
            case.config.format(KEY=KEY, BASE=world.base), encoding="utf-8"
        )
    args = [*case.args(world), "--json"]
    if "--report" not in args:
        args += ["--report", "report.json"]
    env = {
        "INDEXNOW_KEY": KEY if case.env_key else None,
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(world.tmp / "github_output"),
        "GITHUB_STEP_SUMMARY": str(world.tmp / "github_summary"),
    }
    result = CliRunner().invoke(cli, args, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in case.codes, result.stdout + result.stderr
    assert "internal error" not in result.stderr
    json.loads(result.stdout)  # still exactly one JSON object
    _assert_no_key(_texts(world, result.stdout, result.stderr))


def test_an_exception_message_holding_the_key_is_scrubbed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug whose message quotes a URL with the key: the "internal error" line is scrubbed."""
    import indexnow_sync.sync as sync_module

    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError(f"cannot handle {world.u(KEY)}")

    monkeypatch.setattr(sync_module, "compute_delta", broken)
    for debug in (None, "1"):
        env = {"INDEXNOW_KEY": KEY, "GITHUB_ACTIONS": "true", "INDEXNOW_SYNC_DEBUG": debug}
        result = CliRunner().invoke(cli, [*_sync(world, "--json")], env=env)
        assert result.exit_code == 1
        assert "internal error" in result.stderr
        assert ("Traceback" in result.stderr) == bool(debug)
        _assert_no_key(_texts(world, result.stdout, result.stderr))


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "--timeout", KEY, "--json"],  # click quotes the bad value
        ["sync", "--key", KEY, "--max-urls", KEY.lower()],
        ["submit", f"--key={KEY}", "--timeout", KEY.lower(), "--json"],
        ["sync", "--site", "x", KEY],  # an unexpected argument is quoted
    ],
)
def test_click_usage_errors_are_scrubbed(tmp_path: Path, args: list[str]) -> None:
    env = {"PATH": "", "GITHUB_ACTIONS": "true"}
    if f"--key={KEY}" not in args and "--key" not in args:
        env["INDEXNOW_KEY"] = KEY
    done = subprocess.run(
        [*CLI, *args], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done.stderr
    assert SHORT in done.stderr
    _assert_no_key({"stdout": done.stdout, "stderr": done.stderr})


def test_keygen_names_the_file_it_wrote_without_the_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["keygen", "--write", str(tmp_path)])
    assert result.exit_code == 0
    key = result.stdout.strip()  # printing the new key is keygen's job
    assert (tmp_path / f"{key}.txt").read_text() == key
    assert key not in result.stderr
    assert shorten_key(key) in result.stderr

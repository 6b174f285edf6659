"""What a user sees in the first hour: the CLI's output on any console, its error shapes, its
progress order, and the messages that must point at the real cause and a fix that works when
pasted. Every test runs the real CLI (a subprocess where the console matters) against local
servers on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

KEY = "3f9a0c1d2e4b5a6978877665544332211a2b4c8d"


def urlset(locs: Mapping[str, str]) -> str:
    items = "".join(
        f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod></url>" for loc, lastmod in locs.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
    )


def cli(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    key: str | None = KEY,
) -> subprocess.CompletedProcess[bytes]:
    """The CLI as a user's shell runs it: a real process, its own console encoding."""
    return subprocess.run(
        [sys.executable, "-m", "indexnow_sync", *args],
        cwd=cwd,
        env=user_environ(env, key),
        capture_output=True,
        timeout=60,
        check=False,
    )


def user_environ(env: Mapping[str, str] | None, key: str | None) -> dict[str, str]:
    """A user's environment: no INDEXNOW_* or GITHUB_* of ours, the key (if any), ``env``."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("INDEXNOW_", "GITHUB_"))
    }
    if key is not None:
        environ["INDEXNOW_KEY"] = key
    environ.update(env or {})
    return environ


def report_of(done: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    lines = [line for line in done.stdout.decode("utf-8").splitlines() if line.strip()]
    assert len(lines) == 1, (done.stdout, done.stderr)
    report: dict[str, Any] = json.loads(lines[0])
    return report


@pytest.fixture
def endpoint() -> Iterator[IndexNowServer]:
    with IndexNowServer() as server:
        yield server


@pytest.fixture
def world(site_server: SiteServer, tmp_path: Path) -> dict[str, Any]:
    """A live site (old sitemap, key file) and a build folder ``dist`` with a newer one."""
    base = site_server.base_url
    site_server.route(f"/{KEY}.txt", KEY, content_type="text/plain")
    site_server.route("/sitemap.xml", urlset({f"{base}/a": "2024-01-01"}))
    for page in ("/a", "/new"):  # served, so the checks before submitting pass
        site_server.route(page, "<html><head></head></html>", content_type="text/html")
    build = tmp_path / "dist"
    build.mkdir()
    (build / "sitemap.xml").write_text(
        urlset({f"{base}/a": "2024-06-01", f"{base}/new": "2024-06-01"}), encoding="utf-8"
    )
    return {"base": base, "build": build, "tmp": tmp_path}


def sync_args(world: dict[str, Any], endpoint: IndexNowServer) -> tuple[str, ...]:
    """``sync`` of the world's build against its live site, to the local endpoint."""
    return ("sync", "--site", world["base"], "--build", str(world["build"]),
            "--endpoint", endpoint.endpoint)  # fmt: skip


# --- any console --------------------------------------------------------------------------


def test_json_on_a_cp1252_console_with_non_ascii_urls_does_not_crash(tmp_path: Path) -> None:
    # Windows' default console encoding cannot encode most of these characters.
    before = tmp_path / "before.xml"
    build = tmp_path / "build.xml"
    before.write_text(urlset({"https://example.com/": "2024-01-01"}), encoding="utf-8")
    pages = {
        "https://example.com/": "2024-01-01",
        "https://example.com/café/": "2024-02-01",
        "https://example.com/日本語/": "2024-02-01",
        "https://example.com/статья/": "2024-02-01",
    }
    build.write_text(urlset(pages), encoding="utf-8")
    done = cli(
        "plan", "--site", "https://example.com", "--baseline", str(before), "--build", str(build),
        "--out", str(tmp_path / "plan.json"), "--json",
        cwd=tmp_path,
        env={"PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in done.stderr
    # stdout is JSON in UTF-8 (RFC 8259), whatever the console's encoding.
    report = report_of(done)
    assert sorted(report["added"]) == sorted(list(pages)[1:])
    # The human lines on stderr name every URL in some readable form, never a crash.
    assert done.stderr.decode("cp1252", "replace").count("https://example.com/") >= 3


# --- one JSON shape for every error -------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        ["--max-urls", "abc"],  # click rejects the value
        ["--no-such-flag"],  # click rejects the option
    ],
)
def test_usage_errors_under_json_have_the_shape_of_every_other_report(
    tmp_path: Path, bad: list[str]
) -> None:
    normal = report_of(cli("sync", "--build", "missing", "--json", cwd=tmp_path))
    assert normal["error"]["kind"] == "usage"  # a run that fails after parsing: the full object

    done = cli("sync", *bad, "--json", cwd=tmp_path)
    assert done.returncode == 2
    report = report_of(done)
    assert set(report) == set(normal)
    assert report["command"] == "sync"
    assert report["error"]["kind"] == "usage"
    assert bad[0] in report["error"]["message"] or "abc" in report["error"]["message"]
    assert report["counts"]["submitted"] == 0
    # The human gets it in the format of every other error, click's usage line as the cause.
    assert done.stderr.startswith(b"error: ")
    assert b"\n  usage: " in done.stderr


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    done = cli("--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("indexnow-sync ")


# --- progress order -------------------------------------------------------------------------


def test_post_progress_comes_after_the_delta_and_the_key_check(
    world: dict[str, Any], endpoint: IndexNowServer
) -> None:
    done = cli(*sync_args(world, endpoint), cwd=world["tmp"])
    assert done.returncode == 0, done.stderr
    lines = done.stderr.decode().splitlines()

    def first(prefix: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(prefix))

    assert first("delta:") < first("key file ") < first("POST ") < first("submitted ")
    assert sum(line.startswith("delta:") for line in lines) == 1  # not repeated at the end
    assert sum(line.startswith("key file ") for line in lines) == 1


# --- messages that point at the real cause ----------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_refused_endpoint_connection_blames_the_endpoint_not_the_site(
    world: dict[str, Any],
) -> None:
    from indexnow_sync.indexnow import RetryPolicy, submit
    from indexnow_sync.web import WebClient

    endpoint = f"http://127.0.0.1:{_closed_port()}/indexnow"
    policy = RetryPolicy(max_attempts=2, sleep=lambda _s: None)
    with WebClient(timeout=5) as client:
        result = submit(client, endpoint, KEY, None, [world["base"] + "/new"], policy=policy)
    detail = result.requests[0].detail
    assert result.failed
    assert "site is up" not in detail
    assert "endpoint" in detail and endpoint in detail


def test_site_on_another_host_than_every_build_url_fails_naming_both(tmp_path: Path) -> None:
    before = tmp_path / "before.xml"
    build = tmp_path / "build.xml"
    before.write_text(urlset({"https://www.example.com/": "2024-01-01"}), encoding="utf-8")
    build.write_text(
        urlset({"https://www.example.com/": "2024-02-01", "https://www.example.com/n": "2024"}),
        encoding="utf-8",
    )
    for command in (["plan", "--out", str(tmp_path / "p.json")], ["sync", "--dry-run"]):
        done = cli(
            *command, "--site", "https://example.com", "--baseline", str(before),
            "--build", str(build), "--json", cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        message = report_of(done)["error"]["message"]
        assert "the build's URLs are on https://www.example.com" in message
        assert "--site is https://example.com" in message
    assert not (tmp_path / "p.json").exists()


def test_a_key_with_a_trailing_newline_in_the_environment_is_a_usage_error(
    world: dict[str, Any], endpoint: IndexNowServer
) -> None:
    done = cli(
        *sync_args(world, endpoint),
        "--json",
        cwd=world["tmp"],
        key=KEY + "\n",
    )
    assert done.returncode == 2
    message = report_of(done)["error"]["message"]
    assert "INDEXNOW_KEY" in message and "newline" in message
    assert "printf" in message or "echo -n" in message or "$(" in message
    assert KEY not in done.stdout.decode() + done.stderr.decode()
    assert endpoint.requests == []


@pytest.mark.parametrize("build_name", ["dist", "my site/out"])
@pytest.mark.parametrize("where", ["build", "live"])
def test_the_printed_key_file_fix_works_when_pasted_into_a_shell(
    site_server: SiteServer,
    endpoint: IndexNowServer,
    tmp_path: Path,
    build_name: str,
    where: str,
) -> None:
    base = site_server.base_url
    build = tmp_path / build_name
    build.mkdir(parents=True)
    (build / "sitemap.xml").write_text(urlset({f"{base}/new": "2024-06-01"}), encoding="utf-8")
    site_server.route("/sitemap.xml", urlset({}))
    site_server.route(
        "/new", "<html><head><title>new</title></head></html>", content_type="text/html"
    )
    if where == "build":
        (build / f"{KEY}.txt").write_text(KEY + "\n")  # a newline crept in
        site_server.route(f"/{KEY}.txt", KEY)  # (the hosted one is fine)
    else:
        site_server.route(f"/{KEY}.txt", "missing", status=404)
    args = ("sync", "--site", base, "--build", build_name, "--endpoint", endpoint.endpoint)
    done = cli(*args, "--json", cwd=tmp_path)
    assert done.returncode == 1
    fix = report_of(done)["key_check"]["fix"]
    command = fix[fix.index("printf") :]
    assert KEY not in command and "…" not in command and "public/" not in command

    # Paste it, as the user would, with the key in the environment.
    subprocess.run(
        ["bash", "-c", command],
        cwd=tmp_path,
        env={"INDEXNOW_KEY": KEY, "PATH": os.environ["PATH"]},
        check=True,
    )
    assert (build / f"{KEY}.txt").read_bytes() == KEY.encode()
    if where == "live":  # the deploy: the site now serves what the build holds
        site_server.route(f"/{KEY}.txt", (build / f"{KEY}.txt").read_bytes())
    assert cli(*args, cwd=tmp_path).returncode == 0


# --- notes are not warnings ------------------------------------------------------------------


def test_an_idempotent_rerun_reports_notes_not_warnings(
    world: dict[str, Any], endpoint: IndexNowServer
) -> None:
    plan = world["tmp"] / "plan.json"
    common = ("--site", world["base"], "--json")
    assert (
        cli(
            "plan", *common, "--build", str(world["build"]), "--out", str(plan), cwd=world["tmp"]
        ).returncode
        == 0
    )
    submit = ("submit", "--plan", str(plan), "--endpoint", endpoint.endpoint, *common)
    first = report_of(cli(*submit, cwd=world["tmp"]))
    again = report_of(cli(*submit, cwd=world["tmp"]))
    assert len(first["submitted"]) == 2
    assert again["submitted"] == []
    assert again["warnings"] == []
    assert any("already accepted" in note for note in again["notes"])
    assert endpoint.accepted_counts() == {world["base"] + "/a": 1, world["base"] + "/new": 1}


# --- the config file named by the environment ---------------------------------------------------


def test_indexnow_config_in_the_environment_names_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "sites").mkdir()
    (tmp_path / "before.xml").write_text(urlset({"https://example.com/": "2024-01-01"}))
    (tmp_path / "build.xml").write_text(urlset({"https://example.com/new": "2024-01-01"}))
    (tmp_path / "sites" / "example.yml").write_text(
        "site: https://example.com\nbaseline: ../before.xml\nbuild: ../build.xml\n"
    )
    out = ("plan", "--out", "plan.json", "--json")
    done = cli(*out, cwd=tmp_path, env={"INDEXNOW_CONFIG": "sites/example.yml"})
    assert done.returncode == 0, done.stderr
    assert report_of(done)["added"] == ["https://example.com/new"]

    # --config still wins over the environment; a missing file is named.
    missing = cli(*out, cwd=tmp_path, env={"INDEXNOW_CONFIG": "sites/nope.yml"})
    assert missing.returncode == 2
    assert "INDEXNOW_CONFIG sites/nope.yml: no such file" in report_of(missing)["error"]["message"]
    explicit = cli(
        *out, "--config", "sites/example.yml", cwd=tmp_path, env={"INDEXNOW_CONFIG": "x.yml"}
    )
    assert explicit.returncode == 0, explicit.stderr


# --- the README's synopsis ----------------------------------------------------------------------


def test_readme_synopsis_names_every_option_of_every_command() -> None:
    from indexnow_sync.cli import cli as group

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Commands\n\n```\n") :]
    block = block[: block.index("```", 20)]
    entries = re.split(r"\n(?=indexnow-sync )", block)
    for name, command in group.commands.items():
        entry = next(e for e in entries if e.startswith(f"indexnow-sync {name} "))
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--"):
                    both = option.replace("--", "--[no-]", 1)  # --[no-]include-removed
                    assert option in entry or both in entry, f"{name} lacks {option} in README"


# --- issue 19: the top-level help --------------------------------------------------------------


def test_top_level_help_shows_every_command_summary_whole(tmp_path: Path) -> None:
    # Before: click cut "plan" and "verify-key" short with "..." at 80 columns.
    from indexnow_sync.cli import cli as group

    done = cli("--help", cwd=tmp_path, env={"COLUMNS": "80"})
    assert done.returncode == 0
    text = done.stdout.decode("utf-8")
    listing = " ".join(text[text.index("Commands:") :].split())
    assert "..." not in listing
    for name, command in group.commands.items():
        summary = " ".join((command.help or "").split("\n\n")[0].split())
        assert f"{name} {summary}" in listing, (name, text)
    assert max(len(line) for line in text.splitlines()) <= 80


# --- issue 19: every error is what failed, then the cause and the fix --------------------------

ERROR_KEY = "0123456789abcdef0123456789abcdef"


class ErrorWorld:
    """A local site (robots.txt, pages, key file) and a build of three pages, for runs that
    each end in one kind of error."""

    def __init__(self, site: SiteServer, endpoint: IndexNowServer, tmp: Path) -> None:
        self.site, self.endpoint, self.tmp = site, endpoint, tmp
        self.base = site.base_url
        self.pages = [f"{self.base}/{name}" for name in ("a", "b", "c")]
        (tmp / "dist").mkdir()
        (tmp / "dist" / "sitemap.xml").write_text(
            urlset(dict.fromkeys(self.pages, "2024-06-01")), encoding="utf-8"
        )
        (tmp / "before.xml").write_text(urlset({}), encoding="utf-8")
        (tmp / "empty").mkdir()
        site.route("/robots.txt", "User-agent: *\nAllow: /\n")
        site.route(f"/{ERROR_KEY}.txt", ERROR_KEY)
        self.serve_pages("<html><head></head></html>")

    def serve_pages(self, html: str, status: int = 200) -> None:
        for page in self.pages:
            path = page.removeprefix(self.base)
            self.site.route(path, html, status=status, content_type="text/html")

    def sync(self, *extra: str, site: str | None = None) -> tuple[str, ...]:
        endpoint = self.endpoint.endpoint
        return ("sync", "--site", site or self.base, "--build", "dist",
                "--baseline", "before.xml", "--endpoint", endpoint, *extra)  # fmt: skip


def _setup_kind(world: ErrorWorld, kind: str) -> tuple[str, ...]:
    if kind == "usage":
        return ("submit",)
    if kind == "config":
        return ("plan", "--site", "https://exa mple.com", "--build", "dist", "--out", "p.json")
    if kind == "key_format":
        return (*world.sync(), "--key", "short")
    if kind == "build_sitemap":
        return ("plan", "--site", world.base, "--build", "empty", "--out", "p.json")
    if kind == "plan_file":
        return ("submit", "--plan", "missing.json")
    if kind == "live_sitemap":
        return ("plan", "--site", world.base, "--build", "dist", "--out", "p.json",
                "--live", f"{world.base}/sitemp.xml")  # fmt: skip
    if kind == "key_check":
        world.site.route(f"/{ERROR_KEY}.txt", "gone", status=404)
        return world.sync()
    if kind == "not_deployed":
        world.serve_pages("missing", status=404)
        return world.sync()
    if kind == "max_urls":
        return world.sync("--max-urls", "1")
    if kind == "robots":
        world.site.route("/robots.txt", "down", status=503)
        return world.sync()
    if kind == "checks":
        world.serve_pages('<html><head><meta name="robots" content="noindex"></head></html>')
        return world.sync()
    if kind == "submission":
        from tests.indexnow_server import Answer

        world.endpoint.script(Answer(status=422, body="bad"))
        return world.sync()
    assert kind == "usage-site-form", kind
    return world.sync(site=world.base.replace("http://", "https://"))


# scenario (its kind unless given after ':'), exit code, the first words of the first line
KINDS = [
    ("usage", 2, "submit needs exactly one of"),
    ("config", 2, "--site: has a space"),
    ("key_format", 2, "the IndexNow key is 5 characters long"),
    ("build_sitemap", 2, "--build empty: no sitemap found in this folder"),
    ("plan_file", 2, "--plan missing.json: no such file"),
    ("live_sitemap", 1, "no sitemap at"),
    ("key_check", 1, "key file"),
    ("not_deployed", 1, "every added URL answered 404 or 410"),
    ("max_urls", 1, "3 URLs to submit, more than --max-urls 1"),
    ("robots", 1, "http://127.0.0.1:"),
    ("checks", 1, "all 3 checked pages are noindex"),
    ("submission", 1, "3 URL(s) were not submitted"),
    ("usage-site-form:usage", 2, "the build's URLs are on http://127.0.0.1:"),
]


@pytest.mark.parametrize(("scenario", "code", "first_words"), KINDS)
def test_every_error_is_a_short_first_line_then_the_cause_and_the_fix(
    site_server: SiteServer,
    endpoint: IndexNowServer,
    tmp_path: Path,
    scenario: str,
    code: int,
    first_words: str,
) -> None:
    # Before: most of these were one line of 150-600 characters, the fix inside it.
    scenario, _, kind = scenario.partition(":")
    kind = kind or scenario
    world = ErrorWorld(site_server, endpoint, tmp_path)
    summary = tmp_path / "summary.md"
    done = cli(
        *_setup_kind(world, scenario),
        "--json",
        cwd=tmp_path,
        key=ERROR_KEY,
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert done.returncode == code, done.stderr
    error = report_of(done)["error"]
    assert error["kind"] == kind
    lines = error["message"].splitlines()
    assert lines[0].startswith(first_words)
    assert len(lines[0]) <= 120, lines[0]
    assert all(len(line) < 160 for line in lines), lines
    if code == 1 or scenario in ("config", "key_format", "build_sitemap", "plan_file"):
        assert len(lines) >= 2 and lines[-1].startswith("fix: "), lines
    # stderr: the same lines, the first after "error: ", the others indented beneath it.
    stderr = done.stderr.decode("utf-8").splitlines()
    start = stderr.index(f"error: {lines[0]}")
    assert stderr[start : start + len(lines)] == [
        f"error: {lines[0]}",
        *(f"  {line}" for line in lines[1:]),
    ]
    # GitHub Actions: one annotation for the error, its lines joined by %0A.
    annotations = [
        line for line in stderr if line.startswith(f"::error title=indexnow-sync%3A {kind}::")
    ]
    assert len(annotations) == 1
    assert annotations[0].split("::", 2)[2].split("%0A")[0] == lines[0].replace("%", "%25")
    assert annotations[0].count("%0A") == len(lines) - 1
    shown = [line for line in stderr if not line.startswith("::add-mask::")]
    assert ERROR_KEY not in done.stdout.decode() + "\n".join(shown)
    assert "<br>" in summary.read_text(encoding="utf-8") or len(lines) == 1


def test_a_build_on_another_scheme_stops_before_any_page_is_requested(
    site_server: SiteServer, endpoint: IndexNowServer, tmp_path: Path
) -> None:
    # The live sitemap lists http:// URLs, the build https:// ones, --site says https://:
    # before, "3 added, 3 removed" and every page requested over https.
    base = site_server.base_url
    https = base.replace("http://", "https://")
    site_server.route("/sitemap.xml", urlset({f"{base}/{p}": "2024-01-01" for p in "abc"}))
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "sitemap.xml").write_text(
        urlset({f"{https}/{p}": "2024-01-01" for p in "abc"}), encoding="utf-8"
    )
    done = cli(
        "sync", "--site", base, "--build", "dist", "--endpoint", endpoint.endpoint, "--json",
        cwd=tmp_path, key=ERROR_KEY,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    first, cause, fix = report_of(done)["error"]["message"].splitlines()
    assert first == f"the build's URLs are on {https}, --site is {base}"
    assert cause.startswith("3 of 3 URLs in the build's sitemap differ from --site only by the")
    assert fix.startswith(f"fix: pass --site {https} if that is the site's address")
    paths = {request.path for request in site_server.requests}
    assert paths <= {"/robots.txt", "/sitemap.xml"}  # the live sitemap only: no page, no key
    assert endpoint.requests == []


# --- issue 18: the one line --fix-lastmod writes -------------------------------------------

_FIX = {"written": True, "files": ["b/sitemap.xml"], "moved_back": 0, "added": 0}


@pytest.mark.parametrize(
    ("fix", "line"),
    [
        (
            {**_FIX, "corrected": 3, "moved_back": 1, "added": 2, "moved_forward": 0},
            "true lastmods: corrected 3 <lastmod> in 1 sitemap file(s): 1 moved back to when "
            "the content changed, 2 added where missing",
        ),
        (
            {**_FIX, "written": False, "corrected": 1, "moved_forward": 1},
            "true lastmods: would correct (dry run: nothing written) 1 <lastmod> in 1 sitemap "
            "file(s): 1 moved forward for an edit the generator did not date",
        ),
        (
            {**_FIX, "corrected": 0, "moved_forward": 0},
            "true lastmods: none moved; rewrote 1 sitemap file(s) to write them in UTC to the "
            "second",
        ),
        (
            {**_FIX, "files": [], "corrected": 0, "moved_forward": 0},
            "true lastmods: every <lastmod> already says when its content changed",
        ),
        (
            {**_FIX, "files": [], "corrected": 0, "moved_forward": 0, "skipped": "no pages"},
            "true lastmods: none written: no pages",
        ),
    ],
    ids=["corrected", "dry-run", "reworded", "nothing", "skipped"],
)
def test_the_fix_lastmod_line(fix: dict[str, Any], line: str) -> None:
    from indexnow_sync.report import lastmod_fix_line

    assert lastmod_fix_line(fix) == line


def test_every_list_cut_at_20_says_how_many_more_and_where_they_all_are() -> None:
    # A review finding: "NOT sent: 10001 URL(s)" showed 20 URLs and no word of the rest.
    from indexnow_sync.models import Delta, SubmitResult
    from indexnow_sync.outcome import Outcome
    from indexnow_sync.report import human_lines, to_json

    urls = [f"https://example.com/{n}" for n in range(25)]
    plan = Outcome("plan", "https://example.com", False, delta=Delta(tuple(urls), (), ()))
    lines = human_lines(to_json(plan, None, "plan"))
    assert lines[lines.index(f"  added    {urls[19]}") + 1] == (
        "  ... and 5 more added (--json or --report FILE lists them all)"
    )
    failed = Outcome("submit", None, False, result=SubmitResult(failed=tuple(urls)))
    lines = human_lines(to_json(failed, None, "submit"))
    assert lines[lines.index(f"  not sent {urls[19]}") + 1] == (
        "  ... and 5 more not sent (--json or --report FILE lists them all)"
    )

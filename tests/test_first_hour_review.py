"""A second first-hour review, after issue 19: what a new user tried on main and found wrong.

Each test is one finding of that review (the numbers are the review's), run against the real
CLI and local servers on 127.0.0.1: a robots.txt line that 404s while /sitemap.xml works, a
--report path that cannot be written, verify-key from a key location alone, plan after the
deploy, key-file fetch errors in the message format, endpoint refusals, a URL list bringing in
another scheme, --json in odd endings, a guessed build folder, another key's file, a path
passed as key, fixes that name what the run did, wrong files, click's usage errors, the
build's host checked when the live site does not answer, and the dry run's output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from tests import test_cli_e2e as e2e
from tests.indexnow_server import Answer, IndexNowServer
from tests.siteserver import SiteServer
from tests.test_cli_output import _closed_port, user_environ

KEY = "3f9a0c1d2e4b5a6978877665544332211a2b4c8d"
OTHER_KEY = e2e.OTHER_KEY
PAGE = e2e.PAGE
urlset = e2e.urlset


class Run(e2e.Run):
    """One CLI run (in process): exit code, stdout, stderr, the --json report, the error."""

    @property
    def error_lines(self) -> list[str]:
        """The error's lines on stderr: ``error: ...`` and the indented lines under it."""
        lines = self.stderr.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("error: "))
        block = [lines[start]]
        for line in lines[start + 1 :]:
            if not line.startswith("  "):
                break
            block.append(line)
        return block


def run(*args: str, env: Mapping[str, str | None] | None = None, key: str | None = KEY) -> Run:
    environ: dict[str, str | None] = {"INDEXNOW_KEY": key, "GITHUB_ACTIONS": None}
    environ.update(env or {})
    result = CliRunner().invoke(cli, list(args), env=environ)
    return Run(result.exit_code, result.stdout, result.stderr)


def process(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, key: str | None = KEY
) -> subprocess.Popen[bytes]:
    """The CLI as a user's shell starts it: a real process, stdout and stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "indexnow_sync", *args],
        cwd=cwd,
        env=user_environ(env, key),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def assert_message_format(lines: list[str], *places: object) -> None:
    """SPEC's error shape: a short first line, then at most one cause and one fix line, each
    under about 160 characters once the test's own long paths and URLs (``places``) are
    counted as the short ones a user has."""
    assert lines[0].startswith("error: ")
    for line in lines:
        for place in places:
            line = line.replace(str(place), "/srv/site")
        assert len(line) < 170, lines
    fixes = [line for line in lines if line.strip().startswith("fix:")]
    assert len(fixes) <= 1, lines
    assert len(lines) <= 3, lines


class World:
    """A live site (old sitemap, key file, pages) and a build folder with a newer sitemap."""

    def __init__(self, server: SiteServer, endpoint: IndexNowServer, tmp: Path) -> None:
        self.server = server
        self.endpoint = endpoint
        self.base = server.base_url
        self.tmp = tmp
        self.build = tmp / "dist"
        self.build.mkdir()
        self.plan = tmp / "plan.json"
        server.route(f"/{KEY}.txt", KEY, content_type="text/plain")

    def u(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def live(self, entries: Mapping[str, str | None], path: str = "/sitemap.xml") -> None:
        self.server.route(path, urlset({self.u(k): v for k, v in entries.items()}))

    def built(self, entries: Mapping[str, str | None], *, deployed: bool = True) -> None:
        (self.build / "sitemap.xml").write_text(
            urlset({self.u(k): v for k, v in entries.items()}), encoding="utf-8"
        )
        if deployed:
            for path in entries:
                self.server.route(f"/{path.lstrip('/')}", PAGE, content_type="text/html")

    def sync(self, *extra: str, key: str | None = KEY) -> Run:
        return run(
            "sync", "--site", self.base, "--build", str(self.build),
            "--endpoint", self.endpoint.endpoint, *extra, key=key,
        )  # fmt: skip

    def plan_cmd(self, *extra: str, key: str | None = KEY) -> Run:
        return run(
            "plan", "--site", self.base, "--build", str(self.build), "--out", str(self.plan),
            *extra, key=key,
        )  # fmt: skip


@pytest.fixture
def endpoint() -> Iterator[IndexNowServer]:
    with IndexNowServer() as server:
        yield server


@pytest.fixture
def world(
    site_server: SiteServer,
    endpoint: IndexNowServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    monkeypatch.chdir(tmp_path)  # no indexnow.yml from the repo may leak in
    for name in ("INDEXNOW_LIVE", "INDEXNOW_BASELINE", "INDEXNOW_SITE", "INDEXNOW_BUILD"):
        monkeypatch.delenv(name, raising=False)
    return World(site_server, endpoint, tmp_path)


OLD = {"a": "2024-01-01", "b": "2024-01-01", "gone": "2024-01-01"}
NEW = {"a": "2024-01-01", "b": "2024-06-01", "new": "2024-06-01"}


# --- 1. a robots.txt Sitemap: line that 404s ------------------------------------------------


def test_a_stale_robots_sitemap_line_falls_back_to_the_default_names(world: World) -> None:
    world.server.route("/robots.txt", f"User-agent: *\nSitemap: {world.u('sitemp.xml')}\n")
    world.live(OLD)
    world.built(NEW)
    done = world.plan_cmd("--json")
    assert done.code == 0, done.stderr
    report = done.report
    # The diff is against /sitemap.xml, not "first deploy, everything added".
    assert report["added"] == [world.u("new")]
    assert report["changed"] == [world.u("b")]
    assert report["removed"] == [world.u("gone")]
    assert not any("first deploy" in warning for warning in report["warnings"])
    stale = [w for w in report["warnings"] if world.u("sitemp.xml") in w]
    assert len(stale) == 1, report["warnings"]
    assert "robots.txt" in stale[0] and "404" in stale[0]
    assert world.server.hits("/sitemap.xml") == 1


def test_robots_sitemaps_that_partly_work_are_still_their_union_alone(world: World) -> None:
    world.server.route(
        "/robots.txt",
        f"User-agent: *\nSitemap: {world.u('one.xml')}\nSitemap: {world.u('gone.xml')}\n",
    )
    world.live({"a": "2024-01-01"}, "/one.xml")
    world.live(OLD)  # not read: robots.txt names sitemaps that work
    world.built({"a": "2024-01-01", "new": None})
    done = world.plan_cmd("--json")
    assert done.code == 0, done.stderr
    assert done.report["added"] == [world.u("new")]
    assert done.report["removed"] == []
    assert world.server.hits("/sitemap.xml") == 0
    assert any(world.u("gone.xml") in w for w in done.report["warnings"])


def test_a_first_deploy_warning_names_exactly_what_was_tried(world: World) -> None:
    world.server.route("/robots.txt", f"User-agent: *\nSitemap: {world.u('sitemp.xml')}\n")
    world.built({"a": None})
    done = world.plan_cmd("--json")
    assert done.code == 0, done.stderr
    first = [w for w in done.report["warnings"] if "first deploy" in w]
    assert len(first) == 1, done.report["warnings"]
    for tried in ("sitemp.xml", "/sitemap.xml", "/sitemap-index.xml", "/sitemap_index.xml"):
        assert tried in first[0]
    for name in ("/sitemap.xml", "/sitemap-index.xml", "/sitemap_index.xml"):
        assert world.server.hits(name) == 1


def test_a_first_deploy_without_robots_txt_says_it_answered_404(world: World) -> None:
    world.built({"a": None})
    done = world.plan_cmd("--json")
    first = [w for w in done.report["warnings"] if "first deploy" in w]
    assert len(first) == 1, done.report["warnings"]
    assert f"{world.base}/robots.txt answered 404" in first[0]


# --- 2. --report to a path that cannot be written -------------------------------------------


@pytest.mark.parametrize("where", ["no such folder", "a folder"])
def test_an_unwritable_report_path_is_refused_before_any_request(world: World, where: str) -> None:
    world.live(OLD)
    world.built(NEW)
    target = world.tmp / "nosuch" / "report.json" if where == "no such folder" else world.tmp
    done = world.sync("--report", str(target), "--json")
    assert done.code == 2, done.stderr
    assert done.report["error"]["kind"] == "usage"
    assert done.error_lines[0].startswith(f"error: --report {target}")
    assert_message_format(done.error_lines, world.tmp)
    assert world.server.requests == []
    assert world.endpoint.requests == []
    assert done.report["dry_run"] is False
    assert sorted(p.name for p in world.tmp.iterdir()) == ["dist"]  # no stray file


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_report_in_a_read_only_folder_is_refused_before_any_request(world: World) -> None:
    folder = world.tmp / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        done = world.sync("--report", str(folder / "report.json"))
    finally:
        folder.chmod(0o755)
    assert done.code == 2, done.stderr
    assert "not writable" in done.stderr
    assert world.endpoint.requests == []


def test_a_report_that_fails_at_the_end_fails_the_run_and_says_what_was_sent(
    world: World,
) -> None:
    world.live(OLD)
    world.built(NEW)
    folder = world.tmp / "out"
    folder.mkdir()
    arrived, hold = threading.Event(), threading.Event()
    world.endpoint.script(Answer(hold=hold, arrived=arrived))
    running = process(
        "sync", "--site", world.base, "--build", str(world.build),
        "--endpoint", world.endpoint.endpoint, "--report", str(folder / "report.json"),
        cwd=world.tmp,
    )  # fmt: skip
    try:
        assert arrived.wait(60)
        folder.rmdir()  # the report's folder goes away while the POST is on its way
    finally:
        hold.set()
    _, stderr = running.communicate(timeout=60)
    text = stderr.decode("utf-8")
    assert running.returncode == 1, text
    assert sorted(world.endpoint.accepted) == [world.u("b"), world.u("gone"), world.u("new")]
    assert "submitted 3 URL(s)" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("error: --report"))
    block = lines[start : start + 3]
    assert "could not be written" in block[0]
    assert any("3 URL(s) were submitted" in line for line in block[1:]), block


# --- 3. verify-key with --key-location alone ------------------------------------------------


def test_verify_key_takes_the_site_from_the_key_location(world: World) -> None:
    world.server.route("/keys/other.txt", KEY, content_type="text/plain")
    done = run("verify-key", "--key-location", world.u("keys/other.txt"), "--json")
    assert done.code == 0, done.stderr
    assert done.report["site"] == world.base
    assert done.report["key_check"]["ok"] is True


def test_verify_key_with_a_key_location_that_404s_checks_it(world: World) -> None:
    done = run("verify-key", "--key-location", world.u("nothing.txt"))
    assert done.code == 1, done.stderr
    assert "was not found (HTTP 404)" in done.error_lines[0]


def test_verify_key_without_site_or_key_location_names_both(world: World) -> None:
    done = run("verify-key")
    assert done.code == 2
    assert "--site URL" in done.error_lines[0] and "--key-location URL" in done.error_lines[0]


# --- 5. plan after the deploy ---------------------------------------------------------------


def test_plan_after_the_deploy_says_the_deploy_has_probably_happened(world: World) -> None:
    world.live(NEW)  # the live site already serves this build
    world.built(NEW)
    done = world.plan_cmd("--json")
    assert done.code == 0, done.stderr
    report = done.report
    assert report["added"] == report["changed"] == report["removed"] == []
    # (the other note says the build has no pages: lastmod decided)
    (note,) = [note for note in report["notes"] if "probably happened" in note]
    assert "the live sitemap already lists the build's 3 URL(s)" in note
    assert "probably happened already" in note
    assert f"note: {note}" in done.stderr
    assert f"plan written to {world.plan}" in done.stderr
    assert world.plan.is_file()


def test_plan_before_the_deploy_has_no_such_note(world: World) -> None:
    world.live(OLD)
    world.built(NEW)
    done = world.plan_cmd("--json")
    assert done.code == 0, done.stderr
    notes = done.report["notes"]
    assert not [note for note in notes if "probably happened" in note], notes


# --- 6. key-file fetch errors in the message format -----------------------------------------


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    return _closed_port()


def test_verify_key_over_https_on_a_plain_http_port_is_one_cause_and_one_fix(
    world: World,
) -> None:
    port = world.base.rsplit(":", 1)[1]
    done = run("verify-key", "--site", f"https://127.0.0.1:{port}")
    assert done.code == 1, done.stderr
    lines = done.error_lines
    assert_message_format(lines)
    assert (
        lines[0] == f"error: key file https://127.0.0.1:{port}/3f9a…4c8d.txt could not be fetched"
    )
    assert "it answers plain HTTP" in lines[1]
    assert (
        lines[2]
        == f"  fix: use http:// (http://127.0.0.1:{port}) in --site, --live or --key-location"
    )


def test_verify_key_against_a_closed_port_is_one_cause_and_one_fix(closed_port: int) -> None:
    done = run("verify-key", "--site", f"http://127.0.0.1:{closed_port}")
    assert done.code == 1, done.stderr
    lines = done.error_lines
    assert_message_format(lines)
    assert lines[0].endswith("could not be fetched")
    assert "the connection was refused" in lines[1]
    assert lines[2].startswith("  fix: ")


def test_sync_with_a_baseline_against_a_site_that_is_down(world: World, closed_port: int) -> None:
    down = f"http://127.0.0.1:{closed_port}"
    (world.build / "sitemap.xml").write_text(urlset({f"{down}/new": None}), encoding="utf-8")
    (world.tmp / "before.xml").write_text(urlset({}), encoding="utf-8")
    done = run(
        "sync", "--site", down, "--build", str(world.build),
        "--baseline", str(world.tmp / "before.xml"), "--check", "off",
    )  # fmt: skip
    assert done.code == 1, done.stderr
    assert_message_format(done.error_lines)
    assert done.error_lines[0].endswith("could not be fetched")


# --- 7. an endpoint that refuses ------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 422])
def test_a_refusal_says_to_fix_the_cause_not_just_to_re_run(world: World, status: int) -> None:
    world.live(OLD)
    world.built(NEW)
    world.endpoint.script(Answer(status=status, body="Invalid url"))
    done = world.sync()
    assert done.code == 1, done.stderr
    lines = done.error_lines
    assert lines[0] == "error: 3 URL(s) were not submitted"
    assert f"HTTP {status}: Invalid url" in "\n".join(lines[1:])
    assert (
        lines[-1]
        == "  fix: fix the cause above, then re-run (the endpoint refuses it again as it is)"
    )
    assert "re-run to send them" not in done.stderr


def test_a_403_puts_the_verify_key_check_in_the_fix(world: World) -> None:
    world.live(OLD)
    world.built(NEW)
    world.endpoint.script(Answer(status=403, body="Forbidden"))
    done = world.sync()
    assert done.code == 1, done.stderr
    lines = done.error_lines
    assert "likely cause: the key is not valid" in "\n".join(lines[1:-1])
    assert "verify-key" not in "\n".join(lines[:-1])
    assert lines[-1] == (
        f"  fix: check the hosted key file: indexnow-sync verify-key --site {world.base}; "
        "fix it, then re-run"
    )


# --- 8. a URL list that brings in another scheme --------------------------------------------


@pytest.mark.parametrize("given_site", [True, False], ids=["with --site", "site inferred"])
def test_an_https_url_in_a_list_for_an_http_site_costs_only_that_url(
    world: World, given_site: bool
) -> None:
    world.built({"a": None, "new": None})  # (served pages; the build is not used)
    foreign = "https" + world.u("b").removeprefix("http")  # a plain-HTTP port: no TLS there
    urls = [world.u("a"), world.u("new"), foreign]
    site = ("--site", world.base) if given_site else ()
    done = run(
        "submit", *urls, *site, "--endpoint", world.endpoint.endpoint, "--json"
    )  # fmt: skip
    assert done.code == 0, done.stderr
    report = done.report
    assert report["site"] == world.base
    assert report["submitted"] == [world.u("a"), world.u("new")]
    (skipped,) = report["skipped"]
    assert (skipped["url"], skipped["code"]) == (foreign, "robots")
    assert "robots.txt" in skipped["reason"] and "the URL list" in skipped["reason"]
    assert sorted(world.endpoint.accepted) == [world.u("a"), world.u("new")]


def test_the_sites_own_robots_txt_unreachable_still_stops_the_run(world: World) -> None:
    world.built({"a": None})
    world.server.route("/robots.txt", "down", status=503, headers={"Retry-After": "0"})
    done = run(
        "submit", world.u("a"), "--site", world.base, "--endpoint", world.endpoint.endpoint,
        "--json",
    )  # fmt: skip
    assert done.code == 1, done.stderr
    assert done.report["error"]["kind"] == "robots"
    assert world.endpoint.requests == []


# --- 10. --json in odd endings --------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--live", "not-a-url"),
        ("--build", "nosuch"),
        ("--max-urls", "0"),
    ],
    ids=["a --live typo", "no such build", "a bad value"],
)
def test_a_dry_run_that_fails_early_reports_dry_run_true(
    world: World, args: tuple[str, ...]
) -> None:
    done = run("sync", "--site", world.base, "--dry-run", *args, "--json")
    assert done.code == 2, done.stderr
    assert done.report["error"] is not None
    assert done.report["dry_run"] is True


def test_a_dry_run_refused_by_the_option_parser_reports_dry_run_true(tmp_path: Path) -> None:
    running = process("sync", "--dry-run", "--dryrun", "--json", cwd=tmp_path)
    stdout, stderr = running.communicate(timeout=60)
    assert running.returncode == 2, stderr
    report = json.loads(stdout)
    assert (report["error"]["kind"], report["dry_run"]) == ("usage", True)


def test_ctrl_c_with_json_still_prints_one_json_object(world: World) -> None:
    import signal

    world.live(OLD)
    world.built(NEW)
    arrived, hold = threading.Event(), threading.Event()
    world.endpoint.script(Answer(hold=hold, arrived=arrived))
    running = process(
        "sync", "--site", world.base, "--build", str(world.build),
        "--endpoint", world.endpoint.endpoint, "--json", cwd=world.tmp,
    )  # fmt: skip
    try:
        assert arrived.wait(60)
        running.send_signal(signal.SIGINT)
        stdout, stderr = running.communicate(timeout=60)
    finally:
        hold.set()
    assert running.returncode == 130, stderr
    report = json.loads(stdout)
    assert report["error"]["kind"] == "interrupted"
    assert report["site"] == world.base
    assert b"Traceback" not in stderr
    assert b"error: interrupted" in stderr


@pytest.mark.parametrize(
    "args", [("sync", "--dryrun", "--json"), ("plan", "--json")], ids=["click", "a run"]
)
def test_a_closed_stdout_is_never_a_traceback(tmp_path: Path, args: tuple[str, ...]) -> None:
    # As in 'indexnow-sync sync --dryrun --json | head -c 10': the reader has gone when the
    # JSON is written.
    running = process(*args, cwd=tmp_path)
    assert running.stdout is not None and running.stderr is not None
    running.stdout.close()  # before the child writes a byte
    stderr = running.stderr.read()
    running.wait(timeout=60)
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr, stderr
    assert b"Exception ignored" not in stderr, stderr
    assert running.returncode == 2, stderr


# --- 11. a guessed build folder -------------------------------------------------------------

LIQUID_SITEMAP = """---
layout: null
---
<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{% for post in site.posts %}<url><loc>{{ site.url }}{{ post.url }}</loc></url>{% endfor %}
</urlset>
"""


def test_a_guessed_build_that_is_no_sitemap_says_it_was_guessed_and_names_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Jekyll project: sitemap.xml in the source root is a Liquid template; the build's
    # sitemap is _site/sitemap.xml.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sitemap.xml").write_text(LIQUID_SITEMAP, encoding="utf-8")
    (tmp_path / "_site").mkdir()
    (tmp_path / "_site" / "sitemap.xml").write_text(
        urlset({"https://example.com/a": None}), encoding="utf-8"
    )
    (tmp_path / "before.xml").write_text(urlset({}), encoding="utf-8")
    done = run(
        "plan", "--site", "https://example.com", "--baseline", "before.xml", "--out", "p.json"
    )
    assert done.code == 2, done.stderr
    lines = done.error_lines
    assert lines[0].startswith("error: sitemap.xml: is not XML")
    assert lines[-1] == (
        "  fix: . was guessed as the build folder (no --build given): pass --build _site"
    )
    assert_message_format(lines)


def test_the_readme_names_every_folder_a_build_is_guessed_in() -> None:
    from indexnow_sync.delta import BUILD_GUESSES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quick start") : readme.index("```yaml")]
    named = [folder.strip("`/") for folder in re.findall(r"`[^`]+/?`", quick)]
    assert [folder or "." for folder in named if folder in BUILD_GUESSES] == list(BUILD_GUESSES)


# --- 15. the wrong file ---------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--build", "--baseline"])
def test_an_html_page_given_as_a_sitemap_names_the_option_and_the_right_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "dist" / "sitemap.xml").write_text(
        urlset({"https://example.com/a": None}), encoding="utf-8"
    )
    sides = {"--build": "dist", "--baseline": "dist"}
    sides[option] = "dist/index.html"
    done = run(
        "plan", "--site", "https://example.com", "--build", sides["--build"],
        "--baseline", sides["--baseline"], "--out", "p.json", "--json",
    )  # fmt: skip
    assert done.code == 2, done.stderr
    assert done.report["error"]["kind"] == "build_sitemap"
    lines = done.error_lines
    assert lines[0].startswith(f"error: {option} dist/index.html: is an HTML page, not a sitemap")
    assert "served" not in done.stderr
    assert lines[-1].startswith("  fix: pass ") and option in lines[-1]


@pytest.mark.parametrize(
    ("name", "content", "first"),
    [
        ("sitemap.xml", urlset({"https://example.com/a": None}), "is not valid JSON"),
        ("plan.json", "{}", "is not an indexnow-sync plan file"),
    ],
    ids=["a sitemap", "other JSON"],
)
def test_a_plan_that_is_not_a_plan_has_a_cause_and_a_fix_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str, first: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(content, encoding="utf-8")
    done = run("submit", "--plan", name, "--site", "https://example.com")
    assert done.code == 2, done.stderr
    lines = done.error_lines
    assert lines[0] == f"error: --plan {name}: {first}"
    assert len(lines) == 3 and lines[2].startswith("  fix: "), lines
    assert "plan --out" in lines[2]
    assert_message_format(lines)


# --- 12. another key's file -----------------------------------------------------------------


def test_checking_another_keys_file_does_not_suggest_writing_this_key_into_it(
    world: World,
) -> None:
    # What the key-404 message suggests: verify-key --key-location URL-OF-THAT-FILE, here the
    # file of another key (its name is the key it holds).
    world.server.route(f"/{OTHER_KEY}.txt", OTHER_KEY, content_type="text/plain")
    done = run("verify-key", "--key-location", world.u(f"{OTHER_KEY}.txt"))
    assert done.code == 1, done.stderr
    lines = done.error_lines
    other_url = world.u(f"{OTHER_KEY}.txt")
    assert_message_format(lines, other_url)
    assert lines[0] == (
        f"error: key file {other_url} holds a different key of the same length (40 characters)"
    )
    assert "another key's file (0000…9999)" in lines[1]
    assert OTHER_KEY not in lines[2]  # not "write this key into the other key's file"
    assert lines[2].startswith("  fix: submit with the key that file holds")
    assert lines[2].endswith("""> BUILD_DIR/"$INDEXNOW_KEY".txt""")


def test_a_key_404_says_the_build_holds_another_keys_file(world: World) -> None:
    world.live(OLD)
    world.built(NEW)
    (world.build / f"{OTHER_KEY}.txt").write_text(OTHER_KEY, encoding="utf-8")
    (world.build / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
    world.server.route(f"/{KEY}.txt", "gone", status=404)
    done = world.sync()
    assert done.code == 1, done.stderr
    lines = done.error_lines
    assert lines[0].endswith("was not found (HTTP 404)")
    assert f"the build folder {world.build} holds the key file of another key (0000…9999.txt)" in (
        "\n".join(lines)
    )
    assert_message_format(lines, world.build, world.base)


def test_a_key_404_says_the_build_holds_no_key_file(world: World) -> None:
    world.live(OLD)
    world.built(NEW)
    world.server.route(f"/{KEY}.txt", "gone", status=404)
    done = world.sync()
    assert done.code == 1, done.stderr
    lines = done.error_lines
    assert f"the build folder {world.build} holds no key file" in "\n".join(lines)
    assert lines[-1].endswith(f"""> {world.build}/"$INDEXNOW_KEY".txt""")
    assert_message_format(lines, world.build, world.base)


# --- 14. fixes that name what the run already did -------------------------------------------


def test_a_key_404_at_a_key_location_given_does_not_say_to_point_it_there(world: World) -> None:
    world.live(OLD)
    world.built(NEW)
    (world.build / "keys").mkdir()
    done = world.sync("--key-location", world.u(f"keys/{KEY}.txt"))
    assert done.code == 1, done.stderr
    assert "was not found (HTTP 404)" in done.error_lines[0]
    assert "--key-location" not in done.error_lines[-1]


# --- 13. a path or a stray space given as the key -------------------------------------------


@pytest.mark.parametrize("given", ["flag", "environment"])
def test_a_key_file_path_given_as_the_key_is_called_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = f"public/{KEY}.txt"
    args = ("verify-key", "--site", "https://example.com")
    done = run(*args, "--key", path) if given == "flag" else run(*args, key=path)
    assert done.code == 2, done.stderr
    lines = done.error_lines
    assert "looks like a file path" in lines[0]
    assert (
        lines[-1]
        == """  fix: pass the key itself: --key "$(cat FILE)" (or INDEXNOW_KEY="$(cat FILE)")"""
    )
    assert KEY not in done.stderr


def test_a_key_with_a_leading_space_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = run("verify-key", "--site", "https://example.com", "--key", f" {KEY}")
    assert done.code == 2, done.stderr
    text = "\n".join(done.error_lines)
    assert "starts with a space" in text
    assert "newline" not in text


def test_a_max_urls_refusal_in_a_dry_run_does_not_suggest_a_dry_run(world: World) -> None:
    world.live(OLD)
    world.built(NEW)
    done = world.sync("--dry-run", "--max-urls", "1")
    assert done.code == 1, done.stderr
    assert "more than --max-urls 1" in done.error_lines[0]
    assert "--dry-run" not in "\n".join(done.error_lines)


def test_deferred_urls_are_sent_later_to_the_runs_endpoint(world: World) -> None:
    # The live sitemap never shows the build (--wait 1 ends with /b and /new deferred); the
    # command that sends them later must go where this run sends: --endpoint, --key-location.
    world.live(OLD)
    world.built(NEW)
    done = world.sync("--wait", "1", "--key-location", world.u(f"{KEY}.txt"))
    assert done.code == 1, done.stderr
    assert "were deferred" in done.error_lines[0]
    fix = "\n".join(line for line in done.error_lines if "indexnow-sync submit" in line)
    assert f"--endpoint {world.endpoint.endpoint}" in fix
    assert f"""--key-location {world.base}/"$INDEXNOW_KEY".txt""" in fix


@pytest.mark.parametrize(
    ("how", "named"),
    [("flag", "--live"), ("environment", "INDEXNOW_LIVE"), ("config", "indexnow.yml: live")],
)
def test_plan_with_a_live_typo_names_where_it_came_from_and_writes_no_plan(
    world: World, how: str, named: str
) -> None:
    world.built(NEW)
    typo = world.u("sitemp.xml")
    args: tuple[str, ...] = ()
    env: dict[str, str | None] = {}
    if how == "flag":
        args = ("--live", typo)
    elif how == "environment":
        env = {"INDEXNOW_LIVE": typo}
    else:
        (world.tmp / "indexnow.yml").write_text(f"live: {typo}\n", encoding="utf-8")
    done = run(
        "plan", "--site", world.base, "--build", str(world.build), "--out", str(world.plan),
        *args, env=env,
    )  # fmt: skip
    assert done.code == 1, done.stderr
    first = done.error_lines[0]
    assert first == f"error: no sitemap at {typo} (HTTP 404): check {named}; no plan was written"
    assert not world.plan.exists()


# --- 16. the option parser's errors in the format of every other error ---------------------


def test_a_mistyped_option_is_an_error_in_the_usual_format_with_the_suggestion(
    tmp_path: Path,
) -> None:
    running = process("sync", "--dryrun", cwd=tmp_path)
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == 2
    lines = stderr.decode("utf-8").splitlines()
    assert lines[0].startswith("error: No such option"), lines
    assert "--dryrun" in lines[0]
    assert all(line.startswith("  ") for line in lines[1:]), lines
    assert lines[-1].startswith("  fix: did you mean ") and "--dry-run" in lines[-1]
    assert "sync --help' lists its options" in lines[-1]
    assert_message_format(lines)


@pytest.mark.parametrize(
    "said",
    [
        "No such option: --dryrun (Possible options: --dry-run, --dry-runner)",  # click 8.2.0
        "No such option '--dryrun' (Possible options: --dry-run, --dry-runner)",  # click 8.2.1+
    ],
)
def test_a_mistyped_option_reads_the_same_on_every_supported_click(said: str) -> None:
    # The lowest-versions stage runs click 8.2.0, whose wording made the Troubleshooting row
    # (keyed "No such option '--dryrun'") miss the first line.
    from indexnow_sync.cli import _parser_error

    error = _parser_error(click.ClickException(said))
    assert str(error).splitlines()[0] == "No such option '--dryrun'"
    assert error.fix is not None and error.fix.startswith("did you mean one of --dry-run, ")


def test_a_mistyped_endpoint_name_gets_a_suggestion(tmp_path: Path) -> None:
    done = run("sync", "--site", "https://example.com", "--endpoint", "bign")
    assert done.code == 2, done.stderr
    lines = done.error_lines
    assert lines[0] == "error: --endpoint 'bign' is not an endpoint name or URL"
    assert lines[-1] == "  fix: did you mean bing?"
    assert_message_format(lines)


@pytest.mark.parametrize(
    "args",
    [
        ("submit",),
        ("verify-key",),
        ("submit", "--plan", "sitemap.xml"),
        ("sync", "--site", "https://example.com", "--endpoint", "bign"),
        ("sync", "--dryrun"),
    ],
    ids=["submit with nothing", "verify-key alone", "a sitemap as plan", "endpoint", "click"],
)
def test_troubleshooting_has_a_row_for_each_first_line(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "sitemap.xml").write_text(urlset({}), encoding="utf-8")
    running = process(*args, cwd=tmp_path)
    _, stderr = running.communicate(timeout=60)
    first = stderr.decode("utf-8").splitlines()[0].removeprefix("error: ")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Troubleshooting") : readme.index("# Reference")]
    keys = re.findall(r"^\| `([^`]+)`", section, flags=re.M)
    # A row's key is the first line up to its first placeholder (URL, FILE, N, ...).
    starts = [re.split(r"\b(?:URL|FILE|PATH|NAME|N|HOST|SITE|INDEX|CHILD|BUILD)\b|\.\.\.", k)[0]
              for k in keys]  # fmt: skip
    assert any(start.strip() and first.startswith(start.strip()) for start in starts), first


# --- 17. a --site typo that the build would have caught -------------------------------------


@pytest.mark.parametrize("command", ["plan", "sync"])
def test_a_site_that_does_not_answer_is_checked_against_the_builds_host(
    world: World, closed_port: int, command: str
) -> None:
    world.built(NEW, deployed=False)  # its URLs are on the world's port
    typo = f"http://127.0.0.1:{closed_port}"
    extra = ("--out", str(world.plan)) if command == "plan" else ()
    done = run(command, "--site", typo, "--build", str(world.build), *extra, "--json")
    assert done.code == 2, done.stderr
    assert done.error_lines[0] == f"error: the build's URLs are on {world.base}, --site is {typo}"
    assert "connection was refused" in done.report["error"]["message"]


def test_a_site_that_does_not_answer_with_the_builds_host_is_still_unreachable(
    world: World, closed_port: int
) -> None:
    down = f"http://127.0.0.1:{closed_port}"
    (world.build / "sitemap.xml").write_text(urlset({f"{down}/a": None}), encoding="utf-8")
    done = run("plan", "--site", down, "--build", str(world.build), "--out", str(world.plan))
    assert done.code == 1, done.stderr
    assert "connection was refused" in done.error_lines[0]


# --- 18. the dry run's output ---------------------------------------------------------------


def test_a_dry_run_shows_a_changed_urls_lastmod_change_and_the_post_it_would_make(
    world: World,
) -> None:
    world.live(OLD)
    world.built(NEW)
    done = world.sync("--dry-run")
    assert done.code == 0, done.stderr
    lines = done.stderr.splitlines()
    assert f"  would submit (changed) {world.u('b')} (lastmod 2024-01-01 → 2024-06-01)" in lines
    assert f"  would submit (added) {world.u('new')} (lastmod 2024-06-01)" in lines
    assert f"dry run: would POST 3 URL(s) to {world.endpoint.endpoint}" in lines
    assert "status=-" not in done.stderr and "attempts=0" not in done.stderr


def test_a_dry_run_with_nothing_to_send_says_so(world: World) -> None:
    world.live(NEW)
    world.built(NEW)
    done = world.sync("--dry-run")
    assert done.code == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "dry run: nothing to submit; nothing was sent"


def test_the_top_skipped_count_includes_the_urls_the_checks_skip(world: World) -> None:
    world.live(OLD)
    world.built(NEW)
    for path in ("b", "new"):  # both noindex: skipped by the page checks
        world.server.route(
            f"/{path}", "<html><head><meta name=robots content=noindex></head></html>",
            content_type="text/html",
        )  # fmt: skip
    done = world.sync("--dry-run")
    assert done.code == 0, done.stderr
    lines = done.stderr.splitlines()
    (top,) = [line for line in lines if line.startswith("delta: ")]
    assert top.startswith("delta: 1 added, 1 changed, 1 removed, 2 skipped"), top
    assert [line for line in lines if line.startswith("skipped ")] == [
        "skipped 2 URL(s), never sent:"
    ]


# --- 19. small wording ----------------------------------------------------------------------


def test_keygen_write_to_a_file_says_it_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "sitemap.xml").write_text("x", encoding="utf-8")
    done = run("keygen", "--write", str(tmp_path / "sitemap.xml"))
    assert done.code == 2
    assert (
        done.error_lines[0] == f"error: --write {tmp_path / 'sitemap.xml'}: is a file, not a folder"
    )


def test_a_relative_url_in_a_list_is_not_called_a_sitemap_loc(world: World) -> None:
    world.built({"a": None})
    done = run(
        "submit", world.u("a"), "/relative", "--site", world.base,
        "--endpoint", world.endpoint.endpoint, "--json",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    (skipped,) = done.report["skipped"]
    assert skipped["code"] == "relative"
    assert "sitemap" not in skipped["reason"] and "a URL must be absolute" in skipped["reason"]


def test_a_url_list_that_is_not_deployed_says_listed(world: World) -> None:
    done = run(
        "submit", world.u("x"), world.u("y"), "--site", world.base,
        "--endpoint", world.endpoint.endpoint,
    )  # fmt: skip
    assert done.code == 1, done.stderr
    assert done.error_lines[0].startswith("error: every listed URL answered 404 or 410")


@pytest.mark.parametrize(
    ("given", "suggested"),
    [
        ("www.example.com", "with its scheme: https://www.example.com"),
        (
            "https://user.github.io/repo",
            """--key-location https://user.github.io/repo/"$INDEXNOW_KEY".txt""",
        ),
    ],
)
def test_a_site_value_gets_the_fix_that_fits_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, suggested: str
) -> None:
    monkeypatch.chdir(tmp_path)
    done = run("verify-key", "--site", given)
    assert done.code == 2, done.stderr
    assert suggested in done.error_lines[-1]
    assert_message_format(done.error_lines)

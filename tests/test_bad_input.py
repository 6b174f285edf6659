"""Issue 9 items 4, 5 and 8: bad input is one clear line and exit 2, never "internal error".

Odd option values (flag, environment and config forms), config files that are not UTF-8 or
are YAML bombs, plan and state files of the wrong shape or nested without end, URL list files
with a BOM, and site values no browser would accept.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from tests.siteserver import SiteServer

KEY = "7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"
PAGE = "<!doctype html><html><head><title>p</title></head><body>p</body></html>"
URLSET = "<urlset><url><loc>https://ex.com/a</loc></url></urlset>"
PLAN_HEAD = '{"format": "indexnow-sync-plan", "version": 1'


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    def error_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.startswith("error: ")]
        assert len(lines) == 1, self.stderr
        return lines[0]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "sitemap.xml").write_text(URLSET, encoding="utf-8")
    (tmp_path / "base.xml").write_text(URLSET, encoding="utf-8")
    yield tmp_path


def run(
    *args: str, env: dict[str, str | None] | None = None, stdin: bytes | None = None
) -> Outcome:
    result = CliRunner().invoke(
        cli,
        list(args),
        env={"INDEXNOW_KEY": KEY, "GITHUB_ACTIONS": None, **(env or {})},
        input=stdin,
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "internal error" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    return Outcome(result.exit_code, result.stdout, result.stderr)


PLAN = ("plan", "--baseline", "base.xml", "--build", "build", "--out", "p.json")
OFFLINE_SYNC = (
    "sync",
    "--site",
    "http://127.0.0.1:9",
    "--baseline",
    "base.xml",
    "--build",
    "build",
    "--dry-run",
)


# --- item 4: odd values, in every form --------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e309", "1e10", "0", "-1"])
def test_an_unusable_timeout_is_a_usage_error_naming_the_flag(here: Path, value: str) -> None:
    done = run(*OFFLINE_SYNC, "--timeout", value)
    assert done.code == 2
    assert "--timeout" in done.error_line()


@pytest.mark.parametrize("value", ["inf", "nan", "1e309"])
def test_an_unusable_timeout_from_the_environment_names_the_variable(
    here: Path, value: str
) -> None:
    done = run(*OFFLINE_SYNC, env={"INDEXNOW_TIMEOUT": value})
    assert done.code == 2
    assert "INDEXNOW_TIMEOUT" in done.error_line()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("timeout: .inf\n", ["'timeout'"]),
        ("timeout: .nan\n", ["'timeout'"]),
        ("timeout: 1e309\n", ["'timeout'"]),
        ("max-urls: 99999999999999999999999999999999\n", ["'max-urls'", "at most"]),
        ("max-urls: " + "9" * 5000 + "\n", ["cannot be read"]),
        ("max-sitemap-bytes: 1e3\n", ["'max-sitemap-bytes'"]),
        ('build: "a\\0b"\n', ["'build'", "NUL"]),
        ("site: 2024-01-01\n", ["'site'", "date"]),
        ("site: {a: 1}\n", ["'site'", "dict"]),
        ("site: " + "[" * 20000 + "]" * 20000 + "\n", ["nested too deeply"]),
        ("? [a]\n: 1\n", ["YAML"]),
        ("site: !!python/object:os.system x\n", ["YAML"]),
    ],
)
def test_odd_config_values_name_the_file(here: Path, text: str, words: list[str]) -> None:
    (here / "indexnow.yml").write_text(text, encoding="utf-8")
    done = run(*PLAN)
    assert done.code == 2
    line = done.error_line()
    assert "indexnow.yml" in line
    for word in words:
        assert word in line


def test_a_yaml_alias_bomb_is_refused_without_expanding_it(here: Path) -> None:
    anchors = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        anchors.append(f"&{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    (here / "indexnow.yml").write_text("site: [" + ", ".join(anchors) + "]\n", encoding="utf-8")
    done = run(*PLAN)
    assert done.code == 2
    assert "'site'" in done.error_line()
    assert len(done.stderr) < 1000  # named, not printed: 9**9 "lol"s would not fit anywhere


def test_a_config_file_that_is_not_utf8_names_the_file(here: Path) -> None:
    (here / "indexnow.yml").write_bytes(b'site: "caf\xe9"\n')
    done = run(*PLAN)
    assert done.code == 2
    assert "indexnow.yml" in done.error_line() and "UTF-8" in done.error_line()


@pytest.mark.parametrize(
    "flag",
    [("--max-urls", "1" + "0" * 30), ("--max-sitemap-bytes", "1" + "0" * 30)],
)
def test_huge_numbers_are_refused_not_overflowed(here: Path, flag: tuple[str, str]) -> None:
    done = run(*OFFLINE_SYNC, *flag)
    assert done.code == 2
    assert flag[0] in done.error_line()


def test_an_unknown_endpoint_name_is_refused_also_with_nothing_to_send(
    here: Path, site_server: SiteServer
) -> None:
    done = run(
        "sync",
        "--site",
        site_server.base_url,
        "--baseline",
        "base.xml",
        "--build",
        "build",
        "--endpoint",
        "bogus",
    )
    assert done.code == 2
    assert "--endpoint" in done.error_line() and "bogus" in done.error_line()


# --- item 4: plan, journal and state files of the wrong shape ------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


# Plain ASCII ids: see `stable_parametrize_ids` in conftest.py.
@pytest.mark.parametrize(
    "text",
    [
        pytest.param(DEEP, id="nested-arrays"),
        pytest.param('{"a": ' * 50_000 + "1" + "}" * 50_000, id="nested-objects"),
        pytest.param("[]", id="a-list"),
        pytest.param("null", id="null"),
        pytest.param("", id="empty"),
        pytest.param("\xff", id="not-json"),
        pytest.param(PLAN_HEAD + "}", id="no-url-lists"),
        pytest.param(
            PLAN_HEAD + ', "added": "x", "changed": [], "removed": [], "skipped": [], '
            '"before": {}, "after": {}}',
            id="added-not-a-list",
        ),
        pytest.param(
            PLAN_HEAD + ', "added": [], "changed": [], "removed": [], "skipped": [1], '
            '"before": {}, "after": {}}',
            id="skipped-entry-not-an-object",
        ),
        pytest.param(
            PLAN_HEAD + ', "added": [], "changed": [], "removed": [], "skipped": [], '
            '"before": {"count": 1e999}, "after": {}}',
            id="infinite-count",
        ),
        pytest.param(
            PLAN_HEAD + ', "added": [], "changed": [], "removed": [], "skipped": [], '
            '"before": [], "after": {}}',
            id="before-not-an-object",
        ),
        pytest.param(
            PLAN_HEAD + ', "added": [], "changed": [], "removed": [], "skipped": [], '
            '"before": {}, "after": {}, "site": 5}',
            id="site-not-a-string",
        ),
        pytest.param(
            PLAN_HEAD + ', "added": [], "changed": [], "removed": [], "skipped": [], '
            '"before": {}, "after": {}, "site": "https://exa mple.com"}',
            id="site-with-a-space",
        ),
        pytest.param(PLAN_HEAD.replace("1", "2") + "}", id="version-2-without-lists"),
    ],
)
def test_a_broken_plan_file_is_a_usage_error_naming_it(here: Path, text: str) -> None:
    (here / "plan.json").write_text(text, encoding="utf-8")
    done = run("submit", "--plan", "plan.json", "--dry-run")
    assert done.code == 2
    assert "plan.json" in done.error_line()


def test_a_deeply_nested_journal_line_is_ignored(here: Path, site_server: SiteServer) -> None:
    (here / "plan.json").write_text(
        PLAN_HEAD + ', "site": null, "added": [], "changed": [], "removed": [], "skipped": [], '
        '"before": {}, "after": {}}',
        encoding="utf-8",
    )
    (here / "plan.json.progress").write_text(DEEP + "\n", encoding="utf-8")
    site_server.route(f"/{KEY}.txt", KEY, content_type="text/plain")
    done = run("submit", "--plan", "plan.json", "--site", site_server.base_url, "--dry-run")
    assert done.code == 0, done.stderr


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (DEEP, 2),
        ('{"accepted": []}', 2),
        ('{"accepted": {"URL": 1e999}}', 0),
        ('{"accepted": {"URL": -1e999}}', 0),
        ('{"accepted": {"URL": ' + "9" * 400 + "}}", 0),
        ('{"accepted": {"URL": true}}', 0),
    ],
    ids=["deep", "list", "inf", "-inf", "huge-int", "bool"],
)
def test_odd_state_files(here: Path, site_server: SiteServer, text: str, code: int) -> None:
    url = site_server.url("page")
    site_server.route(f"/{KEY}.txt", KEY, content_type="text/plain")
    site_server.route("/page", PAGE, content_type="text/html")  # live: passes the checks
    (here / "state.json").write_text(text.replace("URL", url), encoding="utf-8")
    done = run("submit", url, "--state", "state.json", "--dry-run", "--json")
    assert done.code == code, done.stderr
    if code == 2:
        assert "state.json" in done.error_line()
    else:
        assert json.loads(done.stdout)["would_submit"] == [url]


# --- item 5: URL lists --------------------------------------------------------------------------


@pytest.fixture
def site(site_server: SiteServer) -> SiteServer:
    site_server.route(f"/{KEY}.txt", KEY, content_type="text/plain")
    for name in ("first", "second", "third", "ok"):  # live pages: they pass the checks
        site_server.route(f"/{name}", PAGE, content_type="text/html")
    return site_server


def list_bytes(site: SiteServer) -> bytes:
    text = (
        f"{site.url('first')}\r\n"
        "\r\n"
        "# a comment\r\n"
        f"   {site.url('second')}   \r\n"
        "   # an indented comment\r\n"
        f"{site.url('third')}"
    )
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def expected(site: SiteServer) -> list[str]:
    return [site.url("first"), site.url("second"), site.url("third")]


def test_a_urls_file_with_a_bom_crlf_and_comments_keeps_every_url(
    here: Path, site: SiteServer
) -> None:
    (here / "urls.txt").write_bytes(list_bytes(site))
    done = run("submit", "--urls-file", "urls.txt", "--dry-run", "--json")
    assert done.code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["would_submit"] == expected(site)
    assert report["skipped"] == []


def test_urls_on_stdin_with_a_bom_keep_the_first_url(here: Path, site: SiteServer) -> None:
    done = run("submit", "--urls-file", "-", "--dry-run", "--json", stdin=list_bytes(site))
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["would_submit"] == expected(site)


def test_a_urls_file_that_is_not_utf8_is_a_usage_error(here: Path, site: SiteServer) -> None:
    (here / "urls.txt").write_bytes(site.url("caf\xe9").encode("latin-1"))
    done = run("submit", "--urls-file", "urls.txt", "--site", site.base_url, "--dry-run")
    assert done.code == 2
    assert "urls.txt" in done.error_line() and "UTF-8" in done.error_line()


# --- item 8: site values no browser accepts -------------------------------------------------------


BAD_SITES = [
    "https://exa mple.com",
    "https://exa\tmple.com",
    "https://ex..com",
    "https://.ex.com",
    "https://ex.com:0",
    "https://ex.com:99999",
    "https://ex.com:port",
    "https://user@ex.com",
    "https://user:secret@ex.com",
    "https://ex.com/blog",
    "https://ex.com/?q",
    "https://ex.com/#top",
    "https://ex<com",
    "https://ex%41.com",
    "https://[::1",
    "https://[not-an-address]",
    "https://" + "a" * 64 + ".com",
    "ftp://ex.com",
    "javascript:alert(1)",
    "ex.com",
    "//ex.com",
    "http://",
]


@pytest.mark.parametrize("value", BAD_SITES)
def test_an_invalid_site_is_a_usage_error_naming_the_value(here: Path, value: str) -> None:
    done = run(*PLAN, "--site", value)
    assert done.code == 2
    line = done.error_line()
    assert "--site" in line and repr(value) in line


@pytest.mark.parametrize("value", ["https://exa mple.com", "https://user@ex.com"])
def test_an_invalid_site_from_env_or_config_names_where_it_came_from(
    here: Path, value: str
) -> None:
    done = run(*PLAN, env={"INDEXNOW_SITE": value})
    assert done.code == 2 and "INDEXNOW_SITE" in done.error_line()
    (here / "indexnow.yml").write_text(f"site: {value}\n", encoding="utf-8")
    done = run(*PLAN)
    assert done.code == 2 and "indexnow.yml" in done.error_line()


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("https://Ex.com/", "https://ex.com"),
        ("https://my_host.ex.com", "https://my_host.ex.com"),
        ("https://ex.com.", "https://ex.com."),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8766", "http://[::1]:8766"),
        ("https://bücher.de", "https://bücher.de"),
    ],
)
def test_valid_sites_are_accepted(here: Path, value: str, normalized: str) -> None:
    # The build lists a page on that site (a --site matching no build URL is its own error).
    page = f"<url><loc>{normalized}/page</loc></url>"
    (here / "build" / "sitemap.xml").write_text(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{page}</urlset>',
        encoding="utf-8",
    )
    done = run(*PLAN, "--site", value, "--json")
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["site"] == normalized


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--live", "https://exa mple.com/sitemap.xml"),
        ("--live", "https://[::1/sitemap.xml"),
        ("--key-location", "https://ex ample.com/k.txt"),
        ("--key-location", "https://[::1/k.txt"),
        ("--endpoint", "https://api index.org/indexnow"),
        ("--endpoint", "ftp://api.indexnow.org/indexnow"),
    ],
)
def test_other_urls_with_invalid_hosts_are_usage_errors(
    here: Path, option: str, value: str
) -> None:
    done = run("sync", "--site", "https://ex.com", "--build", "build", option, value)
    assert done.code == 2
    assert option in done.error_line() and repr(value) in done.error_line()


def test_malformed_urls_in_a_list_are_skipped_like_sitemap_urls(
    here: Path, site: SiteServer
) -> None:
    good = site.url("ok")
    bad = [site.url("a b"), site.url("tab\there"), site.url("x" * 2100), "/relative", "mailto:a@b"]
    (here / "urls.txt").write_text("\n".join([*bad, good]), encoding="utf-8")
    done = run("submit", "--urls-file", "urls.txt", "--site", site.base_url, "--dry-run", "--json")
    assert done.code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["would_submit"] == [good]
    assert len(report["skipped"]) == len(bad)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_report_to_a_named_pipe_goes_through_it_and_leaves_the_pipe(here: Path) -> None:
    """``--report /dev/stdout`` and pipes are written through, never renamed over (as root,
    a rename would have replaced the device node itself)."""
    pipe = here / "report.pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    done = run(*PLAN, "--report", str(pipe))
    reader.join(timeout=30)
    assert done.code == 0, done.stderr
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert json.loads(received[0])["command"] == "plan"


def test_a_report_through_a_symlink_keeps_the_link(here: Path) -> None:
    (here / "reports").mkdir()
    link = here / "latest.json"
    link.symlink_to(here / "reports" / "run.json")
    done = run(*PLAN, "--report", str(link))
    assert done.code == 0, done.stderr
    assert link.is_symlink()
    assert json.loads((here / "reports" / "run.json").read_text())["command"] == "plan"


# --- a value from the environment or the config file is blamed on them, not on a flag -----------
# Found by review: `endpoint: bign` in the config file (or INDEXNOW_ENDPOINT=bign) was reported
# as "--endpoint 'bign' is not an endpoint name or URL", INDEXNOW_SITE as "--site is ...": the
# user looked for a flag they never passed.

NOT_AN_ENDPOINT = "is not an endpoint name or URL"


@pytest.mark.parametrize(
    ("config", "env", "flags", "where"),
    [
        ("endpoint: bign\n", {}, (), "indexnow.yml: key 'endpoint': 'bign'"),
        ("endpoint: 5\n", {}, (), "indexnow.yml: key 'endpoint': '5'"),
        ("", {"INDEXNOW_ENDPOINT": "bign"}, (), "environment INDEXNOW_ENDPOINT: 'bign'"),
        ("endpoint: bign\n", {"INDEXNOW_ENDPOINT": "bign"}, (), "environment INDEXNOW_ENDPOINT:"),
        ("endpoint: bing\n", {}, ("--endpoint", "bign"), "--endpoint 'bign'"),
    ],
)
def test_a_bad_endpoint_names_where_it_was_given(
    here: Path, config: str, env: dict[str, str | None], flags: tuple[str, ...], where: str
) -> None:
    (here / "indexnow.yml").write_text(config, encoding="utf-8")
    done = run(*OFFLINE_SYNC, *flags, env=env)
    assert done.code == 2
    line = done.error_line()
    assert f"{where}" in line and NOT_AN_ENDPOINT in line
    assert ("--endpoint" in line) == bool(flags)
    assert ("did you mean bing?" in done.stderr) == ("'bign'" in where or bool(env))


@pytest.mark.parametrize(
    ("config", "env", "where", "fix"),
    [
        ("", {}, "--site is https://other.example", "pass --site https://ex.com"),
        (
            "site: https://other.example\n",
            {},
            "indexnow.yml: key 'site' is https://other.example",
            "indexnow.yml: key 'site' to https://ex.com",
        ),
        (
            "",
            {"INDEXNOW_SITE": "https://other.example"},
            "environment INDEXNOW_SITE is https://other.example",
            "set environment INDEXNOW_SITE to https://ex.com",
        ),
    ],
)
def test_a_site_the_build_is_not_on_names_where_it_was_given(
    here: Path, config: str, env: dict[str, str | None], where: str, fix: str
) -> None:
    (here / "indexnow.yml").write_text(config, encoding="utf-8")
    flags = () if config or env else ("--site", "https://other.example")
    done = run("sync", *flags, "--baseline", "base.xml", "--build", "build", "--dry-run", env=env)
    assert done.code == 2
    line = done.error_line()
    assert line.startswith("error: the build's URLs are on https://ex.com, ")
    assert line.endswith(where) and "--site" not in line.removesuffix(where)
    assert fix in next(line for line in done.stderr.splitlines() if "fix: " in line)


@pytest.mark.parametrize(
    ("config", "env", "where"),
    [
        ("", {}, "--key-location"),
        (
            "key-location: https://elsewhere.example/k.txt\n",
            {},
            "indexnow.yml: key 'key-location':",
        ),
        (
            "",
            {"INDEXNOW_KEY_LOCATION": "https://elsewhere.example/k.txt"},
            "environment INDEXNOW_KEY_LOCATION:",
        ),
    ],
)
def test_a_key_location_off_the_site_names_where_it_was_given(
    here: Path, config: str, env: dict[str, str | None], where: str
) -> None:
    (here / "indexnow.yml").write_text(config, encoding="utf-8")
    flags = () if config or env else ("--key-location", "https://elsewhere.example/k.txt")
    site = ("--site", "https://ex.com")
    done = run(
        "sync", *site, *flags, "--baseline", "base.xml", "--build", "build", "--dry-run", env=env
    )
    assert done.code == 2
    line = done.error_line()
    assert f"{where} https://elsewhere.example/k.txt is not on the site's host" in line
    assert ("--key-location" in line) == bool(flags)


@pytest.mark.parametrize(
    ("config", "env", "where"),
    [
        ("baseline: gone.xml\n", {}, "indexnow.yml: key 'baseline': "),
        ("", {"INDEXNOW_BASELINE": "gone.xml"}, "environment INDEXNOW_BASELINE: "),
        ("build: nobuild\n", {}, "indexnow.yml: key 'build': "),
    ],
)
def test_a_missing_build_or_baseline_names_where_it_was_given(
    here: Path, config: str, env: dict[str, str | None], where: str
) -> None:
    (here / "indexnow.yml").write_text(config, encoding="utf-8")
    flags = [("--baseline", "base.xml"), ("--build", "build")]
    given = [flag for flag in flags if flag[0][2:] not in config + str(env).lower()]
    done = run("sync", "--site", "https://ex.com", *sum(given, ()), "--dry-run", env=env)
    assert done.code == 2
    line = done.error_line()
    assert where in line and "no such file or folder" in line
    assert "--baseline" not in line and "--build" not in line


@pytest.mark.parametrize(
    ("config", "env", "first"),
    [
        (
            "wait: 60\ncheck: off\n",
            {},
            "indexnow.yml: key 'wait' needs --check pages (got 'off' from ",
        ),
        (
            "",
            {"INDEXNOW_WAIT": "60", "INDEXNOW_CHECK": "robots"},
            "error: environment INDEXNOW_WAIT",
        ),
    ],
)
def test_wait_without_page_checks_names_where_they_were_given(
    here: Path, config: str, env: dict[str, str | None], first: str
) -> None:
    (here / "indexnow.yml").write_text(config, encoding="utf-8")
    done = run(*OFFLINE_SYNC, env=env)
    assert done.code == 2
    assert first in done.error_line() and "--wait" not in done.error_line()


def test_both_config_names_in_the_folder_is_a_warning_on_stderr(here: Path) -> None:
    (here / "indexnow.yml").write_text("max-urls: 50\n", encoding="utf-8")
    (here / ".indexnow.yml").write_text("max-urls: 1\n", encoding="utf-8")
    done = run(*PLAN)
    assert done.code == 0, done.stderr
    assert (
        f"warning: {here} holds both indexnow.yml and .indexnow.yml: only indexnow.yml is read, "
        ".indexnow.yml is ignored (merge them into one, or pass --config)"
    ) in done.stderr.splitlines()

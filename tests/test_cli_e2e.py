"""Issue 3 acceptance: the ``indexnow-sync`` CLI end to end against a local site and a strict
local IndexNow endpoint. Only the delta is sent, the key file gates every POST, retries and
resumes send each URL exactly once, and bad input exits 2 before any network call.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from tests.faketime import FakeTime, fake_retry_time
from tests.indexnow_server import Answer, IndexNowServer
from tests.siteserver import SiteServer

KEY = "3f9a0c1d2e4b5a6978877665544332211a2b4c8d"
OTHER_KEY = "0000111122223333444455556666777788889999"


def urlset(entries: dict[str, str | None]) -> str:
    items = "".join(
        f"<url><loc>{loc}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"
        for loc, lastmod in entries.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
    )


PAGE = "<!doctype html><html><head><title>A page</title></head><body>Hello</body></html>"


class Run:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    @property
    def report(self) -> dict[str, Any]:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, self.stdout + self.stderr
        parsed: dict[str, Any] = json.loads(lines[0])
        return parsed


class Env:
    """One test's world: a site (live sitemap + key file), a build folder, an endpoint."""

    def __init__(self, site: SiteServer, endpoint: IndexNowServer, tmp_path: Path) -> None:
        self.site = site
        self.endpoint = endpoint
        self.base = site.base_url
        self.tmp = tmp_path
        self.build = tmp_path / "build"
        self.build.mkdir()
        self.plan = tmp_path / "plan.json"
        self.site.route(f"/{KEY}.txt", KEY, content_type="text/plain")

    def u(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def build_sitemap(self, entries: dict[str, str | None], *, deployed: bool = True) -> None:
        """Write the build's sitemap; ``deployed``: the site serves its pages already (a
        plain HTML page each, which passes the checks before submitting)."""
        (self.build / "sitemap.xml").write_text(urlset(entries), encoding="utf-8")
        if deployed:
            for url in entries:
                if url.startswith(self.base):
                    self.site.route(url[len(self.base) :], PAGE, content_type="text/html")

    def live_sitemap(self, entries: dict[str, str | None]) -> None:
        self.site.route("/sitemap.xml", urlset(entries))

    def cli(self, *args: str, key: str | None = KEY) -> Run:
        result = CliRunner().invoke(
            cli, list(args), env={"INDEXNOW_KEY": key, "GITHUB_ACTIONS": None}
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    def sync(self, *extra: str, key: str | None = KEY, endpoint: str | None = None) -> Run:
        return self.cli(
            "sync",
            "--site",
            self.base,
            "--build",
            str(self.build),
            "--endpoint",
            endpoint or self.endpoint.endpoint,
            "--json",
            *extra,
            key=key,
        )

    def posts(self) -> int:
        return len([r for r in self.endpoint.requests if r.method == "POST"])


@pytest.fixture
def env(site_server: SiteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.chdir(tmp_path)
    with IndexNowServer() as endpoint:
        yield Env(site_server, endpoint, tmp_path)


def standard_delta(env: Env) -> tuple[list[str], list[str], list[str]]:
    """Live: a b gone; build: a (same) b (newer) new. Returns (added, changed, removed)."""
    env.live_sitemap(
        {env.u("a"): "2024-01-01", env.u("b"): "2024-01-01", env.u("gone"): "2024-01-01"}
    )
    env.build_sitemap(
        {env.u("a"): "2024-01-01", env.u("b"): "2024-06-01", env.u("new"): "2024-06-01"}
    )
    return [env.u("new")], [env.u("b")], [env.u("gone")]


def many(env: Env, n: int) -> dict[str, str | None]:
    return {env.u(f"p/{i}"): None for i in range(n)}


# --- sync sends exactly the delta -----------------------------------------------------------------


def test_sync_sends_the_delta_and_removed_urls_that_are_gone(env: Env) -> None:
    added, changed, removed = standard_delta(env)  # "gone" answers 404
    run = env.sync()
    assert run.code == 0, run.stderr
    assert sorted(env.endpoint.accepted) == sorted(added + changed + removed)
    assert sorted(run.report["submitted"]) == sorted(added + changed + removed)
    assert run.report["failed"] == []
    assert run.report["key_check"]["ok"] is True


def test_sync_with_no_include_removed_sends_only_added_and_changed(env: Env) -> None:
    added, changed, _removed = standard_delta(env)
    run = env.sync("--no-include-removed")
    assert run.code == 0, run.stderr
    assert sorted(env.endpoint.accepted) == sorted(added + changed)
    assert env.site.hits("/gone") == 0  # not even checked


def test_sync_with_include_removed_also_sends_removed(env: Env) -> None:
    added, changed, removed = standard_delta(env)
    run = env.sync("--include-removed")
    assert run.code == 0, run.stderr
    assert sorted(env.endpoint.accepted) == sorted(added + changed + removed)


def test_sync_with_nothing_changed_sends_nothing(env: Env) -> None:
    env.live_sitemap({env.u("a"): "2024-01-01"})
    env.build_sitemap({env.u("a"): "2024-01-01"})
    run = env.sync()
    assert run.code == 0
    assert env.posts() == 0


# --- the key file gates every POST ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (KEY + "\n", "text/plain", 200, ["newline"]),
        ("\ufeff" + KEY, "text/plain; charset=utf-8", 200, ["BOM"]),
        ("<!doctype html><html><body>app</body></html>", "text/html", 200, ["HTML"]),
        ("not found", "text/plain", 404, ["404"]),
        (OTHER_KEY, "text/plain", 200, ["different key"]),
    ],
    ids=["trailing-newline", "bom", "html", "404", "another-key"],
)
def test_broken_key_file_stops_before_any_post(
    env: Env, body: str, content_type: str, status: int, words: list[str]
) -> None:
    standard_delta(env)
    env.site.route(f"/{KEY}.txt", body, content_type=content_type, status=status)
    run = env.sync()
    assert run.code == 1
    assert env.posts() == 0
    report = run.report
    assert report["error"]["kind"] == "key_check"
    assert report["key_check"]["ok"] is False
    for word in words:
        assert word.lower() in report["key_check"]["problem"].lower()
        assert word.lower() in run.stderr.lower()
    assert KEY not in run.stdout
    assert KEY not in run.stderr


def test_key_never_printed_on_success(env: Env) -> None:
    standard_delta(env)
    run = env.sync()
    assert run.code == 0
    assert KEY not in run.stdout
    assert KEY not in run.stderr
    assert KEY[:4] in run.report["key_check"]["url"]


# --- retries --------------------------------------------------------------------------------------


def test_429_with_retry_after_then_success(env: Env) -> None:
    added, changed, removed = standard_delta(env)
    env.endpoint.script(Answer(status=429, body="slow down", headers={"Retry-After": "1"}))
    started = time.monotonic()
    run = env.sync()
    elapsed = time.monotonic() - started
    assert run.code == 0, run.stderr
    assert elapsed >= 1.0
    assert sorted(env.endpoint.accepted) == sorted(added + changed + removed)
    assert run.report["requests"][0]["attempts"] == 2


def test_a_rate_limited_endpoint_falls_back_to_the_next_one_listed(env: Env) -> None:
    # SPEC "Submitting": --endpoint a,b sets the order; the report names the endpoint that
    # accepted each batch. Retry-After: 0 keeps the default policy (5 attempts) fast.
    added, changed, removed = standard_delta(env)
    env.endpoint.script(
        *[Answer(status=429, body="too many", headers={"Retry-After": "0"}) for _ in range(5)]
    )
    with IndexNowServer() as second:
        run = env.sync(endpoint=f"{env.endpoint.endpoint},{second.endpoint}")
        assert run.code == 0, run.stderr
        assert sorted(second.accepted) == sorted(added + changed + removed)
    assert env.endpoint.accepted == [] and env.posts() == 5
    assert [(r["endpoint"], r["outcome"]) for r in run.report["requests"]] == [
        (env.endpoint.endpoint, "passed_on"),
        (second.endpoint, "accepted"),
    ]
    lines = run.stderr.splitlines()
    passed = next(i for i, line in enumerate(lines) if "passed_on" in line)
    accepted = next(i for i, line in enumerate(lines) if f"POST {second.endpoint}" in line)
    assert passed < accepted  # progress lines in the order the requests ended
    assert any(second.endpoint in w for w in run.report["warnings"])


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    return fake_retry_time(monkeypatch)


def lines_with(run: Run, *words: str) -> list[str]:
    return [line for line in run.stderr.splitlines() if all(w in line for w in words)]


def test_each_wait_for_a_retry_is_a_progress_line(env: Env, fake_time: FakeTime) -> None:
    # A review finding: a rate-limited endpoint kept the run silent for minutes.
    standard_delta(env)
    env.endpoint.script(
        Answer(status=429, body="slow down", headers={"Retry-After": "30"}),
        Answer(status=503, body="busy"),
        Answer(drop=True),
    )
    run = env.sync()
    assert run.code == 0, run.stderr
    assert fake_time.sleeps == [30.0, 2.0, 4.0]
    url = env.endpoint.endpoint
    assert lines_with(run, "retrying in") == [
        f"{url} answered 429: retrying in 30 s (attempt 2 of 5)",
        f"{url} answered 503: retrying in 2 s (attempt 3 of 5)",
        f"{url} could not be reached: retrying in 4 s (attempt 4 of 5)",
    ]
    lines = run.stderr.splitlines()
    last_wait = lines.index(f"{url} could not be reached: retrying in 4 s (attempt 4 of 5)")
    (post,) = lines_with(run, f"POST {url}")
    assert last_wait < lines.index(post) and post.endswith("attempts=4: accepted (HTTP 200)")
    assert run.report["requests"][0]["attempts"] == 4  # --json: stdout is the one object


def test_a_fallback_to_the_next_endpoint_is_a_progress_line(env: Env, fake_time: FakeTime) -> None:
    added, changed, removed = standard_delta(env)
    env.endpoint.script(*[Answer(status=429, body="too many") for _ in range(5)])
    with IndexNowServer() as second:
        run = env.sync(endpoint=f"{env.endpoint.endpoint},{second.endpoint}")
        assert run.code == 0, run.stderr
        assert sorted(second.accepted) == sorted(added + changed + removed)
    first = env.endpoint.endpoint
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert [line.split(": ")[1] for line in lines_with(run, "retrying in")] == [
        "retrying in 1 s (attempt 2 of 5)",
        "retrying in 2 s (attempt 3 of 5)",
        "retrying in 4 s (attempt 4 of 5)",
        "retrying in 8 s (attempt 5 of 5)",
    ]
    fallback = (
        f"{first} gave up after 5 attempts (HTTP 429): sending batch 1 of 1 to {second.endpoint}"
    )
    lines = run.stderr.splitlines()
    assert lines.count(fallback) == 1
    assert lines.index(fallback) < lines.index(lines_with(run, f"POST {second.endpoint}")[0])


def test_a_retry_after_beyond_the_runs_budget_falls_back_at_once_and_says_why(
    env: Env, fake_time: FakeTime
) -> None:
    standard_delta(env)
    env.endpoint.script(Answer(status=429, headers={"Retry-After": "300"}))
    with IndexNowServer() as second:
        run = env.sync(endpoint=f"{env.endpoint.endpoint},{second.endpoint}")
    assert run.code == 0, run.stderr
    assert fake_time.sleeps == [] and lines_with(run, "retrying in") == []
    assert lines_with(run, "sending batch") == [
        f"{env.endpoint.endpoint} gave up after 1 attempt (HTTP 429; Retry-After 300 s is "
        f"more than the 120 s of waiting left): sending batch 1 of 1 to {second.endpoint}"
    ]


def test_the_last_endpoint_giving_up_says_so_once_with_its_waits(
    env: Env, fake_time: FakeTime
) -> None:
    standard_delta(env)
    env.endpoint.script(*[Answer(status=503) for _ in range(5)])
    run = env.sync()
    assert run.code == 1
    assert len(lines_with(run, "retrying in")) == 4 and lines_with(run, "sending batch") == []
    assert len(lines_with(run, "attempts=5: exhausted")) == 1


def test_a_retry_after_equal_to_the_waiting_left_is_waited_for(
    env: Env, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A review finding: after a 60 s wait that woke a little late, the next "Retry-After: 60"
    # with the run's other 60 s left counted as "more than the 59.9999 s of waiting left".
    def wakes_late(seconds: float) -> None:
        fake_time.sleep(seconds)
        fake_time.now += 0.0001

    from functools import partial

    from indexnow_sync import indexnow

    # (fake_time made RetryPolicy a partial on its clock: only the sleep changes here)
    monkeypatch.setattr(indexnow, "RetryPolicy", partial(indexnow.RetryPolicy, sleep=wakes_late))
    standard_delta(env)
    env.endpoint.script(*[Answer(status=429, headers={"Retry-After": "60"}) for _ in range(2)])
    run = env.sync()
    assert run.code == 0, run.stderr
    assert fake_time.sleeps == [60.0, 60.0]
    assert run.report["requests"][0]["attempts"] == 3


def test_an_endpoint_url_with_a_comma_is_one_endpoint(env: Env) -> None:
    # A review finding: "--endpoint http://h/ep?x=1,2" was split into two endpoints.
    standard_delta(env)
    endpoint = f"{env.endpoint.endpoint}?x=1,2&r=a:b,c:d"
    run = env.sync(endpoint=endpoint)
    assert run.code == 0, run.stderr
    assert [r["endpoint"] for r in run.report["requests"]] == [endpoint]
    assert env.posts() == 1


def test_persistent_503_fails_with_every_url_listed(env: Env) -> None:
    added, changed, removed = standard_delta(env)
    # Retry-After: 0 keeps the default policy (5 attempts) fast.
    env.endpoint.script(
        *[Answer(status=503, body="down", headers={"Retry-After": "0"}) for _ in range(10)]
    )
    started = time.monotonic()
    run = env.sync()
    assert time.monotonic() - started < 10
    assert run.code == 1
    assert env.endpoint.accepted == []
    assert env.posts() == 5
    report = run.report
    assert sorted(report["failed"]) == sorted(added + changed + removed)
    assert report["submitted"] == []
    assert report["error"] is not None


# --- big first deploy, caps, dry run --------------------------------------------------------------


def test_first_deploy_25k_urls_go_out_as_three_requests(env: Env) -> None:
    urls = many(env, 25_000)
    env.build_sitemap(urls, deployed=False)  # live: 404 everywhere
    run = env.sync("--max-urls", "30000", "--check", "off")
    assert run.code == 0, run.stderr
    assert [r.count for r in env.endpoint.requests if r.method == "POST"] == [
        10_000,
        10_000,
        5_000,
    ]
    counts = env.endpoint.accepted_counts()
    assert set(counts) == set(urls)
    assert set(counts.values()) == {1}


def test_over_max_urls_sends_nothing(env: Env) -> None:
    env.build_sitemap(many(env, 50))
    run = env.sync("--max-urls", "49")
    assert run.code == 1
    assert run.report["error"]["kind"] == "max_urls"
    assert "--max-urls" in run.stderr
    assert env.posts() == 0


def test_dry_run_checks_the_key_and_posts_nothing(env: Env) -> None:
    standard_delta(env)
    run = env.sync("--dry-run")
    assert run.code == 0, run.stderr
    assert env.posts() == 0
    assert env.site.hits(f"/{KEY}.txt") >= 1
    assert run.report["dry_run"] is True
    assert run.report["key_check"]["ok"] is True
    # It shows exactly what would go out, and why: the delta's URLs, each with its reason.
    would = run.report["would_submit"]
    delta = run.report["added"] + run.report["changed"] + run.report["removed"]
    assert sorted(would) == sorted(delta)
    assert run.report["submitted"] == []
    for url in run.report["added"]:
        assert f"would submit (added) {url}" in run.stderr


def test_dry_run_with_broken_key_file_fails(env: Env) -> None:
    standard_delta(env)
    env.site.route(f"/{KEY}.txt", KEY + "\n", content_type="text/plain")
    run = env.sync("--dry-run")
    assert run.code == 1
    assert run.report["error"]["kind"] == "key_check"
    assert env.posts() == 0


# --- plan, deploy, submit --plan ------------------------------------------------------------------


def test_plan_before_deploy_then_submit_sends_exactly_the_delta(env: Env) -> None:
    added, changed, removed = standard_delta(env)
    planned = env.cli(
        "plan", "--site", env.base, "--build", str(env.build), "--out", str(env.plan), "--json"
    )
    assert planned.code == 0, planned.stderr
    assert env.posts() == 0
    # The deploy: the live site now serves the new sitemap; a diff now would be empty.
    env.site.route("/sitemap.xml", (env.build / "sitemap.xml").read_text(encoding="utf-8"))
    run = env.cli("submit", "--plan", str(env.plan), "--endpoint", env.endpoint.endpoint, "--json")
    assert run.code == 0, run.stderr
    assert sorted(env.endpoint.accepted) == sorted(added + changed + removed)
    again = env.cli(
        "submit", "--plan", str(env.plan), "--endpoint", env.endpoint.endpoint, "--json"
    )
    assert again.code == 0, again.stderr
    assert sorted(env.endpoint.accepted) == sorted(added + changed + removed)  # nothing more


def test_submit_plan_resumes_after_a_mid_way_failure(env: Env) -> None:
    urls = many(env, 25_000)
    env.build_sitemap(urls, deployed=False)
    planned = env.cli(
        "plan", "--site", env.base, "--build", str(env.build), "--out", str(env.plan), "--json"
    )
    assert planned.code == 0, planned.stderr
    # --check robots: robots.txt answers 404, everything allowed; no 25,000 page GETs.
    plan, endpoint = str(env.plan), env.endpoint.endpoint
    args = ("submit", "--plan", plan, "--endpoint", endpoint, "--check", "robots")
    env.endpoint.script(Answer(), Answer(status=400, body="Bad request"))
    first = env.cli(*args, "--max-urls", "30000", "--json")
    assert first.code == 1
    assert len(first.report["submitted"]) == 10_000
    assert len(first.report["failed"]) == 15_000
    second = env.cli(*args, "--max-urls", "30000", "--json")
    assert second.code == 0, second.stderr
    counts = env.endpoint.accepted_counts()
    assert set(counts) == set(urls)
    assert set(counts.values()) == {1}
    posts = env.posts()
    third = env.cli(*args, "--max-urls", "30000", "--json")
    assert third.code == 0
    assert env.posts() == posts


# --- submit URL... --state ------------------------------------------------------------------------


def test_submit_urls_with_state_does_not_resubmit_within_10_minutes(env: Env) -> None:
    state = env.tmp / "state.json"
    urls = [env.u("x"), env.u("y")]
    for url in urls:
        env.site.route(url[len(env.base) :], PAGE, content_type="text/html")
    args = ("submit", *urls, "--site", env.base, "--endpoint", env.endpoint.endpoint)
    first = env.cli(*args, "--state", str(state), "--json")
    assert first.code == 0, first.stderr
    assert sorted(env.endpoint.accepted) == sorted(urls)
    second = env.cli(*args, "--state", str(state), "--json")
    assert second.code == 0, second.stderr
    assert sorted(env.endpoint.accepted) == sorted(urls)
    assert second.report["submitted"] == []


# --- verify-key and keygen ------------------------------------------------------------------------


def test_verify_key_ok(env: Env) -> None:
    run = env.cli("verify-key", "--site", env.base, "--json")
    assert run.code == 0, run.stderr
    assert run.report["key_check"]["ok"] is True


def test_verify_key_trailing_newline(env: Env) -> None:
    env.site.route(f"/{KEY}.txt", KEY + "\n", content_type="text/plain")
    run = env.cli("verify-key", "--site", env.base, "--json")
    assert run.code == 1
    assert "newline" in run.report["key_check"]["problem"]
    assert KEY not in run.stdout + run.stderr


def test_keygen_prints_a_key(env: Env) -> None:
    first = env.cli("keygen", key=None)
    second = env.cli("keygen", key=None)
    assert first.code == 0
    assert re.fullmatch(r"[0-9a-f]{32,}", first.stdout.strip())
    assert first.stdout != second.stdout


def test_keygen_write_writes_exactly_the_key(env: Env) -> None:
    folder = env.tmp / "public"
    folder.mkdir()
    run = env.cli("keygen", "--write", str(folder), key=None)
    assert run.code == 0
    key = run.stdout.strip()
    files = list(folder.iterdir())
    assert [f.name for f in files] == [f"{key}.txt"]
    assert files[0].read_bytes() == key.encode("ascii")


# --- usage errors exit 2 --------------------------------------------------------------------------


def test_invalid_key_format_is_a_usage_error_without_network(env: Env) -> None:
    standard_delta(env)
    before = len(env.site.requests)
    run = env.sync(key="abc")
    assert run.code == 2
    assert run.report["error"]["kind"] in ("key_format", "usage")
    assert len(env.site.requests) == before
    assert env.posts() == 0


def test_malformed_build_sitemap_is_a_usage_error(env: Env) -> None:
    env.live_sitemap({env.u("a"): None})
    (env.build / "sitemap.xml").write_text("<urlset><url><loc>x</loc>", encoding="utf-8")
    run = env.sync()
    assert run.code == 2
    assert run.report["error"]["kind"] == "build_sitemap"
    assert env.posts() == 0


def test_missing_build_is_a_usage_error(env: Env) -> None:
    run = env.cli(
        "sync",
        "--site",
        env.base,
        "--build",
        str(env.tmp / "nope"),
        "--endpoint",
        env.endpoint.endpoint,
        "--json",
    )
    assert run.code == 2
    assert "nope" in run.report["error"]["message"]
    assert env.posts() == 0


def test_unknown_config_key_is_a_usage_error(env: Env) -> None:
    standard_delta(env)
    config = env.tmp / "indexnow.yml"
    config.write_text("site: http://127.0.0.1:1\nmax_url: 5\n", encoding="utf-8")
    run = env.sync()
    assert run.code == 2
    assert "max_url" in run.report["error"]["message"]
    assert "indexnow.yml" in run.report["error"]["message"]
    assert env.posts() == 0


def test_bad_flag_exits_2_as_a_real_process(env: Env) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from indexnow_sync.cli import main; main()",
            "sync",
            "--no-such-flag",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env.tmp,
    )
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["kind"] == "usage"


def test_real_process_sync_exit_code_and_json(env: Env) -> None:
    added, changed, removed = standard_delta(env)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from indexnow_sync.cli import main; main()",
            "sync",
            "--site",
            env.base,
            "--build",
            str(env.build),
            "--endpoint",
            env.endpoint.endpoint,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env.tmp,
        env={"INDEXNOW_KEY": KEY, "PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1,localhost"},
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(json.loads(proc.stdout)["submitted"]) == sorted(added + changed + removed)
    assert KEY not in proc.stdout + proc.stderr


# --- more of the key rules and the endpoint's answers -----------------------------------------


def test_built_key_file_with_newline_is_caught_before_it_ships(env: Env) -> None:
    standard_delta(env)
    (env.build / f"{KEY}.txt").write_bytes(KEY.encode() + b"\n")  # hosted one is still fine
    run = env.sync()
    assert run.code == 1
    assert env.posts() == 0
    assert "newline" in run.report["key_check"]["problem"]
    assert KEY not in run.stdout + run.stderr


def test_invalid_key_flag_is_a_usage_error_without_network(env: Env) -> None:
    standard_delta(env)
    run = env.sync("--key", "abc", key=None)
    assert run.code == 2
    assert env.site.requests == []
    assert env.posts() == 0


def test_submit_plan_with_broken_key_file_sends_nothing_and_keeps_the_plan(env: Env) -> None:
    added, changed, removed = standard_delta(env)
    planned = env.cli(
        "plan", "--site", env.base, "--build", str(env.build), "--out", str(env.plan), "--json"
    )
    assert planned.code == 0, planned.stderr
    env.site.route(f"/{KEY}.txt", KEY + "\r\n", content_type="text/plain")
    args = ("submit", "--plan", str(env.plan), "--endpoint", env.endpoint.endpoint, "--json")
    failed = env.cli(*args)
    assert failed.code == 1
    assert env.posts() == 0
    env.site.route(f"/{KEY}.txt", KEY, content_type="text/plain")  # fixed
    fixed = env.cli(*args)
    assert fixed.code == 0, fixed.stderr
    assert sorted(env.endpoint.accepted) == sorted(added + changed + removed)


def test_first_deploy_is_still_capped_by_default(env: Env) -> None:
    env.build_sitemap(many(env, 10_001))
    run = env.sync()
    assert run.code == 1
    assert run.report["error"]["kind"] == "max_urls"
    assert env.posts() == 0


def test_key_location_in_a_folder_limits_what_is_sent(env: Env) -> None:
    env.site.route(f"/blog/{KEY}.txt", KEY, content_type="text/plain")
    env.build_sitemap({env.u("blog/a"): None, env.u("shop/b"): None})
    run = env.sync("--key-location", env.u(f"blog/{KEY}.txt"))
    assert run.code == 0, run.stderr
    assert env.endpoint.accepted == [env.u("blog/a")]
    assert [s["url"] for s in run.report["skipped"]] == [env.u("shop/b")]
    assert KEY not in run.stdout + run.stderr


def test_endpoint_refusal_is_not_retried(env: Env) -> None:
    standard_delta(env)
    env.endpoint.script(Answer(status=422, body="Url does not belong to host"))
    run = env.sync()
    assert run.code == 1
    assert env.posts() == 1
    assert run.report["requests"][0]["status"] == 422
    assert run.report["requests"][0]["attempts"] == 1
    assert len(run.report["failed"]) == 3


def test_off_host_build_url_is_skipped_never_sent(env: Env) -> None:
    env.build_sitemap({env.u("a"): None, "http://localhost:1/x": None})
    run = env.sync()
    assert run.code == 0, run.stderr
    assert env.endpoint.accepted == [env.u("a")]
    assert "http://localhost:1/x" in [s["url"] for s in run.report["skipped"]]


def test_a_run_that_fails_before_its_delta_still_names_its_site_in_json(env: Env) -> None:
    env.build_sitemap({env.u("new"): "2024-06-01"})
    env.site.route("/robots.txt", "down", status=503)  # the live site is unhealthy
    done = env.sync()
    assert done.code == 1
    report = json.loads(done.stdout)
    assert report["error"]["kind"] == "live_sitemap"
    assert report["site"] == env.base

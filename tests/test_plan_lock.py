"""Issue 9 item 3: two ``submit --plan`` runs of the same plan never both send it.

Real processes against the strict local IndexNow endpoint: the first is held mid-POST by the
endpoint while a second starts. The second waits briefly, then refuses (exit 1, nothing sent);
or, when the first finishes meanwhile, sends nothing because everything is accepted. A holder
killed with SIGKILL does not block the next run: the OS releases its lock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli
from indexnow_sync.errors import PlanBusyError
from indexnow_sync.plan import lock_path, plan_lock
from tests.indexnow_server import Answer, IndexNowServer
from tests.siteserver import SiteServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")

KEY = "5c1e2d3f4a5b6c7d8e9f00112233445566778899"
CLI = [sys.executable, "-c", "from indexnow_sync.cli import main; main()"]
URLS = 40


@dataclass
class World:
    site: SiteServer
    endpoint: IndexNowServer
    plan: Path
    urls: list[str]

    def submit(self, *extra: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INDEXNOW_"))}
        env["INDEXNOW_KEY"] = KEY
        return subprocess.Popen(
            [
                *CLI,
                "submit",
                "--plan",
                str(self.plan),
                "--endpoint",
                self.endpoint.endpoint,
                "--json",
                *extra,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def world(site_server: SiteServer, tmp_path: Path) -> Iterator[World]:
    urls = [site_server.url(f"page/{i}") for i in range(URLS)]
    items = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    build = tmp_path / "build"
    build.mkdir()
    (build / "sitemap.xml").write_text(f"<urlset>{items}</urlset>", encoding="utf-8")
    (tmp_path / "before.xml").write_text("<urlset></urlset>", encoding="utf-8")
    site_server.route(f"/{KEY}.txt", KEY, content_type="text/plain")
    for url in urls:  # deployed: the pages pass the checks before submitting
        site_server.route(
            url[len(site_server.base_url) :], "<title>p</title>", content_type="text/html"
        )
    plan = tmp_path / "plan.json"
    made = CliRunner().invoke(
        cli,
        [
            "plan",
            "--site",
            site_server.base_url,
            "--build",
            str(build),
            "--baseline",
            str(tmp_path / "before.xml"),
            "--out",
            str(plan),
        ],
        env={"INDEXNOW_KEY": None},
    )
    assert made.exit_code == 0, made.stderr
    with IndexNowServer() as endpoint:
        yield World(site_server, endpoint, plan, urls)


def _hold_first_post(
    world: World, *, status: int | None = None
) -> tuple[threading.Event, threading.Event]:
    arrived, release = threading.Event(), threading.Event()
    world.endpoint.script(Answer(status=status, hold=release, arrived=arrived))
    return arrived, release


def _report(out: str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(out)
    return parsed


def _plan_accepted(world: World) -> list[str]:
    accepted: list[str] = json.loads(world.plan.read_text(encoding="utf-8"))["accepted"]
    return accepted


def test_a_second_run_of_a_busy_plan_waits_then_refuses_and_sends_nothing(world: World) -> None:
    arrived, release = _hold_first_post(world)
    first = world.submit()
    try:
        assert arrived.wait(30), "the first run never reached the endpoint"
        second = world.submit()
        out, err = second.communicate(timeout=60)
    finally:
        release.set()
    _first_out, first_err = first.communicate(timeout=60)
    assert first.returncode == 0, first_err
    assert second.returncode == 1, err
    assert "waiting up to" in err
    assert "another submission of this plan is running" in err
    report = _report(out)
    assert report["submitted"] == []
    assert report["error"] == {"kind": "plan_busy", "message": report["error"]["message"]}  # type: ignore[index]
    counts = world.endpoint.accepted_counts()
    assert sorted(counts) == sorted(world.urls)
    assert set(counts.values()) == {1}, "a URL was accepted twice"
    assert sorted(_plan_accepted(world)) == sorted(world.urls)


def test_a_second_run_that_gets_the_lock_in_time_sends_only_what_is_left(world: World) -> None:
    arrived, release = _hold_first_post(world)
    first = world.submit()
    try:
        assert arrived.wait(30), "the first run never reached the endpoint"
        second = world.submit()
        assert second.stderr is not None
        waiting = second.stderr.readline()  # blocks until the second run reports it waits
        assert "another submission of this plan is running" in waiting
    finally:
        release.set()
    assert first.wait(timeout=60) == 0
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert _report(out)["submitted"] == []
    assert "already accepted earlier" in err
    assert set(world.endpoint.accepted_counts().values()) == {1}
    assert len(world.endpoint.accepted) == URLS


def test_a_killed_holder_does_not_block_the_next_run(world: World) -> None:
    arrived, release = _hold_first_post(world, status=503)  # the killed run's POST is lost
    first = world.submit()
    try:
        assert arrived.wait(30), "the first run never reached the endpoint"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        release.set()
    first.communicate()
    assert lock_path(world.plan).exists()  # left behind, and harmless
    second = world.submit()
    _out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "waiting" not in err
    assert sorted(world.endpoint.accepted) == sorted(world.urls)
    assert sorted(_plan_accepted(world)) == sorted(world.urls)


def test_dry_runs_do_not_take_the_lock(world: World) -> None:
    with plan_lock(world.plan):
        dry = world.submit("--dry-run")
        _out, err = dry.communicate(timeout=60)
    assert dry.returncode == 0, err
    assert "waiting" not in err


def test_the_lock_waits_the_given_time_on_an_injected_clock(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    lines: list[str] = []
    second = plan_lock(plan, wait=2.0, on_wait=lines.append, sleep=sleep, clock=lambda: now[0])
    with plan_lock(plan), pytest.raises(PlanBusyError) as caught, second:
        pytest.fail("a second holder got the lock")
    assert 2.0 <= sum(slept) < 2.2
    assert "another submission of this plan is running" in caught.value.message
    assert lines and "waiting up to 2 s" in lines[0]
    with plan_lock(plan, wait=0):  # released: free again
        pass

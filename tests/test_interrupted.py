"""Ctrl-C while a submission is under way: the report (``--json``, ``--report``, the GitHub
outputs and step summary, stderr) says what the run knew when it stopped, the URLs each
endpoint accepted and those it did not send, and how to send the rest (SPEC "Output": one JSON
object "also when the run fails"; a failed run says precisely what was not sent).

SIGINT arrives, in a real run, while the run sleeps before a retry: here the retry policy's
sleep raises KeyboardInterrupt, as ``time.sleep`` does when the signal comes, so the moment is
exact and nothing waits for real.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import indexnow_sync.indexnow as indexnow_module
from indexnow_sync.cli import cli
from indexnow_sync.indexnow import RetryPolicy
from tests.indexnow_server import Answer, IndexNowServer
from tests.siteserver import SiteServer
from tests.test_cli_e2e import KEY, Env, Run

# Two batches: IndexNow takes at most 10,000 URLs a request.
TOTAL = 10_030
FIRST_BATCH = 10_000


def ctrl_c_while_waiting(_seconds: float) -> None:
    raise KeyboardInterrupt


@pytest.fixture
def ctrl_c_on_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run is interrupted the moment it starts waiting for a retry."""
    monkeypatch.setattr(
        indexnow_module,
        "RetryPolicy",
        partial(RetryPolicy, sleep=ctrl_c_while_waiting, jitter=lambda _low, high: high),
    )


@pytest.fixture
def env(
    site_server: SiteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctrl_c_on_retry: None
) -> Any:
    monkeypatch.chdir(tmp_path)
    with IndexNowServer() as endpoint:
        yield Env(site_server, endpoint, tmp_path)


def urls(env: Env) -> list[str]:
    """The URLs of two batches; the first is accepted, the second answered 503: the run
    waits to retry it, and is interrupted."""
    env.endpoint.script(Answer(), Answer(status=503, body="busy"))
    return [env.u(f"p/{n}") for n in range(TOTAL)]


def invoke(env: Env, *args: str, github: Path | None = None) -> Run:
    environ: dict[str, str | None] = {"INDEXNOW_KEY": KEY, "GITHUB_ACTIONS": None}
    if github is not None:
        environ |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(github / "output"),
            "GITHUB_STEP_SUMMARY": str(github / "summary.md"),
        }
    result = CliRunner().invoke(cli, list(args), env=environ)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def common(env: Env) -> list[str]:
    return ["--endpoint", env.endpoint.endpoint, "--check", "off", "--max-urls", "20000"]


def assert_split_at_the_interruption(env: Env, run: Run, listed: list[str]) -> dict[str, Any]:
    """The run stopped with the first batch accepted: it is ``submitted`` with its request,
    the rest is ``failed`` (not sent), and stderr says so with the count of each."""
    assert run.code == 130, run.stderr
    report = run.report
    assert report["error"]["kind"] == "interrupted"
    accepted = list(env.endpoint.accepted)
    assert len(accepted) == FIRST_BATCH
    assert report["submitted"] == accepted
    assert report["failed"] == [url for url in listed if url not in set(accepted)]
    assert (report["counts"]["submitted"], report["counts"]["failed"]) == (FIRST_BATCH, 30)
    requests = [(r["outcome"], r["count"], r["status"]) for r in report["requests"]]
    assert requests == [("accepted", FIRST_BATCH, 200), ("not_sent", 30, None)]
    assert f"error: interrupted (Ctrl-C): {FIRST_BATCH} URL(s) were sent, 30 were not" in run.stderr
    assert "NOT sent: 30 URL(s)" in run.stderr
    return report


def test_ctrl_c_during_submit_plan_reports_what_was_sent_and_a_rerun_sends_the_rest(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = urls(env)
    env.live_sitemap({})
    env.build_sitemap(dict.fromkeys(listed, "2024-06-01"), deployed=False)
    planned = invoke(
        env, "plan", "--site", env.base, "--build", str(env.build), "--out", str(env.plan)
    )
    assert planned.code == 0, planned.stderr
    args = ["submit", "--plan", str(env.plan), *common(env), "--json"]

    run = invoke(env, *args)

    report = assert_split_at_the_interruption(env, run, listed)
    assert report["counts"]["added"] == TOTAL  # the delta, from the plan
    assert "the plan recorded each accepted batch" in run.stderr
    assert f"indexnow-sync submit --plan {env.plan}" in run.stderr
    # the plan recorded the accepted batch: a re-run sends only the rest
    monkeypatch.setattr(indexnow_module, "RetryPolicy", RetryPolicy)
    again = invoke(env, *args)
    assert again.code == 0, again.stderr
    assert env.endpoint.accepted[FIRST_BATCH:] == report["failed"]


def test_ctrl_c_during_submit_with_state_reports_what_was_sent_and_a_rerun_sends_the_rest(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = urls(env)
    (env.tmp / "urls.txt").write_text("\n".join(listed), encoding="utf-8")
    state = env.tmp / "state.json"
    args = ["submit", "--urls-file", "urls.txt", "--state", str(state), *common(env), "--json"]

    run = invoke(env, *args)

    assert_split_at_the_interruption(env, run, listed)
    assert f"--state {state}" in run.stderr
    monkeypatch.setattr(indexnow_module, "RetryPolicy", RetryPolicy)
    again = invoke(env, *args)
    assert again.code == 0, again.stderr
    assert len(env.endpoint.accepted) == TOTAL
    assert sorted(env.endpoint.accepted) == sorted(listed)


def test_ctrl_c_during_sync_lists_what_was_not_sent_everywhere_and_how_to_send_it(
    env: Env, tmp_path: Path
) -> None:
    listed = urls(env)
    env.live_sitemap({})
    env.build_sitemap(dict.fromkeys(listed, "2024-06-01"), deployed=False)
    report_file = tmp_path / "report.json"
    github = tmp_path / "gh"
    github.mkdir()

    run = invoke(
        env,
        "sync",
        "--site",
        env.base,
        "--build",
        str(env.build),
        *common(env),
        "--json",
        "--report",
        str(report_file),
        github=github,
    )

    report = assert_split_at_the_interruption(env, run, listed)
    assert json.loads(report_file.read_text(encoding="utf-8")) == report
    assert report["counts"]["added"] == TOTAL
    # nothing records what a sync sent: the message says so, and how to send the rest
    assert "recorded in a plan" not in run.stderr
    assert (
        f"jq -r '.failed[]' {report_file} | indexnow-sync submit --urls-file - --site {env.base}"
        in run.stderr
    )
    outputs = (github / "output").read_text(encoding="utf-8")
    assert f"submitted-count={FIRST_BATCH}" in outputs.split()
    assert "failed-count=30" in outputs.split()
    assert "added-count=10030" in outputs.split()
    summary = (github / "summary.md").read_text(encoding="utf-8")
    assert f"| {TOTAL} | 0 | 0 | 0 | {FIRST_BATCH} | 30 |" in summary


def test_the_not_sent_list_on_stderr_says_how_many_more_there_are(env: Env) -> None:
    listed = urls(env)
    (env.tmp / "urls.txt").write_text("\n".join(listed), encoding="utf-8")

    run = invoke(env, "submit", "--urls-file", "urls.txt", *common(env))

    assert run.code == 130, run.stderr
    lines = run.stderr.splitlines()
    start = lines.index("NOT sent: 30 URL(s) (the error below says why)")
    assert lines[start + 1 : start + 21] == [f"  not sent {url}" for url in listed[-30:-10]]
    assert (
        lines[start + 21] == "  ... and 10 more not sent (--json or --report FILE lists them all)"
    )


def test_ctrl_c_before_any_batch_was_accepted_lists_every_url_as_not_sent(env: Env) -> None:
    listed = [env.u(f"p/{n}") for n in range(3)]
    env.live_sitemap({})
    env.build_sitemap(dict.fromkeys(listed, "2024-06-01"), deployed=False)
    env.endpoint.script(Answer(status=429, body="slow down"))

    run = invoke(env, "sync", "--site", env.base, "--build", str(env.build), *common(env), "--json")

    assert run.code == 130, run.stderr
    report = run.report
    assert (report["submitted"], report["failed"]) == ([], listed)
    assert [(r["outcome"], r["count"]) for r in report["requests"]] == [("not_sent", 3)]
    assert report["requests"][0]["endpoint"] == env.endpoint.endpoint
    assert "error: interrupted (Ctrl-C): none of the 3 URL(s) were sent" in run.stderr
    assert 'the "failed" list of the --json object' in run.stderr


def test_after_a_fallback_the_batches_not_sent_name_the_endpoint_they_would_go_to(
    env: Env,
) -> None:
    listed = [env.u(f"p/{n}") for n in range(3)]
    (env.tmp / "urls.txt").write_text("\n".join(listed), encoding="utf-8")
    # the first endpoint asks for more waiting than the run has: the batch goes to the second
    env.endpoint.script(Answer(status=429, headers={"Retry-After": "3600"}))
    with IndexNowServer() as second:
        second.script(Answer(status=503))
        run = invoke(
            env,
            "submit",
            "--urls-file",
            "urls.txt",
            *common(env),
            "--endpoint",
            f"{env.endpoint.endpoint},{second.endpoint}",
            "--json",
        )
    assert run.code == 130, run.stderr
    assert [(r["endpoint"], r["outcome"]) for r in run.report["requests"]] == [
        (env.endpoint.endpoint, "passed_on"),
        (second.endpoint, "not_sent"),
    ]
    assert run.report["failed"] == listed
    assert "error: interrupted (Ctrl-C): none of the 3 URL(s) were sent" in run.stderr
    assert "fix: re-run the same 'submit' to send them" in run.stderr

"""Issue 9 item 9: the key file is checked wherever README and SPEC promise it.

A dry run (and a real ``sync``) checks the built and the hosted key file also when there is
nothing to send; ``plan`` checks the built key file whenever a key is known and warns when the
build folder holds none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli_e2e import KEY, Env, env, standard_delta

__all__ = ["env"]  # the fixture, shared with the end-to-end tests


def same_sitemap(env: Env) -> None:
    env.live_sitemap({env.u("a"): "2024-01-01"})
    env.build_sitemap({env.u("a"): "2024-01-01"})


def test_dry_run_with_an_empty_delta_still_fails_on_a_broken_hosted_key_file(env: Env) -> None:
    same_sitemap(env)
    env.site.route(f"/{KEY}.txt", KEY + "\n", content_type="text/plain")
    run = env.sync("--dry-run")
    assert run.code == 1, run.stderr
    assert run.report["key_check"]["ok"] is False
    assert "newline" in run.report["key_check"]["problem"]
    assert "nothing was to be sent" in run.report["error"]["message"]
    assert "nothing was to be sent" in run.stderr


def test_real_sync_with_an_empty_delta_checks_the_key_file_too(env: Env) -> None:
    same_sitemap(env)
    env.site.route(f"/{KEY}.txt", "gone", status=404)
    run = env.sync()
    assert run.code == 1, run.stderr
    assert run.report["error"]["kind"] == "key_check"
    assert "nothing was to be sent" in run.stderr
    assert env.posts() == 0


def test_an_empty_delta_with_a_good_key_file_reports_the_check(env: Env) -> None:
    same_sitemap(env)
    run = env.sync("--dry-run")
    assert run.code == 0, run.stderr
    assert run.report["key_check"]["ok"] is True
    assert "key file" in run.stderr and ": ok" in run.stderr


def test_dry_run_with_an_empty_delta_checks_the_built_key_file(env: Env) -> None:
    same_sitemap(env)
    (env.build / f"{KEY}.txt").write_text(KEY + "\r\n", encoding="ascii")
    run = env.sync("--dry-run")
    assert run.code == 1
    assert run.report["key_check"]["local_only"] is True
    assert "line ending" in run.report["key_check"]["problem"]


def test_dry_run_against_a_baseline_with_no_reachable_site_checks_the_local_file_only(
    env: Env,
) -> None:
    """SPEC: with --baseline and no reachable site, a dry run checks the local file only and
    says so; also with an empty delta."""
    env.build_sitemap({"http://127.0.0.1:9/a": "2024-01-01"})
    baseline = env.tmp / "baseline.xml"
    baseline.write_text((env.build / "sitemap.xml").read_text(), encoding="utf-8")
    (env.build / f"{KEY}.txt").write_text(KEY, encoding="ascii")
    run = env.cli(
        "sync",
        "--site",
        "http://127.0.0.1:9",
        "--build",
        str(env.build),
        "--baseline",
        str(baseline),
        "--dry-run",
        "--json",
        "--timeout",
        "2",
    )
    assert run.code == 0, run.stderr
    assert run.report["key_check"]["ok"] is True
    assert run.report["key_check"]["local_only"] is True
    assert "built file only" in run.stderr


def test_submit_plan_dry_run_of_a_finished_plan_still_checks_the_key_file(env: Env) -> None:
    standard_delta(env)
    assert (
        env.cli("plan", "--site", env.base, "--build", str(env.build), "--out", str(env.plan)).code
        == 0
    )
    submitted = env.cli(
        "submit", "--plan", str(env.plan), "--endpoint", env.endpoint.endpoint, "--json"
    )
    assert submitted.code == 0, submitted.stderr
    env.site.route(f"/{KEY}.txt", "<html>moved</html>", content_type="text/html")
    again = env.cli("submit", "--plan", str(env.plan), "--dry-run", "--json")
    assert again.code == 1
    assert "HTML" in again.report["key_check"]["problem"]


# --- plan -------------------------------------------------------------------------------------


def plan(env: Env, *extra: str, key: str | None = KEY) -> tuple[int, str, dict[str, object]]:
    run = env.cli(
        "plan",
        "--site",
        env.base,
        "--build",
        str(env.build),
        "--out",
        str(env.plan),
        "--json",
        *extra,
        key=key,
    )
    return run.code, run.stderr, run.report


def test_plan_fails_on_a_built_key_file_with_a_trailing_newline(env: Env) -> None:
    standard_delta(env)
    (env.build / f"{KEY}.txt").write_text(KEY + "\n", encoding="ascii")
    code, stderr, report = plan(env)
    assert code == 1
    assert report["error"]["kind"] == "key_check"  # type: ignore[index]
    assert "newline" in stderr and "printf" in stderr
    assert "no plan was written" in stderr
    assert not env.plan.exists()
    assert KEY not in stderr


def test_plan_checks_the_built_key_file_and_says_so(env: Env) -> None:
    standard_delta(env)
    (env.build / f"{KEY}.txt").write_text(KEY, encoding="ascii")
    code, stderr, report = plan(env)
    assert code == 0, stderr
    check = report["key_check"]
    assert isinstance(check, dict)
    assert check["ok"] is True and check["local_only"] is True
    assert f"key file {env.build}/{KEY[:4]}" in stderr and ": ok" in stderr
    assert env.plan.exists()


def test_plan_takes_the_key_from_the_flag_and_from_the_config_file(env: Env) -> None:
    standard_delta(env)
    (env.build / f"{KEY}.txt").write_text(" " + KEY, encoding="ascii")
    code, stderr, _ = plan(env, "--key", KEY, key=None)
    assert code == 1 and "whitespace" in stderr
    (env.tmp / "indexnow.yml").write_text(f"key: {KEY}\n", encoding="utf-8")
    code, stderr, _ = plan(env, key=None)
    assert code == 1 and "whitespace" in stderr


def test_plan_checks_the_file_key_location_names(env: Env) -> None:
    standard_delta(env)
    (env.build / "keys").mkdir()
    (env.build / "keys" / "k.txt").write_text(KEY + "\n", encoding="ascii")
    code, stderr, _ = plan(env, "--key-location", env.u("keys/k.txt"))
    assert code == 1
    assert "keys/k.txt" in stderr and "newline" in stderr


def test_plan_warns_when_a_key_is_known_but_the_build_has_no_key_file(env: Env) -> None:
    standard_delta(env)
    code, stderr, report = plan(env)
    assert code == 0, stderr
    assert report["key_check"] is None
    warnings = report["warnings"]
    assert isinstance(warnings, list)
    assert any("no key file" in w and "build folder" in w for w in warnings), warnings
    assert "warning: no key file" in stderr


def test_plan_without_a_key_checks_nothing_and_stays_quiet(env: Env) -> None:
    standard_delta(env)
    (env.build / f"{KEY}.txt").write_text(KEY + "\n", encoding="ascii")
    code, stderr, report = plan(env, key=None)
    assert code == 0, stderr
    assert report["key_check"] is None
    assert "key file" not in stderr


def test_plan_with_an_invalid_key_is_a_usage_error(env: Env) -> None:
    standard_delta(env)
    code, _stderr, report = plan(env, key="short")
    assert code == 2
    assert report["error"]["kind"] == "key_format"  # type: ignore[index]


def test_plan_from_a_sitemap_file_checks_its_folder(env: Env, tmp_path: Path) -> None:
    standard_delta(env)
    (env.build / f"{KEY}.txt").write_text(KEY + "\n", encoding="ascii")
    run = env.cli(
        "plan",
        "--site",
        env.base,
        "--build",
        str(env.build / "sitemap.xml"),
        "--out",
        str(env.plan),
    )
    assert run.code == 1
    assert "newline" in run.stderr


def test_sync_checks_the_built_key_file_before_reading_the_live_site(env: Env) -> None:
    """SPEC: a key file in the build is checked "before anything else". sync read robots.txt
    and the live sitemap first, so a live site failing at that moment reported the sitemap,
    never the newline that would ship."""
    env.live_sitemap({env.u("a"): "2024-01-01"})
    env.build_sitemap({env.u("a"): "2024-01-01", env.u("b"): "2024-01-01"})
    env.site.route("/robots.txt", "down", status=503)
    (env.build / f"{KEY}.txt").write_text(KEY + "\n", encoding="ascii")
    run = env.sync()
    assert run.code == 1, run.stderr
    assert run.report["error"]["kind"] == "key_check"
    assert "newline" in run.report["key_check"]["problem"]
    assert env.site.requests == []  # the live site was never asked anything
    assert env.posts() == 0


def project_site(env: Env) -> None:
    """A GitHub Pages project site: the build folder's root is served at /proj/, so the
    sitemap lists /proj/... URLs and the key file sits at the build's root."""
    env.live_sitemap({env.u("proj/a/"): "2024-01-01"})
    env.build_sitemap({env.u("proj/a/"): "2024-01-01", env.u("proj/b/"): "2024-06-01"})
    (env.build / "a").mkdir()
    (env.build / "a" / "index.html").write_text("<title>a</title>", encoding="utf-8")


def test_a_project_site_s_key_location_is_the_file_at_the_build_root(env: Env) -> None:
    project_site(env)
    (env.build / f"{KEY}.txt").write_text(KEY, encoding="ascii")
    code, stderr, report = plan(env, "--key-location", env.u(f"proj/{KEY}.txt"))
    assert code == 0, stderr
    assert "no key file" not in stderr
    check = report["key_check"]
    assert isinstance(check, dict) and check["ok"] is True, check
    assert f"key file {env.build}/{KEY[:4]}" in stderr


def test_a_project_site_s_broken_key_file_at_the_build_root_is_caught(env: Env) -> None:
    project_site(env)
    (env.build / f"{KEY}.txt").write_text(KEY + "\n", encoding="ascii")
    code, stderr, _ = plan(env, "--key-location", env.u(f"proj/{KEY}.txt"))
    assert code == 1
    assert "newline" in stderr


def test_a_folder_the_build_has_is_not_taken_for_a_base_path(env: Env) -> None:
    standard_delta(env)
    (env.build / "keys").mkdir()
    (env.build / f"{KEY}.txt").write_text(KEY, encoding="ascii")  # not the one named
    code, stderr, _ = plan(env, "--key-location", env.u(f"keys/{KEY}.txt"))
    assert code == 0, stderr
    assert f"no key file {env.build}/keys/" in stderr


def deployed_project_site(env: Env) -> None:
    """A project site planned with its --key-location and deployed under /proj/: its key
    file is served at /proj/KEY.txt, nothing at the site's root."""
    project_site(env)
    (env.build / f"{KEY}.txt").write_text(KEY, encoding="ascii")
    code, stderr, _ = plan(env, "--key-location", env.u(f"proj/{KEY}.txt"))
    assert code == 0, stderr
    env.live_sitemap({env.u("proj/a/"): "2024-01-01", env.u("proj/b/"): "2024-06-01"})
    env.site.route(f"/proj/{KEY}.txt", KEY, content_type="text/plain")
    env.site.route(f"/{KEY}.txt", "Not Found", status=404)


SHORT = f"{KEY[:4]}…{KEY[-4:]}"


@pytest.mark.parametrize(
    "extra", [(), ("--build", "build"), ("--wait", "2")], ids=["plan", "build", "wait"]
)
def test_a_project_site_submitted_without_its_key_location_is_told_to_name_it(
    env: Env, extra: tuple[str, ...]
) -> None:
    # Black-box review 20r, finding 3: "the build folder holds no key file (of this key or
    # any other) ... fix: printf ... > build/KEY.txt" (the file was there), or with --build
    # "the build's key file is correct: the build is not deployed yet": the cause was the
    # --key-location the submit did not repeat.
    deployed_project_site(env)
    args = ["submit", "--plan", str(env.plan), "--endpoint", env.endpoint.endpoint, *extra]
    run = env.cli(*args, "--dry-run", "--json")
    assert run.code == 1, run.stderr
    lines = run.stderr[run.stderr.index("error: ") :].splitlines()
    assert lines[0] == f"error: key file {env.base}/{SHORT}.txt was not found (HTTP 404)"
    folder = "build" if "--build" in extra else str(env.build)
    assert [line.strip() for line in lines[1:]] == [
        f"the build folder {folder} holds this key's file ({folder}/{SHORT}.txt), but the "
        "site serves the build under /proj/ (its URLs say so)",
        f"so it is served at {env.base}/proj/{SHORT}.txt, and engines look for the key file "
        "at the site's root unless --key-location names it",
        f'fix: pass --key-location {env.base}/proj/"$INDEXNOW_KEY".txt (or '
        "INDEXNOW_KEY_LOCATION); a key file under /proj/ vouches only for URLs under /proj/",
    ]
    assert "printf" not in run.stderr and "not deployed" not in run.stderr
    assert KEY not in run.stderr + run.stdout
    assert run.report["error"]["kind"] == "key_check"
    # With it, the same submission passes the key check.
    passed = env.cli(*args, "--dry-run", "--key-location", env.u(f"proj/{KEY}.txt"))
    assert passed.code == 0, passed.stderr


def test_a_project_site_without_the_key_file_is_told_both_steps(env: Env) -> None:
    deployed_project_site(env)
    (env.build / f"{KEY}.txt").unlink()
    env.site.route(f"/proj/{KEY}.txt", "Not Found", status=404)
    args = ["submit", "--plan", str(env.plan), "--endpoint", env.endpoint.endpoint]
    run = env.cli(*args, "--dry-run")
    assert run.code == 1, run.stderr
    lines = run.stderr[run.stderr.index("error: ") :].splitlines()
    assert lines[1].strip() == (
        "the site serves the build under /proj/ (its URLs say so), and the build folder "
        f"{env.build} holds no key file of this key"
    )
    assert lines[-1].strip() == (
        f"fix: write it into the build: printf '%s' \"$INDEXNOW_KEY\" > {env.build}/"
        f'"$INDEXNOW_KEY".txt, and pass --key-location {env.base}/proj/"$INDEXNOW_KEY".txt'
    )


def test_a_project_site_synced_with_nothing_to_send_is_told_to_name_it_too(env: Env) -> None:
    # (finding 3: with nothing to send, the build's URLs say where the site serves it)
    deployed_project_site(env)
    run = env.sync("--dry-run")
    assert run.code == 1, run.stderr
    assert run.report["added"] == [] and run.report["changed"] == []
    assert "holds this key's file" in run.report["error"]["message"]
    assert f'--key-location {env.base}/proj/"$INDEXNOW_KEY".txt' in run.report["error"]["message"]
    assert "not deployed" not in run.stderr

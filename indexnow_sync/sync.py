"""Orchestration: config -> sources -> diff -> cap -> key check -> (wait) -> checks -> submit
-> :class:`Outcome`.

The order is the contract's: the ``--max-urls`` cap and the key check come before any page
GET (a run that will be refused never spends 10,000 requests), then robots.txt, then the pages,
then the POST; a dry run does all of it except the POST. With ``--wait`` the key check, the
live sitemap and the pages are looked at until the deploy is live or the deadline has passed
(:mod:`wait`); what is not live by then is deferred, never lost.

No printing, no exiting: every function returns an Outcome or raises a typed error, and the
CLI renders both. ``progress`` callbacks let the CLI show per-batch lines as they happen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .delta import (
    Sides,
    build_digest,
    compute_delta,
    find_build,
    in_scope,
    infer_site,
    plan_notes,
    plan_site,
    replan,
    well_formed,
)
from .errors import (
    CheckGuardError,
    DeferredError,
    IndexNowSyncError,
    NotDeployedError,
    PlanFileError,
    TooManyUrlsError,
    UsageError,
)
from .keycheck import KeyFile, KeyResult, check_key_file, record_key_check, require_key
from .models import Deferred, Delta, RequestRecord, Skipped, SubmitResult
from .outcome import Outcome, Progress, Ready
from .urls import normalize_site, origin

if TYPE_CHECKING:
    from .checks import PageVerdict
    from .indexnow import WaitBudget
    from .plan import Plan
    from .wait import Deadline, PollPolicy
    from .web import PrefixResponse, WebClient

NOTHING_TO_SEND = "nothing was to be sent this time, but the next submission would fail"
RESUBMIT_PAUSE = 600.0  # seconds: the engines ask not to resubmit a URL sooner


def configured_site(config: Config) -> str | None:
    """The site a config names: ``--site``, else the origin of ``--live``; None when neither.
    Raises :class:`UsageError` for a value that is no site."""
    if config.site:
        try:
            return normalize_site(config.site)
        except ValueError as exc:
            raise UsageError(f"--site {exc} (got {config.site!r})") from None
    if config.live:
        site = origin(config.live)
        if site is None:
            raise UsageError(f"--live must be an absolute http(s) URL (got {config.live!r})")
        return site
    return None


def _client(config: Config) -> WebClient:
    from .web import WebClient

    return WebClient(
        timeout=config.timeout,
        max_bytes=config.max_sitemap_bytes,
        pool_maxsize=config.check_concurrency,
    )


def _key_file(config: Config, key: str, site: str | None, build: Path | None) -> KeyFile:
    offline_ok = config.dry_run and config.baseline is not None
    return KeyFile(key, config.key_location, site, build, offline_ok=offline_ok)


def _sides(config: Config, site: str | None, build: Path) -> Sides:
    return Sides(site, build, config.baseline, config.live, config.max_sitemap_bytes)


def _budget() -> WaitBudget:
    """The run's one waiting budget for retries: robots.txt, page checks and POSTs share it."""
    from .indexnow import RetryPolicy, WaitBudget

    return WaitBudget(RetryPolicy().max_wait_total)


def run_plan(config: Config, out: Path) -> Outcome:
    """Compute the delta and write the plan. With a key known (flag, environment, config),
    the build's key file is checked first, so a broken one fails before it ships.

    ``out`` is not replaced when it already holds a plan of this same build with URLs still to
    send: then that plan is kept (a re-run of a job whose submit failed finds the site already
    deployed, and a fresh diff would find nothing). A plan of another build that still has URLs
    pending is never silently dropped: they are carried into the new plan, with a warning."""
    from .plan import new_plan, write_plan

    site = configured_site(config)
    key = require_key(config.key) if config.key else None
    build = find_build(config.build)
    checked = check_key_file(_key_file(config, key, site, build)) if key else KeyResult(None)
    note = "no plan was written: fix the file and re-run"
    record_key_check(Outcome("plan", site, False), checked, note=note)
    check, key_warnings = checked.check, checked.warnings
    read = compute_delta(_sides(config, site, build), lambda: _client(config))
    delta, before = read.delta, read.before
    after = {**read.after, "digest": build_digest(read.after.get("sources", ()))}
    delta, kept = replan(delta, after["digest"], site, out, include_removed=config.sends_removed)
    if kept is not None:
        return Outcome(
            "plan",
            site,
            False,
            delta=delta,
            key_check=check,
            warnings=(*key_warnings, *delta.warnings),
            plan_file=str(out),
            notes=(kept,),
        )
    findings, warnings = _check_build(config, build, [*delta.added, *delta.changed])
    delta = replace(delta, warnings=(*delta.warnings, *warnings))
    write_plan(out, replace(new_plan(delta, site, before, after), build_checks=findings))
    return Outcome(
        "plan",
        site,
        False,
        delta=delta,
        key_check=check,
        warnings=(*key_warnings, *delta.warnings),
        plan_file=str(out),
        build_checks=findings,
    )


def _check_build(
    config: Config, build: Path | None, urls: list[str]
) -> tuple[tuple[Skipped, ...], tuple[str, ...]]:
    """The build's own robots.txt and pages, checked offline (SPEC "Before the deploy"):
    findings and the warnings that report them. Nothing is skipped for them."""
    if build is None or config.check == "off" or not urls:
        return (), ()
    from .checks import check_build
    from .robots import make_agents

    root = build if build.is_dir() else build.parent
    result = check_build(
        root, urls, make_agents(config.robots_agent), mode=config.check, limit=config.max_urls
    )
    return result.findings, result.warnings


def _directions(delta: Delta | None) -> dict[str, str]:
    if delta is None:
        return {}
    directions = dict.fromkeys(delta.removed, "removed")
    directions.update(dict.fromkeys(delta.changed, "changed"))
    directions.update(dict.fromkeys(delta.added, "added"))
    return directions


def _check_before_submit(
    config: Config,
    client: WebClient,
    key: str,
    urls: list[str],
    outcome: Outcome,
    budget: WaitBudget,
    progress: Progress | None,
    *,
    settle: Callable[[Any, list[PageVerdict]], list[PageVerdict]] | None = None,
    robots_read: Mapping[str, PrefixResponse] | None = None,
) -> tuple[list[str], Outcome, list[PageVerdict]]:
    """robots.txt, then the pages (per ``--check``): the URLs still to send, the outcome
    with what was skipped and why, and the pages' verdicts. Stops the run (keeping the outcome
    for the report) when robots.txt is unreachable or a guard fires."""
    from .checks import Candidate, run_checks
    from .robots import make_agents

    agents = make_agents(config.robots_agent)
    directions = _directions(outcome.delta)
    candidates = [Candidate(url, directions.get(url, "listed")) for url in urls]
    try:
        result = run_checks(
            client,
            candidates,
            agents,
            mode=config.check,
            concurrency=config.check_concurrency,
            budget=budget,
            secret=key,
            progress=progress,
            settle=settle,
            robots_read=robots_read,
        )
    except IndexNowSyncError as exc:
        exc.outcome = outcome  # type: ignore[attr-defined]
        raise
    outcome = replace(
        outcome,
        extra_skipped=(*outcome.extra_skipped, *result.skipped),
        warnings=tuple(dict.fromkeys((*outcome.warnings, *result.warnings))),
        checks={
            "mode": config.check,
            "agents": [agent.name for agent in agents],
            "robots_txt": result.robots_files,
            "checked": len(candidates),
            "pages_fetched": len(result.verdicts),
            "passed": len(result.send),
        },
    )
    if result.guard is not None:
        error = CheckGuardError(result.guard)
        error.outcome = outcome  # type: ignore[attr-defined]
        raise error
    return result.send, outcome, result.verdicts


# --- waiting for the deploy ---


def _deadline(config: Config, pacing: PollPolicy | None) -> Deadline | None:
    """The run's waiting deadline: None with ``--wait 0`` (look once). A dry run never waits:
    its deadline is now, so every gate looks once and reports what a real run would wait for.
    Checked before any network request."""
    if config.wait <= 0:
        return None
    if config.check != "pages":
        raise UsageError(
            f"--wait needs --check pages (got --check {config.check}): waiting for the deploy "
            "means checking that each page is live, which only the page checks see; drop "
            "--wait, or use --check pages"
        )
    from .wait import Deadline

    return Deadline(0.0 if config.dry_run else config.wait, pacing)


def _live_sitemap_gate(
    config: Config,
    client: WebClient,
    site: str,
    expected: dict[str, str | None],
    deadline: Deadline,
    progress: Progress | None,
    *,
    delta_reading: bool,
) -> tuple[dict[str, str], int]:
    """Gate 1: read the live sitemap until it lists every URL of ``expected`` (with the
    build's lastmod where one is given) or the deadline has passed: (URL -> what the live
    sitemap showed, for those it does not show live; how many times it was read).
    ``delta_reading``: the delta itself came from the live sitemap (``sync`` without
    ``--baseline``), which by construction shows none of it, so the first new reading comes
    after the first pause."""
    from .wait import (
        NOT_LISTED,
        SitemapLook,
        describe_sitemap,
        poll,
        read_live_listing,
        sitemap_gaps,
    )

    if not expected:
        return {}, 0
    wanted = {url.encode("utf-8") for url in expected}
    reads = 0

    def look() -> SitemapLook:
        nonlocal reads
        reads += 1
        found, problem = read_live_listing(
            client, site, config.live, wanted, config.max_sitemap_bytes
        )
        return SitemapLook(sitemap_gaps(expected, found), problem)

    first = None
    if delta_reading:
        first = SitemapLook(
            {
                url: NOT_LISTED
                if built is None
                else f"live sitemap shows the previous lastmod, the build {built}"
                for url, built in expected.items()
            }
        )
    final = poll(
        deadline,
        look,
        lambda current: not current.gaps,
        lambda current: describe_sitemap(current, len(expected)),
        progress,
        first=first,
    )
    return final.gaps, reads


def _expected_listing(
    delta: Delta, urls: list[str], *, lastmods_known: bool = True
) -> dict[str, str | None]:
    """What gate 1 waits for among ``urls``: each added URL listed (None), each changed URL
    listed with the build's lastmod (None when the plan does not know it: listing alone)."""
    added = set(delta.added)
    changed = set(delta.changed)
    expected: dict[str, str | None] = {}
    for url in urls:
        if url in added:
            expected[url] = None
        elif url in changed:
            expected[url] = delta.lastmods.get(url) if lastmods_known else None
    return expected


def _check_and_wait(
    config: Config,
    client: WebClient,
    key: str,
    site: str,
    urls: list[str],
    outcome: Outcome,
    budget: WaitBudget,
    progress: Progress | None,
    *,
    deadline: Deadline | None,
    expected: dict[str, str | None] | None,
    delta_reading: bool = False,
    robots_read: Mapping[str, PrefixResponse] | None = None,
) -> tuple[list[str], Outcome, bool]:
    """Gate 1 (the live sitemap, when ``expected`` is given), then the checks before
    submitting with gate 2 (pages not live yet are checked again until the deadline): the
    URLs to send, the outcome with what is deferred, and whether the deploy has not happened
    at all (with ``--wait 0``: every added URL answered 404/410, so nothing is sent)."""
    from .checks import check_pages
    from .robots import make_agents
    from .wait import PageSettler, not_live, not_live_reason

    if outcome.key_check is not None and outcome.key_check.local_only and config.check != "off":
        # SPEC: a dry run with --baseline and no reachable site checks what it can offline
        # and says so. robots.txt and the pages need the site: not checked, and said.
        note = (
            "the site could not be reached, so robots.txt and the pages were not checked "
            "(a real run checks them before sending anything): listed is what would be sent "
            "if they pass"
        )
        return urls, replace(outcome, warnings=(*outcome.warnings, note)), False
    deferred: list[Deferred] = []
    reads = 0
    if deadline is not None and expected:
        gaps, reads = _live_sitemap_gate(
            config, client, site, expected, deadline, progress, delta_reading=delta_reading
        )
        deferred = [Deferred(url, gaps[url]) for url in urls if url in gaps]
        urls = [url for url in urls if url not in gaps]
    settler = None
    if deadline is not None:
        agents = make_agents(config.robots_agent)

        def recheck(candidates: Any) -> list[PageVerdict]:
            return check_pages(
                client, candidates, agents, concurrency=config.check_concurrency, budget=budget
            )

        settler = PageSettler(recheck, deadline, progress)
    send, outcome, verdicts = _check_before_submit(
        config,
        client,
        key,
        urls,
        outcome,
        budget,
        progress,
        settle=settler,
        # After waiting, robots.txt is read again: the deploy may have changed it.
        robots_read=robots_read if deadline is None else None,
    )
    if deadline is not None:
        deferred.extend(Deferred(v.url, not_live_reason(v)) for v in verdicts if not_live(v))
    not_deployed = deadline is None and _nothing_deployed(verdicts)
    if not_deployed:
        deferred = [Deferred(v.url, _held_back_reason(v)) for v in verdicts]
        send = []
    if deferred:
        held = {d.url for d in deferred}
        outcome = replace(
            outcome,
            extra_skipped=tuple(
                s for s in outcome.extra_skipped if not (s.url in held and _page_skip(s.code))
            ),
        )
    waiting = None
    if deadline is not None:
        waiting = {
            "seconds": config.wait,
            "waited": round(deadline.elapsed(), 3),
            "sitemap_reads": reads,
            "page_rechecks": settler.rechecks if settler is not None else 0,
        }
    return send, replace(outcome, deferred=tuple(deferred), waiting=waiting), not_deployed


def _page_skip(code: str) -> bool:
    from .checks import CODES

    return code in CODES and code != "robots"


def _nothing_deployed(verdicts: list[PageVerdict]) -> bool:
    """Every added URL (at least one; every URL of a URL list) answered 404/410."""
    added = [v for v in verdicts if v.direction in ("added", "listed")]
    return bool(added) and all(v.code == "not_found" for v in added)


def _held_back_reason(verdict: PageVerdict) -> str:
    from .wait import not_live_reason

    if verdict.code == "not_found" and verdict.direction != "removed":
        return not_live_reason(verdict)
    seen = "no answer" if verdict.status is None else f"answered {verdict.status}"
    return f"{seen}; held back: no added page is live yet"


def _deferred_error(
    config: Config, outcome: Outcome, *, not_deployed: bool, mode: str, plan: Path | None = None
) -> DeferredError | None:
    """The error that ends a run with deferred URLs (exit 1), its message saying what to do
    in this ``mode`` (``live`` or ``baseline`` sync, ``plan``, ``urls``); None without any."""
    count = len(outcome.deferred)
    if not count:
        return None
    sent = len(outcome.result.submitted) if outcome.result is not None else 0
    if not_deployed:
        message = (
            f"every added URL answered 404 or 410: the deploy has not happened (or not "
            f"propagated) yet; nothing was sent, and the {count} checked URL(s) are deferred. "
        )
        if mode == "live":
            message += (
                "This 'sync' took its delta from the live site, so it must run before the new "
                "build is live, and a re-run after the deploy finds nothing to send: run "
                "'indexnow-sync plan --out PLAN' before the deploy and 'indexnow-sync submit "
                "--plan PLAN' after it, or diff against the previous build with --baseline; or, "
                "when the platform deploys beside this job, add --wait SECONDS (e.g. --wait "
                "900) to submit once the build is live"
            )
        elif mode == "plan":
            message += (
                f"The plan keeps them pending: re-run 'indexnow-sync submit --plan {plan}' "
                "after the deploy, or add --wait SECONDS to wait for it"
            )
        else:
            message += "Re-run after the deploy, or add --wait SECONDS to wait for it"
        error: DeferredError = NotDeployedError(message)
    else:
        if config.dry_run:
            message = (
                f"dry run: {count} URL(s) are not live yet; a real run would wait up to "
                f"--wait {config.wait:g} s for them and defer (not send) those still not live"
            )
        else:
            message = (
                f"{count} URL(s) were not live after waiting up to {config.wait:g} s and were "
                f"deferred (not sent; {sent} URL(s) were sent). "
            )
            if mode == "plan":
                message += (
                    f"The plan keeps them pending: re-run 'indexnow-sync submit --plan {plan}' "
                    "to check and send them"
                )
            elif mode == "urls":
                message += "Re-run the same 'submit' once they are live to send them"
            else:
                message += (
                    "They are listed under 'deferred' in the JSON report (--json, --report "
                    "FILE); send them once they are live with: jq -r '.deferred[].url' "
                    f"report.json | indexnow-sync submit --urls-file - --site {outcome.site} "
                    "--wait SECONDS (a re-run of 'sync' "
                    + (
                        "against the live site will not find them again)"
                        if mode == "live"
                        else "would send the whole delta again)"
                    )
                )
        error = DeferredError(message)
    error.outcome = outcome  # type: ignore[attr-defined]
    return error


# --- key and submission ---


def _submission_key(config: Config) -> str:
    """The key of a run that may submit; the endpoint is checked too, before any work."""
    from .indexnow import resolve_endpoint

    key = require_key(config.key)
    resolve_endpoint(config.endpoint)
    return key


def _require_site(site: str | None, what: str) -> str:
    if site is None:
        raise UsageError(f"{what} needs --site URL (the public base URL, e.g. https://example.com)")
    return site


def _submit(
    config: Config,
    site: str,
    key: str,
    urls: list[str],
    client: WebClient,
    *,
    on_batch: Callable[[list[str], RequestRecord], None] | None,
    progress: Progress | None,
    budget: WaitBudget | None = None,
) -> SubmitResult:
    from .indexnow import resolve_endpoint, submit

    endpoint = resolve_endpoint(config.endpoint)

    def batch_done(batch: Any, record: RequestRecord) -> None:
        if on_batch is not None and record.outcome in ("accepted", "pending"):
            on_batch(list(batch.urls), record)
        if progress is not None:
            progress(_request_line(record))

    result = submit(
        client,
        endpoint,
        key,
        config.key_location,
        urls,
        dry_run=config.dry_run,
        on_batch_done=batch_done,
        budget=budget,
    )
    if config.dry_run:  # the report lists what would have gone out
        result = replace(result, submitted=tuple(urls))
    if progress is not None:
        for record in result.requests:
            if record.outcome not in ("accepted", "pending"):
                progress(_request_line(record))
    return result


def _request_line(record: RequestRecord) -> str:
    status = "-" if record.status is None else str(record.status)
    line = (
        f"POST {record.endpoint} host={record.host} urls={record.count} status={status} "
        f"attempts={record.attempts}: {record.outcome}"
    )
    return f"{line} ({record.detail})" if record.detail else line


def _cap(urls: list[str], config: Config, outcome: Outcome) -> None:
    if len(urls) > config.max_urls:
        error = TooManyUrlsError(
            f"{len(urls)} URLs to submit, more than --max-urls {config.max_urls}; nothing was "
            "sent. If this is expected (first run, big release), raise --max-urls; if not, "
            "check the diff with --dry-run (a generator stamping every lastmod?)"
        )
        error.outcome = outcome  # type: ignore[attr-defined]
        raise error


def _gates(
    config: Config,
    client: WebClient,
    key: str,
    site: str,
    urls: list[str],
    outcome: Outcome,
    *,
    build: Path | None,
    deadline: Deadline | None,
    expected: dict[str, str | None] | None,
    progress: Progress | None,
    ready: Ready | None,
    delta_reading: bool = False,
    write_folder: Path | None = None,
    robots_read: Mapping[str, PrefixResponse] | None = None,
) -> tuple[list[str], Outcome, bool, WaitBudget | None]:
    """Everything between the delta and the POSTs, in the contract's order, for every command
    that submits: the key check (also when there is nothing to send), then robots.txt and the
    pages, waiting for the deploy with ``--wait``. Returns the URLs to send, the outcome,
    whether the deploy has not happened at all, and the run's retry budget (None: nothing was
    to be sent, so there is nothing to POST either)."""
    key_file = replace(_key_file(config, key, site, build), write_folder=write_folder)
    checked = check_key_file(
        key_file, client, deadline=deadline if urls else None, progress=progress
    )
    outcome = record_key_check(outcome, checked, note="" if urls else NOTHING_TO_SEND)
    if not urls:
        return [], outcome, False, None
    if ready is not None:
        ready(outcome)
    budget = _budget()
    send, outcome, not_deployed = _check_and_wait(
        config,
        client,
        key,
        site,
        urls,
        outcome,
        budget,
        progress,
        deadline=deadline,
        expected=expected,
        delta_reading=delta_reading,
        robots_read=robots_read,
    )
    return send, outcome, not_deployed, budget


def run_sync(
    config: Config,
    progress: Progress | None = None,
    ready: Ready | None = None,
    *,
    pacing: PollPolicy | None = None,
) -> Outcome:
    """Diff, check the key, wait for the deploy (``--wait``), check and submit the delta.
    Raises :class:`DeferredError` (keeping the outcome) when URLs were deferred."""
    key = _submission_key(config)
    deadline = _deadline(config, pacing)
    site = configured_site(config)
    build = find_build(config.build)
    # SPEC: a key file in the build is checked "before anything else": before the live site.
    built = check_key_file(_key_file(config, key, site, build))
    record_key_check(Outcome("sync", site, config.dry_run), built)
    client = _client(config)
    robots_read: dict[str, PrefixResponse] = {}
    try:
        read = compute_delta(_sides(config, site, build), lambda: nullcontext(client), robots_read)
        delta = read.delta
        site = _require_site(site, "sync")
        candidates = delta.to_submit(include_removed=config.sends_removed)
        urls, skipped = in_scope(candidates, site, config.key_location)
        findings, build_warnings = _check_build(config, build, [*delta.added, *delta.changed])
        outcome = Outcome(
            "sync",
            site,
            config.dry_run,
            delta=delta,
            warnings=(*delta.warnings, *build_warnings),
            extra_skipped=tuple(skipped),
            build_checks=findings,
        )
        _cap(urls, config, outcome)
        from_live = config.baseline is None
        urls, outcome, not_deployed, budget = _gates(
            config,
            client,
            key,
            site,
            urls,
            outcome,
            build=build,
            deadline=deadline,
            expected=_expected_listing(delta, urls),
            progress=progress,
            ready=ready,
            delta_reading=from_live,
            robots_read=robots_read,
        )
        if budget is None:
            return outcome
        result = _submit(
            config, site, key, urls, client, on_batch=None, progress=progress, budget=budget
        )
        outcome = replace(outcome, result=result)
    finally:
        client.close()
    mode = "live" if from_live else "baseline"
    error = _deferred_error(config, outcome, not_deployed=not_deployed, mode=mode)
    if error is not None:
        raise error
    return outcome


def run_submit_plan(
    config: Config,
    plan_path: Path,
    progress: Progress | None = None,
    ready: Ready | None = None,
    *,
    pacing: PollPolicy | None = None,
) -> Outcome:
    """Submit what the plan still has pending. A real run holds the plan's lock throughout
    (waiting for the deploy included), so a concurrent run of the same plan (a re-run CI job)
    cannot send it a second time. Raises :class:`DeferredError` (keeping the outcome) when
    URLs were deferred: they stay pending in the plan."""
    deadline = _deadline(config, pacing)
    if config.dry_run:
        return _submit_plan(config, plan_path, progress, deadline, ready)
    from .plan import plan_lock

    _submission_key(config)  # a bad key or endpoint: a usage error now, not after waiting
    with plan_lock(plan_path, on_wait=progress):
        return _submit_plan(config, plan_path, progress, deadline, ready)


def _submit_plan(
    config: Config,
    plan_path: Path,
    progress: Progress | None,
    deadline: Deadline | None,
    ready: Ready | None = None,
) -> Outcome:
    from .plan import ProgressRecorder, read_plan

    key = _submission_key(config)
    plan: Plan = read_plan(plan_path)
    site = configured_site(config) or plan_site(plan, plan_path)
    site = _require_site(site, "submit --plan (the plan has no site)")
    pending = plan.pending(include_removed=config.sends_removed)
    urls, skipped = in_scope(pending, site, config.key_location)
    removed = set(plan.delta.removed)
    findings, build_warnings = _check_build(
        config, config.build, [url for url in urls if url not in removed]
    )
    notes = plan_notes(plan, plan_path, waiting=deadline is not None)
    outcome = Outcome(
        "submit",
        site,
        config.dry_run,
        delta=plan.delta,
        warnings=(*plan.delta.warnings, *build_warnings),
        plan_file=str(plan_path),
        extra_skipped=tuple(skipped),
        notes=notes,
        build_checks=findings,
    )
    _cap(urls, config, outcome)
    client = _client(config)
    try:
        planned_build = plan.after.get("path")
        urls, outcome, not_deployed, budget = _gates(
            config,
            client,
            key,
            site,
            urls,
            outcome,
            build=config.build,
            deadline=deadline,
            expected=_expected_listing(plan.delta, urls, lastmods_known=plan.lastmods_known),
            progress=progress,
            ready=ready,
            write_folder=Path(planned_build) if isinstance(planned_build, str) else None,
        )
        if budget is None:
            return outcome
        if config.dry_run:
            result = _submit(
                config, site, key, urls, client, on_batch=None, progress=progress, budget=budget
            )
        else:
            recorder = ProgressRecorder(plan_path, plan)
            try:
                result = _submit(
                    config,
                    site,
                    key,
                    urls,
                    client,
                    on_batch=lambda batch, _r: recorder.record(batch),
                    progress=progress,
                    budget=budget,
                )
            finally:
                recorder.close(deferred=outcome.deferred)
        outcome = replace(outcome, result=result)
    finally:
        client.close()
    error = _deferred_error(config, outcome, not_deployed=not_deployed, mode="plan", plan=plan_path)
    if error is not None:
        raise error
    return outcome


def run_submit_urls(
    config: Config,
    urls: list[str],
    state: Path | None,
    progress: Progress | None = None,
    ready: Ready | None = None,
    *,
    pacing: PollPolicy | None = None,
) -> Outcome:
    """Check and submit a list of URLs (all treated as added). With ``--wait``, pages not
    live yet are checked again until the deadline (no live-sitemap gate: a list has no
    sitemap); deferred ones are not recorded in ``state``."""
    key = _submission_key(config)
    deadline = _deadline(config, pacing)
    site = configured_site(config) or infer_site(urls)
    site = _require_site(site, "submit")
    recent: dict[str, float] = _read_state(state) if state else {}
    now = time.time()
    fresh = [u for u in dict.fromkeys(urls) if now - recent.get(u, 0.0) >= RESUBMIT_PAUSE]
    notes: tuple[str, ...] = ()
    if len(fresh) < len(dict.fromkeys(urls)):
        notes = (
            f"{len(dict.fromkeys(urls)) - len(fresh)} URL(s) were accepted less than 10 "
            f"minutes ago (per {state}); not resubmitted",
        )
    fresh, malformed = well_formed(fresh)
    scoped, skipped = in_scope(fresh, site, config.key_location)
    skipped = malformed + skipped
    findings, build_warnings = _check_build(config, config.build, scoped)
    outcome = Outcome(
        "submit",
        site,
        config.dry_run,
        warnings=build_warnings,
        extra_skipped=tuple(skipped),
        notes=notes,
        build_checks=findings,
    )
    _cap(scoped, config, outcome)
    client = _client(config)
    try:
        scoped, outcome, not_deployed, budget = _gates(
            config,
            client,
            key,
            site,
            scoped,
            outcome,
            build=config.build,
            deadline=deadline,
            expected=None,
            progress=progress,
            ready=ready,
        )
        if budget is None:
            return outcome

        def remember(batch: list[str], _record: RequestRecord) -> None:
            if state is not None and not config.dry_run:
                stamp = time.time()
                recent.update((u, stamp) for u in batch)
                _write_state(state, recent)

        result = _submit(
            config, site, key, scoped, client, on_batch=remember, progress=progress, budget=budget
        )
        outcome = replace(outcome, result=result)
    finally:
        client.close()
    error = _deferred_error(config, outcome, not_deployed=not_deployed, mode="urls")
    if error is not None:
        raise error
    return outcome


def _read_state(path: Path) -> dict[str, float]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as exc:
        raise PlanFileError(f"--state {path}: cannot be read as JSON ({exc})") from exc
    accepted = raw.get("accepted", {}) if isinstance(raw, dict) else {}
    if not isinstance(accepted, dict):
        raise PlanFileError(f"--state {path}: 'accepted' must map URL -> time")
    now = time.time()
    return {
        str(u): float(t)
        for u, t in accepted.items()
        if isinstance(t, (int, float))
        and not isinstance(t, bool)
        and -1e12 < t < 1e12  # a time stamp; JSON may hold any number
        and now - float(t) < RESUBMIT_PAUSE
    }


def _write_state(path: Path, accepted: dict[str, float]) -> None:
    from .plan import atomic_write

    now = time.time()
    live = {u: t for u, t in accepted.items() if now - t < RESUBMIT_PAUSE}
    atomic_write(path, [json.dumps({"version": 1, "accepted": live}, indent=1), "\n"])


def run_verify_key(config: Config) -> Outcome:
    key = require_key(config.key)
    site = _require_site(configured_site(config), "verify-key")
    client = _client(config)
    try:
        checked = check_key_file(_key_file(config, key, site, config.build), client)
    finally:
        client.close()
    return record_key_check(Outcome("verify-key", site, False), checked)


def generate_key() -> str:
    import secrets

    return secrets.token_hex(16)


def write_key_file(folder: Path, key: str) -> Path:
    if not folder.is_dir():
        raise UsageError(f"--write {folder}: no such folder")
    path = folder / f"{key}.txt"
    with path.open("wb") as handle:
        handle.write(key.encode("ascii"))
    path.chmod(0o644)
    return path


__all__ = [
    "Outcome",
    "configured_site",
    "generate_key",
    "run_plan",
    "run_submit_plan",
    "run_submit_urls",
    "run_sync",
    "run_verify_key",
    "write_key_file",
]

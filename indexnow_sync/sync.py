"""The commands. Each reads its :class:`Config` once, at the top, then runs SPEC's pipeline

    sides -> delta -> key -> gates -> send -> outcome

one room per stage, each given the values it uses (never the Config): :mod:`delta` (where the
sides come from, the diff, scope), :mod:`keycheck` (the key file), :mod:`gates` (the checks
before sending, waiting for the deploy), :mod:`send` (the cap, the POSTs) and :mod:`outcome`
(what the run found and did, and how it ends).

The order is the contract's: the ``--max-urls`` cap and the key check come before any page
GET (a run that will be refused never spends 10,000 requests), then robots.txt, then the pages,
then the POST; a dry run does all of it except the POST. With ``--wait`` the key check, the
live sitemap and the pages are looked at until the deploy is live or the deadline has passed
(:mod:`wait`); what is not live by then is deferred, never lost.

No printing, no exiting: every command returns an Outcome or raises a typed error, and the
CLI renders both. ``progress`` callbacks let the CLI show per-batch lines as they happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

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
from .errors import UsageError
from .gates import (
    Checks,
    Gates,
    check_build_offline,
    deadline_for,
    expected_listing,
    pass_gates,
    retry_budget,
)
from .keycheck import (
    KeyFile,
    KeyResult,
    check_key_file,
    record_key_check,
    require_key,
    require_key_file,
)
from .outcome import Outcome, Progress, Ready, finish
from .send import Sending, SentRecently, cap, send
from .urls import normalize_site, origin

if TYPE_CHECKING:
    from .indexnow import WaitBudget
    from .models import Skipped
    from .plan import Plan
    from .wait import Deadline, PollPolicy
    from .web import PrefixResponse, WebClient


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
    key_file = _key_file(config, key, site, build)
    # SPEC: a key file in the build is checked "before anything else": before the live site.
    record_key_check(Outcome("sync", site, config.dry_run), check_key_file(key_file))
    client = _client(config)
    robots_read: dict[str, PrefixResponse] = {}
    try:
        # sides -> delta
        sides = _sides(config, site, build)
        delta = compute_delta(sides, lambda: nullcontext(client), robots_read).delta
        site = _require_site(site, "sync")
        candidates = delta.to_submit(include_removed=config.sends_removed)
        urls, skipped = in_scope(candidates, site, config.key_location)
        findings, warnings = _check_build(config, build, [*delta.added, *delta.changed])
        outcome = Outcome(
            "sync",
            site,
            config.dry_run,
            delta=delta,
            warnings=(*delta.warnings, *warnings),
            extra_skipped=tuple(skipped),
            build_checks=findings,
        )
        cap(urls, config.max_urls, outcome)
        # key -> gates
        urls, outcome, not_deployed, budget = _key_and_gates(
            config,
            client,
            key_file,
            urls,
            outcome,
            deadline=deadline,
            progress=progress,
            ready=ready,
            expected=expected_listing(delta, urls),
            delta_reading=config.baseline is None,
            robots_read=robots_read,
        )
        if budget is None:
            return outcome
        # send
        result = send(
            _sending(config, key), urls, client, on_batch=None, progress=progress, budget=budget
        )
        outcome = replace(outcome, result=result)
    finally:
        client.close()
    mode = "live" if config.baseline is None else "baseline"
    return finish(outcome, not_deployed=not_deployed, mode=mode, wait=config.wait)


def run_plan(config: Config, out: Path) -> Outcome:
    """Compute the delta and write the plan. With a key known (flag, environment, config),
    the build's key file is checked first, so a broken one fails before it ships.

    ``out`` is not replaced when it already holds a plan of this same build with URLs still to
    send: then that plan is kept; a plan of another build with URLs pending has them carried
    into the new one (:func:`delta.replan`)."""
    from .plan import new_plan, write_plan

    site = configured_site(config)
    key = require_key(config.key) if config.key else None
    build = find_build(config.build)
    # key (the build's file, before it ships)
    checked = check_key_file(_key_file(config, key, site, build)) if key else KeyResult(None)
    note = "no plan was written: fix the file and re-run"
    record_key_check(Outcome("plan", site, False), checked, note=note)
    # sides -> delta
    read = compute_delta(_sides(config, site, build), lambda: _client(config))
    after = {**read.after, "digest": build_digest(read.after.get("sources", ()))}
    delta, kept = replan(
        read.delta, after["digest"], site, out, include_removed=config.sends_removed
    )
    findings: tuple[Skipped, ...] = ()
    if kept is None:  # else the plan already in ``out`` is kept as it is
        findings, warnings = _check_build(config, build, [*delta.added, *delta.changed])
        delta = replace(delta, warnings=(*delta.warnings, *warnings))
        write_plan(out, replace(new_plan(delta, site, read.before, after), build_checks=findings))
    return Outcome(
        "plan",
        site,
        False,
        delta=delta,
        key_check=checked.check,
        warnings=(*checked.warnings, *delta.warnings),
        plan_file=str(out),
        notes=() if kept is None else (kept,),
        build_checks=findings,
    )


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
    # sides -> delta: the plan's
    plan: Plan = read_plan(plan_path)
    site = configured_site(config) or plan_site(plan, plan_path)
    site = _require_site(site, "submit --plan (the plan has no site)")
    pending = plan.pending(include_removed=config.sends_removed)
    urls, skipped = in_scope(pending, site, config.key_location)
    removed = set(plan.delta.removed)
    findings, warnings = _check_build(
        config, config.build, [url for url in urls if url not in removed]
    )
    outcome = Outcome(
        "submit",
        site,
        config.dry_run,
        delta=plan.delta,
        warnings=(*plan.delta.warnings, *warnings),
        plan_file=str(plan_path),
        extra_skipped=tuple(skipped),
        notes=plan_notes(plan, plan_path, waiting=deadline is not None),
        build_checks=findings,
    )
    cap(urls, config.max_urls, outcome)
    client = _client(config)
    try:
        # key -> gates (a key fix writes the file into the build the plan was made from)
        planned_build = plan.after.get("path")
        key_file = replace(
            _key_file(config, key, site, config.build),
            write_folder=Path(planned_build) if isinstance(planned_build, str) else None,
        )
        urls, outcome, not_deployed, budget = _key_and_gates(
            config,
            client,
            key_file,
            urls,
            outcome,
            deadline=deadline,
            progress=progress,
            ready=ready,
            expected=expected_listing(plan.delta, urls, lastmods_known=plan.lastmods_known),
        )
        if budget is None:
            return outcome
        # send (a real run records each accepted batch in the plan's journal)
        recorder = None if config.dry_run else ProgressRecorder(plan_path, plan)
        try:
            result = send(
                _sending(config, key),
                urls,
                client,
                on_batch=None if recorder is None else lambda batch, _r: recorder.record(batch),
                progress=progress,
                budget=budget,
            )
        finally:
            if recorder is not None:
                recorder.close(deferred=outcome.deferred)
        outcome = replace(outcome, result=result)
    finally:
        client.close()
    return finish(outcome, not_deployed=not_deployed, mode="plan", wait=config.wait, plan=plan_path)


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
    # sides -> delta: the list, without what was accepted recently, malformed or out of scope
    site = configured_site(config) or infer_site(urls)
    site = _require_site(site, "submit")
    recently = SentRecently(state, dry_run=config.dry_run)
    fresh, notes = recently.fresh(urls)
    fresh, malformed = well_formed(fresh)
    scoped, skipped = in_scope(fresh, site, config.key_location)
    findings, warnings = _check_build(config, config.build, scoped)
    outcome = Outcome(
        "submit",
        site,
        config.dry_run,
        warnings=warnings,
        extra_skipped=(*malformed, *skipped),
        notes=notes,
        build_checks=findings,
    )
    cap(scoped, config.max_urls, outcome)
    client = _client(config)
    try:
        # key -> gates
        scoped, outcome, not_deployed, budget = _key_and_gates(
            config,
            client,
            _key_file(config, key, site, config.build),
            scoped,
            outcome,
            deadline=deadline,
            progress=progress,
            ready=ready,
            expected=None,
        )
        if budget is None:
            return outcome
        # send (each accepted batch is remembered in --state)
        result = send(
            _sending(config, key),
            scoped,
            client,
            on_batch=recently.remember,
            progress=progress,
            budget=budget,
        )
        outcome = replace(outcome, result=result)
    finally:
        client.close()
    return finish(outcome, not_deployed=not_deployed, mode="urls", wait=config.wait)


def _key_and_gates(
    config: Config,
    client: WebClient,
    key_file: KeyFile,
    urls: list[str],
    outcome: Outcome,
    *,
    deadline: Deadline | None,
    progress: Progress | None,
    ready: Ready | None,
    expected: dict[str, str | None] | None,
    delta_reading: bool = False,
    robots_read: Mapping[str, PrefixResponse] | None = None,
) -> tuple[list[str], Outcome, bool, WaitBudget | None]:
    """The key, then the gates: what every submitting command runs between its delta and
    its POSTs. Returns the URLs to send, the outcome, whether the deploy has not happened at
    all, and the run's retry budget (None: nothing was to be sent, so nothing to POST)."""
    # key: also when there is nothing to send
    outcome = require_key_file(
        key_file,
        client,
        outcome,
        nothing_to_send=not urls,
        deadline=deadline,
        progress=progress,
    )
    if not urls:
        return [], outcome, False, None
    # gates
    assert key_file.site is not None, "a submitting command requires its site first"
    budget = retry_budget()
    send, outcome, not_deployed = pass_gates(
        _gates(config),
        client,
        key_file.key,
        key_file.site,
        urls,
        outcome,
        budget,
        progress,
        ready=ready,
        deadline=deadline,
        expected=expected,
        delta_reading=delta_reading,
        robots_read=robots_read,
    )
    return send, outcome, not_deployed, budget


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


# --- reading the Config: what each stage is given ---


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


def _require_site(site: str | None, what: str) -> str:
    if site is None:
        raise UsageError(f"{what} needs --site URL (the public base URL, e.g. https://example.com)")
    return site


def _submission_key(config: Config) -> str:
    """The key of a run that may submit; the endpoint is checked too, before any work."""
    from .indexnow import resolve_endpoints

    key = require_key(config.key)
    resolve_endpoints(config.endpoint)
    return key


def _deadline(config: Config, pacing: PollPolicy | None) -> Deadline | None:
    return deadline_for(config.wait, config.check, config.dry_run, pacing)


def _client(config: Config) -> WebClient:
    from .web import WebClient

    return WebClient(
        timeout=config.timeout,
        max_bytes=config.max_sitemap_bytes,
        pool_maxsize=config.check_concurrency,
    )


def _sides(config: Config, site: str | None, build: Path) -> Sides:
    return Sides(site, build, config.baseline, config.live, config.max_sitemap_bytes)


def _key_file(config: Config, key: str, site: str | None, build: Path | None) -> KeyFile:
    offline_ok = config.dry_run and config.baseline is not None
    return KeyFile(key, config.key_location, site, build, offline_ok=offline_ok)


def _checks(config: Config) -> Checks:
    return Checks(config.check, config.robots_agent, config.check_concurrency)


def _check_build(
    config: Config, build: Path | None, urls: list[str]
) -> tuple[tuple[Skipped, ...], tuple[str, ...]]:
    return check_build_offline(build, urls, _checks(config), config.max_urls)


def _gates(config: Config) -> Gates:
    return Gates(_checks(config), config.wait, config.live, config.max_sitemap_bytes)


def _sending(config: Config, key: str) -> Sending:
    return Sending(config.endpoint, key, config.key_location, config.dry_run)


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

"""The commands. Each reads its :class:`Config` once, at the top, then runs SPEC's pipeline

    sides -> delta -> key -> gates -> send -> outcome

one room per stage, each given the values it uses (never the Config; :mod:`given` reads it
for them): :mod:`delta` (where the sides come from, the diff, scope), :mod:`keycheck` (the
key file), :mod:`gates` (the checks before sending, waiting for the deploy), :mod:`send` (the
cap, the POSTs) and :mod:`outcome` (what the run found and did, and how it ends).

The order is the contract's: the ``--max-urls`` cap and the key check come before any page
GET (a run that will be refused never spends 10,000 requests), then robots.txt, then the pages,
then the POST; a dry run does all of it except the POST. With ``--wait`` the key check, the
live sitemap and the pages are looked at until the deploy is live or the deadline has passed
(:mod:`wait`); what is not live by then is deferred, never lost.

No printing, no exiting: every command returns an Outcome or raises a typed error, and the
CLI renders both. ``progress`` callbacks let the CLI show per-batch lines as they happen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import given
from .config import Config
from .delta import (
    compute_delta,
    deployed_already,
    find_build,
    in_scope,
    infer_site,
    plan_notes,
    plan_site,
    well_formed,
)
from .errors import LiveSitemapError, UsageError
from .gates import (
    expected_listing,
    pass_gates,
    retry_budget,
)
from .given import Clock
from .keycheck import (
    KeyFile,
    KeyResult,
    check_key_file,
    record_key_check,
    require_key,
    require_key_file,
)
from .outcome import Journal, Outcome, Progress, Ready, Resume, finish
from .replan import build_digest, replan, run_settings
from .send import SentRecently, cap, send
from .urls import origin

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
    report: Path | None = None,
    clock: Clock | None = None,
    journal: Journal | None = None,
) -> Outcome:
    """Diff, check the key, wait for the deploy (``--wait``), check and submit the delta.
    Raises :class:`DeferredError` (keeping the outcome) when URLs were deferred; its fix
    reads them from ``report`` (the run's ``--report FILE``) when there is one. ``journal``
    keeps what the run knows as it goes (for a run stopped by Ctrl-C)."""
    journal = journal or Journal()
    mode = "live" if config.baseline is None else "baseline"
    carry = given.followup_options(config, "endpoint", "key-location")
    journal.resume = Resume(mode, report=report, carry=carry)
    given.require_manifest_for_fix(config)
    key = given.submission_key(config)
    deadline = given.deadline(config, pacing)
    site = given.configured_site(config)
    build = find_build(config.build)
    key_file = given.key_file(config, key, site, build)
    # SPEC: a key file in the build is checked "before anything else": before the live site.
    record_key_check(Outcome("sync", site, config.dry_run), check_key_file(key_file))
    client = given.client(config)
    robots_read: dict[str, PrefixResponse] = {}
    try:
        # sides -> delta (by content, where the build has pages)
        sides = given.sides(config, site, build)
        pages = given.pages(config, build)
        read = compute_delta(
            sides,
            lambda: nullcontext(client),
            robots_read,
            keep_build=pages,
            keep_before=pages and config.fix_lastmod,
        )
        content = given.content_delta(
            config,
            read,
            site,
            build,
            lambda: client,
            robots_read,
            clock=clock,
        )
        content, fixed = given.write_build(config, build, content, write=not config.dry_run)
        delta = content.delta if content else read.delta
        # Only when neither the lastmods nor the content moved: a content change the live
        # sitemap cannot show (an edit the generator did not date) means "not deployed yet".
        nothing = not (delta.added or delta.changed or delta.removed)
        late = deployed_already(read) if nothing else None
        site = given.require_site(site, "sync")
        candidates = delta.to_submit(include_removed=config.sends_removed)
        urls, skipped = in_scope(candidates, site, config.key_location)
        findings, warnings = given.check_build(config, build, [*delta.added, *delta.changed])
        outcome = Outcome(
            "sync",
            site,
            config.dry_run,
            delta=delta,
            warnings=(*delta.warnings, *given.content_warnings(content), *warnings),
            extra_skipped=tuple(skipped),
            notes=(
                *(content.notes if content else ()),
                *(() if late is None else (late,)),
                *given.removed_not_sent(config, len(delta.removed)),
            ),
            build_checks=findings,
            content=given.content_report(content),
            lastmod_fix=fixed,
        )
        cap(urls, config.max_urls, outcome)
        journal.found(outcome, urls)
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
            pages=read.build or (),
        )
        journal.found(outcome, urls)
        if budget is None:
            return outcome
        # send
        result = send(
            given.sending(config, key),
            urls,
            client,
            on_batch=None,
            progress=progress,
            budget=budget,
            journal=journal,
        )
        outcome = replace(outcome, result=result)
    finally:
        client.close()
    return finish(
        outcome,
        not_deployed=not_deployed,
        mode=mode,
        wait=config.wait,
        report=report,
        carry=carry,
    )


def run_plan(config: Config, out: Path, *, clock: Clock | None = None) -> Outcome:
    """Compute the delta and write the plan. With a key known (flag, environment, config),
    the build's key file is checked first, so a broken one fails before it ships.

    ``out`` is not replaced when it already holds a plan of this same build with URLs still to
    send: then that plan is kept; a plan of another build with URLs pending has them carried
    into the new one (:func:`replan.replan`)."""
    from .plan import new_plan, write_plan

    given.require_manifest_for_fix(config)
    site = given.configured_site(config)
    key = require_key(config.key) if config.key else None
    build = find_build(config.build)
    # key (the build's file, before it ships)
    checked = check_key_file(given.key_file(config, key, site, build)) if key else KeyResult(None)
    note = "no plan was written: fix the file and re-run"
    record_key_check(Outcome("plan", site, False), checked, note=note)
    # sides -> delta (by content, where the build has pages)
    robots_read: dict[str, PrefixResponse] = {}
    pages = given.pages(config, build)
    try:
        read = compute_delta(
            given.sides(config, site, build),
            lambda: given.client(config),
            robots_read,
            keep_build=pages,
            keep_before=pages and config.fix_lastmod,
        )
    except LiveSitemapError as exc:  # (its message says what a submitting run did not do)
        from .sources import NOTHING_SUBMITTED

        what = exc.what.replace(NOTHING_SUBMITTED, "no plan was written")
        raise LiveSitemapError(what, cause=exc.cause, fix=exc.fix) from exc
    web = given.Lazy(lambda: given.client(config))
    try:
        content = given.content_delta(config, read, site, build, web, robots_read, clock=clock)
    finally:
        web.close()
    content, fixed = given.write_build(
        config, build, content, write=True
    )  # (the digest: what ships)
    by_lastmod = read
    read = replace(read, delta=content.delta) if content else read
    files = content.files_identity if content else ""
    after = {
        **read.after,
        "digest": build_digest(read.after.get("sources", ()), files),
        "settings": run_settings(
            changed_by=config.changed_by,
            ignore=config.ignore,
            fix_lastmod=config.fix_lastmod,
            fingerprints=config.manifest_name is not None,
        ),
    }
    delta, kept = replan(
        read.delta,
        after["digest"],
        site,
        out,
        include_removed=config.sends_removed,
        settings=after["settings"],
    )
    # Only when neither the lastmods nor the content moved (see run_sync).
    nothing = not (read.delta.added or read.delta.changed or read.delta.removed)
    late = deployed_already(by_lastmod) if kept is None and nothing else None
    findings: tuple[Skipped, ...] = ()
    if kept is None:  # else the plan already in ``out`` is kept as it is
        findings, warnings = given.check_build(config, build, [*delta.added, *delta.changed])
        delta = replace(delta, warnings=(*delta.warnings, *warnings))
        write_plan(out, replace(new_plan(delta, site, read.before, after), build_checks=findings))
    return Outcome(
        "plan",
        site,
        False,
        delta=delta,
        key_check=checked.check,
        warnings=(*checked.warnings, *delta.warnings, *given.content_warnings(content)),
        plan_file=str(out),
        notes=(
            *(content.notes if content else ()),
            *(note for note in (kept, late) if note),
        ),
        build_checks=findings,
        content=given.content_report(content),
        lastmod_fix=fixed,
    )


def run_submit_plan(
    config: Config,
    plan_path: Path,
    progress: Progress | None = None,
    ready: Ready | None = None,
    *,
    pacing: PollPolicy | None = None,
    journal: Journal | None = None,
) -> Outcome:
    """Submit what the plan still has pending. A real run holds the plan's lock throughout
    (waiting for the deploy included), so a concurrent run of the same plan (a re-run CI job)
    cannot send it a second time. Raises :class:`DeferredError` (keeping the outcome) when
    URLs were deferred: they stay pending in the plan. ``journal``: as for :func:`run_sync`."""
    journal = journal or Journal()
    carry = given.followup_options(config, "endpoint", "key-location")
    journal.resume = Resume("plan", plan=plan_path, carry=carry)
    deadline = given.deadline(config, pacing)
    if config.dry_run:
        return _submit_plan(config, plan_path, progress, deadline, ready, journal)
    from .plan import plan_lock

    given.submission_key(config)  # a bad key or endpoint: a usage error now, not after waiting
    with plan_lock(plan_path, on_wait=progress):
        return _submit_plan(config, plan_path, progress, deadline, ready, journal)


def _submit_plan(
    config: Config,
    plan_path: Path,
    progress: Progress | None,
    deadline: Deadline | None,
    ready: Ready | None,
    journal: Journal,
) -> Outcome:
    from .plan import ProgressRecorder, read_plan

    key = given.submission_key(config)
    # sides -> delta: the plan's
    plan: Plan = read_plan(plan_path)
    site = given.configured_site(config) or plan_site(plan, plan_path)
    site = given.require_site(site, "submit --plan (the plan has no site)")
    pending = plan.pending(include_removed=config.sends_removed)
    urls, skipped = in_scope(pending, site, config.key_location)
    removed = set(plan.delta.removed)
    findings, warnings = given.check_build(
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
        notes=(
            *plan_notes(plan, plan_path, waiting=deadline is not None),
            *given.removed_not_sent(
                config,
                len(plan.pending(include_removed=True)) - len(plan.pending(include_removed=False)),
            ),
        ),
        build_checks=findings,
    )
    cap(urls, config.max_urls, outcome)
    journal.found(outcome, urls)
    client = given.client(config)
    try:
        # key -> gates (a key fix writes the file into the build the plan was made from)
        planned_build = plan.after.get("path")
        key_file = replace(
            given.key_file(config, key, site, config.build),
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
            pages=(*plan.delta.added, *plan.delta.changed, *plan.delta.removed),
        )
        journal.found(outcome, urls)
        if budget is None:
            return outcome
        # send (a real run records each accepted batch in the plan's journal)
        recorder = None if config.dry_run else ProgressRecorder(plan_path, plan)
        try:
            result = send(
                given.sending(config, key),
                urls,
                client,
                on_batch=None if recorder is None else lambda batch, _r: recorder.record(batch),
                progress=progress,
                budget=budget,
                journal=journal,
            )
        finally:
            if recorder is not None:
                recorder.close(deferred=outcome.deferred)
        outcome = replace(outcome, result=result)
    finally:
        client.close()
    return finish(
        outcome,
        not_deployed=not_deployed,
        mode="plan",
        wait=config.wait,
        plan=plan_path,
        carry=journal.resume.carry,
    )


def run_submit_urls(
    config: Config,
    urls: list[str],
    state: Path | None,
    progress: Progress | None = None,
    ready: Ready | None = None,
    *,
    pacing: PollPolicy | None = None,
    report: Path | None = None,
    journal: Journal | None = None,
) -> Outcome:
    """Check and submit a list of URLs (all treated as added). With ``--wait``, pages not
    live yet are checked again until the deadline (no live-sitemap gate: a list has no
    sitemap); deferred ones are not recorded in ``state``. ``report`` (the run's ``--report
    FILE``) and ``journal``: as for :func:`run_sync`."""
    journal = journal or Journal()
    carry = given.followup_options(config, "endpoint", "key-location")
    journal.resume = Resume("urls", state=state, report=report, carry=carry)
    key = given.submission_key(config)
    deadline = given.deadline(config, pacing)
    # sides -> delta: the list, without what was accepted recently, malformed or out of scope
    site = given.configured_site(config) or infer_site(urls)
    site = given.require_site(site, "submit")
    recently = SentRecently(state, dry_run=config.dry_run)
    fresh, notes = recently.fresh(urls)
    fresh, malformed = well_formed(fresh)
    scoped, skipped = in_scope(fresh, site, config.key_location)
    findings, warnings = given.check_build(config, config.build, scoped)
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
    journal.found(outcome, scoped)
    client = given.client(config)
    try:
        # key -> gates
        scoped, outcome, not_deployed, budget = _key_and_gates(
            config,
            client,
            given.key_file(config, key, site, config.build),
            scoped,
            outcome,
            deadline=deadline,
            progress=progress,
            ready=ready,
            expected=None,
        )
        journal.found(outcome, scoped)
        if budget is None:
            return outcome
        # send (each accepted batch is remembered in --state)
        result = send(
            given.sending(config, key),
            scoped,
            client,
            on_batch=recently.remember,
            progress=progress,
            budget=budget,
            journal=journal,
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
    pages: Iterable[str] = (),
) -> tuple[list[str], Outcome, bool, WaitBudget | None]:
    """The key, then the gates: what every submitting command runs between its delta and
    its POSTs. Returns the URLs to send, the outcome, whether the deploy has not happened at
    all, and the run's retry budget (None: nothing was to be sent, so nothing to POST).
    ``pages``: the build's URLs when there is nothing to send (where the site serves the
    build is worked out from them, else from ``urls``, for a key file not found)."""
    # key: also when there is nothing to send
    outcome = require_key_file(
        replace(key_file, pages=tuple(urls or pages)),
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
        given.gates(config),
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
    """Check the hosted key file. The site is ``--site`` (or ``--live``'s origin), else the
    origin of ``--key-location``: checking a key file by its URL needs nothing more."""
    key = require_key(config.key)
    site = given.configured_site(config)
    if site is None and config.key_location:
        site = origin(config.key_location)
    if site is None:
        raise UsageError(
            "verify-key needs --site URL or --key-location URL",
            fix="pass the site (--site https://example.com: its /KEY.txt is checked) or the "
            "key file's URL (--key-location https://example.com/KEY.txt)",
        )
    client = given.client(config)
    try:
        checked = check_key_file(given.key_file(config, key, site, config.build), client)
    finally:
        client.close()
    return record_key_check(Outcome("verify-key", site, False), checked)


__all__ = [
    "Outcome",
    "run_plan",
    "run_submit_plan",
    "run_submit_urls",
    "run_sync",
    "run_verify_key",
]

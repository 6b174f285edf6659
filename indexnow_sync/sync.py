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

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .delta import (
    DeltaRead,
    Sides,
    build_digest,
    compute_delta,
    deployed_already,
    find_build,
    in_scope,
    infer_site,
    plan_notes,
    plan_site,
    replan,
    well_formed,
)
from .errors import LiveSitemapError, UsageError
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
    from .changed import ContentResult
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
) -> Outcome:
    """Diff, check the key, wait for the deploy (``--wait``), check and submit the delta.
    Raises :class:`DeferredError` (keeping the outcome) when URLs were deferred; its fix
    reads them from ``report`` (the run's ``--report FILE``) when there is one."""
    _require_manifest_for_fix(config)
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
        # sides -> delta (by content, where the build has pages)
        sides = _sides(config, site, build)
        pages = _pages(config, build)
        read = compute_delta(
            sides,
            lambda: nullcontext(client),
            robots_read,
            keep_build=pages,
            keep_before=pages and config.fix_lastmod,
        )
        content = _by_content(
            config,
            read,
            site,
            build,
            lambda: client,
            robots_read,
            write=not config.dry_run,
            clock=clock,
        )
        fixed = _fix_lastmod(config, build, content, write=not config.dry_run)
        delta = content.delta if content else read.delta
        # Only when neither the lastmods nor the content moved: a content change the live
        # sitemap cannot show (an edit the generator did not date) means "not deployed yet".
        nothing = not (delta.added or delta.changed or delta.removed)
        late = deployed_already(read) if nothing else None
        site = _require_site(site, "sync")
        candidates = delta.to_submit(include_removed=config.sends_removed)
        urls, skipped = in_scope(candidates, site, config.key_location)
        findings, warnings = _check_build(config, build, [*delta.added, *delta.changed])
        outcome = Outcome(
            "sync",
            site,
            config.dry_run,
            delta=delta,
            warnings=(*delta.warnings, *_content_warnings(content), *warnings),
            extra_skipped=tuple(skipped),
            notes=(*(content.notes if content else ()), *(() if late is None else (late,))),
            build_checks=findings,
            content=_content_report(content),
            lastmod_fix=fixed,
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
    return finish(
        outcome,
        not_deployed=not_deployed,
        mode=mode,
        wait=config.wait,
        report=report,
        carry=followup_options(config, "endpoint", "key-location"),
    )


def run_plan(config: Config, out: Path, *, clock: Clock | None = None) -> Outcome:
    """Compute the delta and write the plan. With a key known (flag, environment, config),
    the build's key file is checked first, so a broken one fails before it ships.

    ``out`` is not replaced when it already holds a plan of this same build with URLs still to
    send: then that plan is kept; a plan of another build with URLs pending has them carried
    into the new one (:func:`delta.replan`)."""
    from .plan import new_plan, write_plan

    _require_manifest_for_fix(config)
    site = configured_site(config)
    key = require_key(config.key) if config.key else None
    build = find_build(config.build)
    # key (the build's file, before it ships)
    checked = check_key_file(_key_file(config, key, site, build)) if key else KeyResult(None)
    note = "no plan was written: fix the file and re-run"
    record_key_check(Outcome("plan", site, False), checked, note=note)
    # sides -> delta (by content, where the build has pages)
    robots_read: dict[str, PrefixResponse] = {}
    pages = _pages(config, build)
    try:
        read = compute_delta(
            _sides(config, site, build),
            lambda: _client(config),
            robots_read,
            keep_build=pages,
            keep_before=pages and config.fix_lastmod,
        )
    except LiveSitemapError as exc:  # (its message says what a submitting run did not do)
        from .sources import NOTHING_SUBMITTED

        what = exc.what.replace(NOTHING_SUBMITTED, "no plan was written")
        raise LiveSitemapError(what, cause=exc.cause, fix=exc.fix) from exc
    web = _Lazy(lambda: _client(config))
    try:
        content = _by_content(config, read, site, build, web, robots_read, write=True, clock=clock)
    finally:
        web.close()
    fixed = _fix_lastmod(config, build, content, write=True)  # (the digest is of what ships)
    by_lastmod = read
    read = replace(read, delta=content.delta) if content else read
    after = {**read.after, "digest": build_digest(read.after.get("sources", ()))}
    delta, kept = replan(
        read.delta, after["digest"], site, out, include_removed=config.sends_removed
    )
    # Only when neither the lastmods nor the content moved (see run_sync).
    nothing = not (read.delta.added or read.delta.changed or read.delta.removed)
    late = deployed_already(by_lastmod) if kept is None and nothing else None
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
        warnings=(*checked.warnings, *delta.warnings, *_content_warnings(content)),
        plan_file=str(out),
        notes=(
            *(content.notes if content else ()),
            *(note for note in (kept, late) if note),
        ),
        build_checks=findings,
        content=_content_report(content),
        lastmod_fix=fixed,
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
    return finish(
        outcome,
        not_deployed=not_deployed,
        mode="plan",
        wait=config.wait,
        plan=plan_path,
        carry=followup_options(config, "endpoint", "key-location"),
    )


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
    """Check the hosted key file. The site is ``--site`` (or ``--live``'s origin), else the
    origin of ``--key-location``: checking a key file by its URL needs nothing more."""
    key = require_key(config.key)
    site = configured_site(config)
    if site is None and config.key_location:
        site = origin(config.key_location)
    if site is None:
        raise UsageError(
            "verify-key needs --site URL or --key-location URL",
            fix="pass the site (--site https://example.com: its /KEY.txt is checked) or the "
            "key file's URL (--key-location https://example.com/KEY.txt)",
        )
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
    if folder.is_file():
        raise UsageError(
            f"--write {folder}: is a file, not a folder",
            fix=f"pass the folder to write KEY.txt into: --write {folder.parent}",
        )
    if not folder.is_dir():
        raise UsageError(
            f"--write {folder}: no such folder",
            fix="pass the build output folder (build the site first), or create the folder",
        )
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
            problem, _, fix = str(exc).partition("; ")  # (normalize_site: "problem; how")
            raise UsageError(f"--site {problem} (got {config.site!r})", fix=fix) from None
    if config.live:
        site = origin(config.live)
        if site is None:
            raise UsageError(f"--live must be an absolute http(s) URL (got {config.live!r})")
        return site
    return None


def followup_options(config: Config | None, *names: str) -> str:
    """The run's options among ``names`` (``endpoint``, ``key-location``) that a command a
    message suggests must repeat, as `` --name WORD`` each, ready to paste (the key read
    from the environment): a follow-up that drops --endpoint goes to another endpoint. Only
    those given on the command line: from the environment or the config file they apply to
    the follow-up by themselves, where it runs."""
    from .keyfile import shell_word

    if config is None:
        return ""
    values = {"endpoint": config.endpoint, "key-location": config.key_location}
    key = config.key or ""
    return "".join(
        f" --{name} {shell_word(value, key)}"
        for name in names
        if (value := values[name]) and config.given_as.get(name.replace("-", "_")) == f"--{name}"
    )


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


Clock = Callable[[], datetime]


class _Lazy:
    """A web client made on first use (a plan against a baseline may never need one)."""

    def __init__(self, make: Callable[[], WebClient]) -> None:
        self._make = make
        self._client: WebClient | None = None

    def __call__(self) -> WebClient:
        if self._client is None:
            self._client = self._make()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _pages(config: Config, build: Path) -> bool:
    """Whether content decides: --changed-by content and a build with HTML pages (a
    sitemap-only build costs nothing more than finding that out)."""
    from .changed import build_root, has_pages

    return config.by_content and has_pages(build_root(build))


def _by_content(
    config: Config,
    read: DeltaRead,
    site: str | None,
    build: Path,
    client: Callable[[], WebClient],
    robots_read: Mapping[str, PrefixResponse],
    *,
    write: bool,
    clock: Clock | None,
) -> ContentResult | None:
    """The delta decided by content (None with --changed-by lastmod)."""
    if not config.by_content:
        return None
    from .changed import ContentSettings, by_content, without_pages

    if read.build is None:  # no HTML pages in the build (see _pages)
        return without_pages(read.delta, build)

    settings = ContentSettings(
        ignore=config.ignore,
        manifest_name=config.manifest_name,
        agents=config.robots_agent,
        concurrency=config.check_concurrency,
        max_bytes=config.max_sitemap_bytes,
        write=write,
        now=(clock or _utc_now)(),
        fix_lastmod=config.fix_lastmod,
    )
    return by_content(
        read.delta,
        read.build,
        build,
        site=site,
        baseline=config.baseline,
        settings=settings,
        client=client,
        robots_read=robots_read,
        before_lastmods=read.before_lastmods,
    )


def _require_manifest_for_fix(config: Config) -> None:
    """--fix-lastmod writes when each page's content last changed, which the fingerprint
    manifest carries from deploy to deploy: without it there is nothing true to write."""
    if not config.fix_lastmod:
        return
    if not config.by_content:
        problem = "--changed-by lastmod"
    elif config.manifest_name is None:
        problem = "--fingerprints off"
    else:
        return
    raise UsageError(
        f"--fix-lastmod cannot be used with {problem}",
        cause="the true lastmods come from the fingerprint manifest, which keeps when each "
        "page's content last changed from one deploy to the next",
        fix=f"drop {problem} (or --fix-lastmod)",
    )


def _fix_lastmod(
    config: Config, build: Path, content: ContentResult | None, *, write: bool
) -> dict[str, Any] | None:
    """Stage delta, --fix-lastmod: the build's sitemap files rewritten with the true
    lastmods (:mod:`rewrite`), before the plan or any POST; ``write`` False (a dry run):
    only counted. The report's ``lastmod_fix`` section; None without --fix-lastmod."""
    if not config.fix_lastmod:
        return None
    from .rewrite import fix_build_lastmods
    from .sources import Limits

    section: dict[str, Any] = {"written": write, "files": [], "corrected": 0}
    section.update(moved_back=0, added=0, moved_forward=0)
    if content is None or content.true_lastmods is None:
        section["skipped"] = (
            "the build has no HTML pages, so when their content changed is not known: the "
            "sitemaps were left as built"
        )
        return section
    limits = Limits(max_sitemap_bytes=config.max_sitemap_bytes)
    done = fix_build_lastmods(build, content.true_lastmods, limits, dry_run=not write)
    fixes = done.corrections
    section.update(files=list(done.files), corrected=fixes.total)
    section.update(moved_back=fixes.back, added=fixes.added, moved_forward=fixes.forward)
    return section


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _content_warnings(content: ContentResult | None) -> tuple[str, ...]:
    return content.warnings if content else ()


def _content_report(content: ContentResult | None) -> dict[str, Any]:
    """The report's ``content`` section: what decided ``changed`` and how."""
    return content.report if content is not None else {"changed_by": "lastmod"}


def _sides(config: Config, site: str | None, build: Path) -> Sides:
    return Sides(
        site,
        build,
        config.baseline,
        config.live,
        config.max_sitemap_bytes,
        guessed=config.build is None,
        live_named=config.named("live"),
    )


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
    "followup_options",
    "generate_key",
    "run_plan",
    "run_submit_plan",
    "run_submit_urls",
    "run_sync",
    "run_verify_key",
    "write_key_file",
]

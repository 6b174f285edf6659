"""The gates before sending: what must hold before a URL is POSTed, and what is held back.

In the contract's order, after the key stage (:mod:`keycheck`) and before the POSTs
(:mod:`send`):

- the build's own robots.txt and pages, checked offline (:func:`check_build_offline`; warnings
  only, SPEC "Before the deploy");
- with ``--wait`` (:func:`deadline_for`), gate 1: the live sitemap lists every added URL and
  every changed one with the build's lastmod (:func:`expected_listing`);
- robots.txt, then the pages (per ``--check``), where gate 2 checks again the pages that are
  not live yet until the deadline (:mod:`wait` holds the loop and the verdicts of "live");
- without ``--wait``, a deploy that has not happened at all (every added URL 404/410) holds
  everything back.

What is not live is deferred (:class:`~indexnow_sync.models.Deferred`), never lost; how the
run then ends is :func:`outcome.finish`. With content fingerprints (the delta keeps the build's
and the previous ones), a page's check compares the live page's fingerprint with them
(:class:`checks.Expected`): the build's is live; the previous one (a stale copy) is not live
yet, waited for or deferred (at once without ``--wait``), never sent early; neither is sent,
with a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CheckGuardError, IndexNowSyncError, UsageError
from .models import Deferred, Delta, Skipped

if TYPE_CHECKING:
    from .checks import Expected, PageVerdict
    from .indexnow import WaitBudget
    from .outcome import Outcome, Progress, Ready
    from .wait import Deadline, PollPolicy
    from .web import PrefixResponse, WebClient


@dataclass(frozen=True)
class Checks:
    """How the checks before submitting run: ``--check``, ``--robots-agent``,
    ``--check-concurrency``."""

    mode: str  # pages, robots or off
    agents: tuple[str, ...]
    concurrency: int


@dataclass(frozen=True)
class Gates:
    """What the gates of a submitting run need besides the URLs: the checks, and where and
    how long waiting for the deploy looks."""

    checks: Checks
    wait: float  # --wait SECONDS (0: look once), for the report
    live: str | None  # --live: the live sitemap gate 1 reads (default: discovered)
    max_sitemap_bytes: int


def deadline_for(
    wait: float,
    check: str,
    dry_run: bool,
    pacing: PollPolicy | None,
    named: tuple[str, str] = ("--wait", "--check"),
) -> Deadline | None:
    """The run's waiting deadline: None with ``--wait 0`` (look once). A dry run never waits:
    its deadline is now, so every gate looks once and reports what a real run would wait for.
    Checked before any network request. ``named``: where the wait and the check came from
    (``--wait``, ``environment INDEXNOW_WAIT``, ``indexnow.yml: key 'wait'``)."""
    if wait <= 0:
        return None
    if check != "pages":
        wait_named, check_named = named
        raise UsageError(
            f"{wait_named} needs --check pages (got {check_named} {check})"
            if check_named.startswith("--")
            else f"{wait_named} needs --check pages (got {check!r} from {check_named})",
            cause="waiting for the deploy means checking that each page is live, which only "
            "the page checks see",
            fix="drop --wait, or use --check pages",
        )
    from .wait import Deadline

    return Deadline(0.0 if dry_run else wait, pacing)


def retry_budget() -> WaitBudget:
    """The run's one waiting budget for retries: robots.txt, page checks and POSTs share it."""
    from .indexnow import RetryPolicy, WaitBudget

    return WaitBudget(RetryPolicy().max_wait_total)


def check_build_offline(
    build: Path | None, urls: list[str], checks: Checks, limit: int
) -> tuple[tuple[Skipped, ...], tuple[str, ...]]:
    """The build's own robots.txt and pages, checked offline (SPEC "Before the deploy"; at
    most ``limit`` files read): findings and the warnings that report them. Nothing is
    skipped for them."""
    if build is None or checks.mode == "off" or not urls:
        return (), ()
    from .checks import check_build
    from .robots import make_agents

    root = build if build.is_dir() else build.parent
    result = check_build(root, urls, make_agents(checks.agents), mode=checks.mode, limit=limit)
    return result.findings, result.warnings


def expected_listing(
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


def pass_gates(
    gates: Gates,
    client: WebClient,
    key: str,
    site: str,
    urls: list[str],
    outcome: Outcome,
    budget: WaitBudget,
    progress: Progress | None,
    *,
    ready: Ready | None,
    deadline: Deadline | None,
    expected: dict[str, str | None] | None,
    delta_reading: bool = False,
    robots_read: Mapping[str, PrefixResponse] | None = None,
) -> tuple[list[str], Outcome, bool]:
    """Gate 1 (the live sitemap, when ``expected`` is given), then the checks before
    submitting with gate 2 (pages not live yet are checked again until the deadline): the
    URLs to send, the outcome with what is deferred, and whether the deploy has not happened
    at all (with ``--wait 0``: every added URL answered 404/410, so nothing is sent).
    ``ready`` is called with the outcome last, right before the POSTs (so what it shows counts
    every URL the checks skipped). ``delta_reading``: the delta itself came from
    the live sitemap. ``robots_read``: robots.txt answers already read (used when not
    waiting)."""
    from .checks import check_pages
    from .robots import make_agents
    from .wait import PageSettler, not_live, not_live_reason

    checks = gates.checks
    if outcome.key_check is not None and outcome.key_check.local_only and checks.mode != "off":
        # SPEC: a dry run with --baseline and no reachable site checks what it can offline
        # and says so. robots.txt and the pages need the site: not checked, and said.
        note = (
            "the site could not be reached, so robots.txt and the pages were not checked "
            "(a real run checks them before sending anything): listed is what would be sent "
            "if they pass"
        )
        outcome = replace(outcome, warnings=(*outcome.warnings, note))
        if ready is not None:
            ready(outcome)
        return urls, outcome, False
    deferred: list[Deferred] = []
    reads = 0
    if deadline is not None and expected:
        gaps, reads = _live_sitemap_gate(
            gates, client, site, expected, deadline, progress, delta_reading=delta_reading
        )
        deferred = [Deferred(url, gaps[url]) for url in urls if url in gaps]
        urls = [url for url in urls if url not in gaps]
    settler = None
    if deadline is not None:
        agents = make_agents(checks.agents)

        def recheck(candidates: Any) -> list[PageVerdict]:
            return check_pages(
                client,
                candidates,
                agents,
                concurrency=checks.concurrency,
                budget=budget,
                on_wait=progress,
            )

        settler = PageSettler(recheck, deadline, progress)
    send, outcome, verdicts = _check_before_submit(
        checks,
        client,
        key,
        urls,
        outcome,
        budget,
        progress,
        max_bytes=gates.max_sitemap_bytes,
        site=site,
        settle=settler,
        # After waiting, robots.txt is read again: the deploy may have changed it.
        robots_read=robots_read if deadline is None else None,
    )
    if deadline is not None:
        deferred.extend(Deferred(v.url, not_live_reason(v)) for v in verdicts if not_live(v))
    else:
        # A page still serving the previous content is never sent early, waiting or not.
        deferred.extend(Deferred(v.url, not_live_reason(v)) for v in verdicts if v.code == "stale")
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
            "seconds": gates.wait,
            "waited": round(deadline.elapsed(), 3),
            "sitemap_reads": reads,
            "page_rechecks": settler.rechecks if settler is not None else 0,
        }
    outcome = replace(outcome, deferred=tuple(deferred), waiting=waiting)
    if ready is not None:
        ready(outcome)
    return send, outcome, not_deployed


def _live_sitemap_gate(
    gates: Gates,
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
            client, site, gates.live, wanted, gates.max_sitemap_bytes
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


def _directions(delta: Delta | None) -> dict[str, str]:
    if delta is None:
        return {}
    directions = dict.fromkeys(delta.removed, "removed")
    directions.update(dict.fromkeys(delta.changed, "changed"))
    directions.update(dict.fromkeys(delta.added, "added"))
    return directions


def _check_before_submit(
    checks: Checks,
    client: WebClient,
    key: str,
    urls: list[str],
    outcome: Outcome,
    budget: WaitBudget,
    progress: Progress | None,
    *,
    max_bytes: int,
    site: str,
    settle: Callable[[Any, list[PageVerdict]], list[PageVerdict]] | None = None,
    robots_read: Mapping[str, PrefixResponse] | None = None,
) -> tuple[list[str], Outcome, list[PageVerdict]]:
    """robots.txt, then the pages (per ``--check``): the URLs still to send, the outcome
    with what was skipped and why, and the pages' verdicts. A page whose build fingerprint
    the delta keeps is compared with it (read whole, up to ``max_bytes``). Stops the run
    (keeping the outcome for the report) when robots.txt is unreachable or a guard fires."""
    from .checks import Candidate, run_checks
    from .robots import make_agents

    agents = make_agents(checks.agents)
    directions = _directions(outcome.delta)
    expected = _expected(outcome.delta, max_bytes) if checks.mode == "pages" else {}
    candidates = [Candidate(url, directions.get(url, "listed"), expected.get(url)) for url in urls]
    try:
        result = run_checks(
            client,
            candidates,
            agents,
            mode=checks.mode,
            concurrency=checks.concurrency,
            budget=budget,
            secret=key,
            progress=progress,
            settle=settle,
            robots_read=robots_read,
            site=site,
        )
    except IndexNowSyncError as exc:
        exc.outcome = outcome  # type: ignore[attr-defined]
        raise
    outcome = replace(
        outcome,
        extra_skipped=(*outcome.extra_skipped, *result.skipped),
        warnings=tuple(dict.fromkeys((*outcome.warnings, *result.warnings))),
        checks={
            "mode": checks.mode,
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


def _expected(delta: Delta | None, max_bytes: int) -> dict[str, Expected]:
    """What each added or changed page must hold to be the build's: the fingerprints the
    delta keeps (none with --changed-by lastmod, or from a plan written before them)."""
    fingerprints = delta.fingerprints if delta is not None else None
    if fingerprints is None or not fingerprints.build:
        return {}
    from .checks import Expected
    from .content import compile_rules

    rules = compile_rules(fingerprints.ignore)
    return {
        url: Expected(built, fingerprints.before.get(url), rules, max_bytes)
        for url, built in fingerprints.build.items()
    }


def _page_skip(code: str) -> bool:
    from .checks import CODES

    return (code in CODES or code == "stale") and code != "robots"


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

"""Stage delta, by content (SPEC "What changed: content, not just lastmod"): right after the
loc/lastmod diff, the pages' fingerprints decide ``changed`` wherever both sides have one.

- The build's fingerprints: every build URL's file (:mod:`buildfiles`), fingerprinted
  (:mod:`content`), a file whose bytes the earlier manifest recorded reusing its fingerprint.
  The build's own robots.txt is part of each (a page newly blocked or allowed is changed).
- The before side's, from the first of: the ``--baseline`` folder (its manifest, else its
  pages); the live fingerprint manifest (one GET); the live pages of the URLs whose lastmod
  moved (the page-check request rules, robots.txt respected). A URL the live manifest cannot
  answer for (not listed, no file, another rule version) falls back to its live page too,
  when its lastmod moved.
- :func:`diff.decide_by_content` decides; the delta keeps the fingerprints of its added and
  changed URLs (the gates compare live pages with them).
- The manifest of this build is written into the build folder, beside the sitemap, so it
  ships with the deploy (not in a dry run, not with ``--fingerprints off``).

A build without HTML pages (a sitemap only) is not looked at beyond finding that out
(:func:`has_pages`): no per-URL work, no request, nothing written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .buildfiles import BuildFiles
from .content import HTML_SUFFIXES, ROBOTS_ALL, ROBOTS_SOME, Rules, compare, compile_rules
from .diff import churn_warning, decide_by_content, with_true_lastmods
from .lastmod import instant
from .manifest import (
    Manifest,
    ManifestProblem,
    build_manifest,
    fetch_manifest,
    fingerprint_folder,
    read_manifest_file,
    write_manifest,
)
from .models import Delta, Fingerprints
from .rewrite import format_lastmod, truncate_to_second

if TYPE_CHECKING:
    from .web import PrefixResponse, WebClient


@dataclass(frozen=True)
class ContentSettings:
    """What the content stage needs from the command: ``--ignore``, ``--fingerprints``, the
    robots agents (for the build's robots.txt), the page-check concurrency and the size
    limit, whether to write (not in a dry run), and the run's time (injectable)."""

    ignore: tuple[str, ...]
    manifest_name: str | None  # None: --fingerprints off
    agents: tuple[str, ...]
    concurrency: int
    max_bytes: int
    write: bool
    now: datetime
    fix_lastmod: bool = False  # the delta and the sitemaps take the true lastmods


@dataclass(frozen=True)
class ContentResult:
    """The delta decided by content, the report's ``content`` section, and what to say."""

    delta: Delta
    report: dict[str, Any]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # With --fix-lastmod: each build URL's true lastmod (when its content last changed, in
    # nanoseconds, UTC), for the URLs where that is known; None without it.
    true_lastmods: Mapping[str, int] | None = None


def build_root(build: Path) -> Path:
    """The folder a build's pages are in: ``--build`` itself, or its sitemap file's folder."""
    return build if build.is_dir() else build.parent


def has_pages(root: Path) -> bool:
    """Whether the folder holds an HTML page anywhere (it stops at the first one found)."""
    for _folder, _dirs, names in os.walk(root):
        if any(name.lower().endswith(HTML_SUFFIXES) for name in names):
            return True
    return False


@dataclass
class _Before:
    """The before side's fingerprints, where they came from, and why some are missing."""

    source: str = "none"
    fingerprints: dict[str, str | None] = field(default_factory=dict)
    pages_only: set[str] = field(default_factory=set)  # from live pages: compare pages
    missing: dict[str, str] = field(default_factory=dict)  # URL -> why it has none
    manifest: Manifest | None = None  # the earlier manifest (carries content-changed times)
    manifest_read: str | None = None
    fetched: int = 0
    warnings: list[str] = field(default_factory=list)


def without_pages(delta: Delta, build: Path) -> ContentResult:
    """A build without HTML pages (:func:`has_pages`): lastmod decides, and the note says so."""
    note = (
        f"the build under {build} has no HTML pages: lastmod decides what changed "
        "(content fingerprints need the built pages)"
    )
    return ContentResult(delta, {"changed_by": "content", "pages": 0}, notes=(note,))


def by_content(
    delta: Delta,
    build_entries: Mapping[str, str],
    build: Path,
    *,
    site: str | None,
    baseline: Path | None,
    settings: ContentSettings,
    client: Callable[[], WebClient],
    robots_read: Mapping[str, PrefixResponse] | None = None,
    before_lastmods: Mapping[str, str] | None = None,
) -> ContentResult:
    """The delta with ``changed`` decided by content (see the module's docstring), for a
    build with HTML pages (:func:`has_pages`; else :func:`without_pages`).
    ``build_entries``: every build URL and its lastmod text. ``client`` gives the web
    client, asked for only when the live site is read.

    With ``settings.fix_lastmod``, each URL's true lastmod is the instant the manifest says
    its content last changed (:func:`manifest.content_changed`), and the lastmod rule is
    decided again with them against ``before_lastmods`` (the before side's lastmod of each
    URL in both): the delta is the one the rewritten sitemaps will show."""
    root = build_root(build)
    rules = compile_rules(settings.ignore)
    urls = list(build_entries)
    files = BuildFiles(root, urls)
    robots = _robots_suffix(root, files, settings.agents)
    added = set(delta.added)
    common = [url for url in urls if url not in added]
    by_lastmod = set(delta.changed)

    before = _Before()
    name = settings.manifest_name
    if baseline is not None:
        _from_baseline(before, baseline, common, rules, settings, site, robots)
    elif site is not None and name is not None:
        url = f"{site}{files.base_path}/{name}"
        try:
            before.manifest = fetch_manifest(client(), url, site=site, max_bytes=settings.max_bytes)
        except ManifestProblem as exc:
            before.warnings.append(f"fingerprint manifest: {exc}")
        if before.manifest is not None:
            before.source, before.manifest_read = "manifest", url
            _from_manifest(before, before.manifest, common)

    found = fingerprint_folder(files, urls, rules=rules, previous=before.manifest, robots=robots)
    built = found.fingerprints
    manifest = build_manifest(
        build_entries.items(), found, previous=before.manifest, now=settings.now, site=site
    )
    generated = delta
    truth: dict[str, int] | None = None
    if settings.fix_lastmod:
        truth = content_changed_instants(manifest)
        texts = {url: format_lastmod(moment) for url, moment in truth.items()}
        delta = with_true_lastmods(delta, common, before_lastmods or {}, texts, site)
        build_entries = {url: texts.get(url, text) for url, text in build_entries.items()}
        by_lastmod = set(delta.changed)
    if baseline is None and site is not None:
        # The live pages of the URLs whose lastmod moved, where the manifest cannot answer.
        wanted = [
            url
            for url in common
            if url in by_lastmod
            and built.get(url) is not None
            and compare(before.fingerprints.get(url), built.get(url)) == "unknown"
        ]
        if wanted:
            if before.source == "none":
                before.source = "live-pages"
            _from_live_pages(before, wanted, built, rules, settings, client(), robots_read)

    decision = decide_by_content(
        delta,
        common,
        before.fingerprints,
        built,
        site,
        build_lastmods=build_entries,
        pages_only=before.pages_only,
    )
    refined = decision.delta
    kept = {url: fp for url in (*refined.added, *refined.changed) if (fp := built.get(url))}
    old = {url: fp for url in refined.changed if (fp := before.fingerprints.get(url)) is not None}
    refined = replace(
        refined,
        fingerprints=Fingerprints(kept, old, rules.ignore),
        warnings=_churn(generated, refined, decision.unknown),
    )

    written = None
    if settings.write and name is not None:
        path = root / name
        write_manifest(path, manifest)
        written = str(path)

    not_compared = _why_not_compared(decision.unknown, built, before, by_lastmod)
    report: dict[str, Any] = {
        "changed_by": "content",
        "before": before.source,
        "manifest_read": before.manifest_read,
        "manifest_written": written,
        "pages": found.files,
        "parsed": found.parsed,
        "reused": found.reused,
        "live_pages_fetched": before.fetched,
        "compared": decision.same + decision.different,
        "same": decision.same,
        "different": decision.different,
        "not_compared": not_compared,
    }
    notes = []
    if not_compared:
        total = sum(not_compared.values())
        why = "; ".join(f"{count} {reason}" for reason, count in not_compared.items())
        notes.append(
            f"content: {total} URL(s) present on both sides could not be compared by content "
            f"({why}): lastmod decided for them"
        )
    return ContentResult(refined, report, tuple(before.warnings), tuple(notes), truth)


def content_changed_instants(manifest: Manifest) -> dict[str, int]:
    """URL -> when its content last changed (nanoseconds, UTC, to the second), for the URLs
    of ``manifest`` where that is known: what ``--fix-lastmod`` writes as their lastmod."""
    instants: dict[str, int] = {}
    for url, entry in manifest.entries.items():
        moment = instant(entry.content_changed.encode("utf-8"))
        if moment is not None:
            instants[url] = truncate_to_second(moment)
    return instants


def _churn(delta: Delta, refined: Delta, unknown: tuple[str, ...]) -> tuple[str, ...]:
    """The delta's warnings, the lastmod-churn one saying what content did about it."""
    common = delta.after_count - len(delta.added)
    churn = churn_warning(len(delta.changed), common)
    if churn is None or churn not in delta.warnings:
        return refined.warnings
    by_content = sum(1 for reason in refined.reasons.values() if reason == "content")
    still = sum(1 for reason in refined.reasons.values() if reason == "lastmod")
    said = (
        f"{len(delta.changed)} of {common} URLs present in both sitemaps have a new "
        "<lastmod> (the generator probably stamps the build time on every page): content "
        f"decided instead: {by_content} really changed, {len(refined.unchanged_content)} only "
        "got a new lastmod (unchanged_content: not sent)"
    )
    if still:
        said += f", and {still} could not be compared, so their new lastmod counts"
    return tuple(said if warning == churn else warning for warning in refined.warnings)


def _robots_suffix(
    root: Path, files: BuildFiles, agents: tuple[str, ...]
) -> Callable[[str], str] | None:
    """What the build's own robots.txt says of each URL, as a fingerprint suffix; None when
    it has none (or it is not the host's: the build is served under a base path)."""
    path = root / "robots.txt"
    if files.base or not path.is_file():
        return None
    from .robots import judge, make_agents, read_robots_file

    rules, _odd = read_robots_file(path)
    engines = make_agents(agents)

    def suffix(url: str) -> str:
        verdict = judge(url, rules, engines)
        if verdict.blocked_for_all:
            return ROBOTS_ALL
        return ROBOTS_SOME if verdict.blocked else ""

    return suffix


def _from_manifest(before: _Before, manifest: Manifest, common: list[str]) -> None:
    for url in common:
        entry = manifest.entries.get(url)
        if entry is None:
            before.missing[url] = "not in the live fingerprint manifest"
        elif entry.fingerprint is None:
            before.missing[url] = "no file before"
        else:
            before.fingerprints[url] = entry.fingerprint


def _from_baseline(
    before: _Before,
    baseline: Path,
    common: list[str],
    rules: Rules,
    settings: ContentSettings,
    site: str | None,
    robots: Callable[[str], str] | None,
) -> None:
    """The baseline folder's manifest (a previous build's), else its pages."""
    root = build_root(baseline)
    name = settings.manifest_name
    if name is not None:
        path = root / name
        try:
            before.manifest = read_manifest_file(path, site=site, max_bytes=settings.max_bytes)
        except ManifestProblem as exc:
            before.warnings.append(f"fingerprint manifest: {exc}")
        if before.manifest is not None:
            before.source, before.manifest_read = "baseline-manifest", str(path)
            _from_manifest(before, before.manifest, common)
            return
    if not has_pages(root):
        before.missing.update(dict.fromkeys(common, "the baseline has no pages"))
        return
    files = BuildFiles(root, common)
    baseline_robots = _robots_suffix(root, files, settings.agents)
    found = fingerprint_folder(files, common, rules=rules, robots=baseline_robots)
    before.source = "baseline-pages"
    for url, fp in found.fingerprints.items():
        if fp is None:
            before.missing[url] = "no file in the baseline"
        else:
            before.fingerprints[url] = fp


def _from_live_pages(
    before: _Before,
    urls: list[str],
    built: Mapping[str, str | None],
    rules: Rules,
    settings: ContentSettings,
    client: WebClient,
    robots_read: Mapping[str, PrefixResponse] | None,
) -> None:
    """The live pages of ``urls``, fingerprinted (one GET each, the page checks' rules:
    redirects not followed, retries within a budget, ``--check-concurrency`` at once, read
    whole up to the size limit). A URL robots.txt disallows for every engine is not
    requested."""
    from .checks import fetch_page
    from .content import fingerprint, made_as_html
    from .indexnow import RetryPolicy, WaitBudget

    allowed = _robots_allowed(urls, settings.agents, client, robots_read, before)
    policy = RetryPolicy()
    budget = WaitBudget(policy.max_wait_total)

    def one(url: str) -> tuple[str, str | None, str]:
        # Fingerprinted the way the build's page was (HTML or bytes), whatever the server
        # says its type is: like with like.
        html = made_as_html(built.get(url) or "")
        answer = fetch_page(client, url, policy, budget, max_bytes=settings.max_bytes)
        response = answer.response
        if response is None:
            return url, None, "no answer from the live page"
        if not 200 <= response.status < 300:
            return url, None, f"the live page answered {response.status}"
        if response.truncated:
            return url, None, "the live page is over the size limit"
        return url, fingerprint(response.body, url, html=html, rules=rules), ""

    if not allowed:
        return
    workers = max(1, min(settings.concurrency, len(allowed)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="content") as pool:
        for url, fp, problem in pool.map(one, allowed):
            before.fetched += 1
            if fp is None:
                before.missing[url] = problem
                before.fingerprints.pop(url, None)
            else:
                before.fingerprints[url] = fp
                before.pages_only.add(url)


def _robots_allowed(
    urls: list[str],
    agents: tuple[str, ...],
    client: WebClient,
    robots_read: Mapping[str, PrefixResponse] | None,
    before: _Before,
) -> list[str]:
    """``urls`` without those the live robots.txt disallows for every engine (each host's
    robots.txt read once, or taken from live discovery). An unreadable robots.txt: no page
    of that host is requested."""
    from .errors import RobotsError
    from .indexnow import RetryPolicy, WaitBudget
    from .robots import fetch_robots, judge, make_agents, robots_url

    engines = make_agents(agents)
    policy = RetryPolicy()
    budget = WaitBudget(policy.max_wait_total)
    read: dict[str, Any] = {}
    allowed = []
    for url in urls:
        origin = robots_url(url)
        if origin not in read:
            try:
                read[origin] = fetch_robots(
                    client,
                    origin,
                    policy=policy,
                    budget=budget,
                    known=(robots_read or {}).get(origin),
                ).rules
            except RobotsError:
                read[origin] = None
        rules = read[origin]
        if rules is None:
            before.missing[url] = "the live robots.txt could not be read"
        elif judge(url, rules, engines).blocked_for_all:
            before.missing[url] = "the live robots.txt disallows it"
        else:
            allowed.append(url)
    return allowed


def _why_not_compared(
    unknown: tuple[str, ...],
    built: Mapping[str, str | None],
    before: _Before,
    by_lastmod: set[str],
) -> dict[str, int]:
    """How many URLs on both sides could not be compared, by reason."""
    reasons: dict[str, int] = {}
    for url in unknown:
        if built.get(url) is None:
            why = "with no file in the build"
        elif url in before.missing:
            why = before.missing[url]
        elif url in before.fingerprints:
            why = "fingerprinted by another rule version or other --ignore selectors"
        elif before.source in ("none", "live-pages") and url not in by_lastmod:
            why = "with an unmoved lastmod, not fetched (first run: no live manifest yet)"
        else:
            why = "without a fingerprint before"
        reasons[why] = reasons.get(why, 0) + 1
    return reasons


__all__ = [
    "ContentResult",
    "ContentSettings",
    "build_root",
    "by_content",
    "has_pages",
    "without_pages",
]

"""Stage delta, by content (SPEC "What changed: content, not just lastmod"): right after the
loc/lastmod diff, the pages' fingerprints decide ``changed`` wherever both sides have one.

- The build's fingerprints: every build URL's file (:mod:`buildfiles`), fingerprinted
  (:mod:`content`), a file whose bytes the earlier manifest recorded reusing its fingerprint.
  The build's own robots.txt is part of each (a page newly blocked or allowed is changed).
- The before side's, from the first of: the ``--baseline`` folder (its manifest, else its
  pages); the live fingerprint manifest (one GET); the live pages of the URLs whose lastmod
  moved (the page-check request rules, robots.txt respected). A URL the live manifest cannot
  answer for falls back to its live page too: not listed or no file before, when its lastmod
  moved (from the one the manifest recorded); fingerprinted by another rule version or other
  ``--ignore`` selectors, when its file's bytes are not the ones the manifest recorded (when
  they are, it is the same page: :func:`_same_bytes_again`). A fingerprint of other rules
  is never a change by itself.
- :func:`diff.decide_by_content` decides; the delta keeps the fingerprints of its added and
  changed URLs (the gates compare live pages with them).
- This build's manifest (each URL's fingerprint and when its content last changed, from the
  same comparisons) is returned; the command writes it into the build folder, beside the
  sitemap, so it ships with the deploy (with ``--fix-lastmod`` together with the sitemaps it
  rewrites; not in a dry run, not with ``--fingerprints off``).

A build without HTML pages (a sitemap only) is not looked at beyond finding that out
(:func:`has_pages`): no per-URL work, no request, nothing written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .buildfiles import BuildFiles
from .content import (
    HTML_SUFFIXES,
    ROBOTS_ALL,
    ROBOTS_SOME,
    Comparison,
    Rules,
    compare,
    compile_rules,
    page_part,
)
from .diff import churn_warning, decide_by_content, with_true_lastmods
from .lastmod import instant, is_changed
from .manifest import (
    FolderFingerprints,
    Manifest,
    ManifestIsHtml,
    ManifestProblem,
    build_manifest,
    fetch_manifest,
    fingerprint_folder,
    read_limit,
    read_manifest_file,
    refuse_overwrite,
)
from .models import Delta, Fingerprints
from .rewrite import format_lastmod, truncate_to_second

if TYPE_CHECKING:
    from .web import PrefixResponse, WebClient


@dataclass(frozen=True)
class ContentSettings:
    """What the content stage needs from the command: ``--ignore``, ``--fingerprints``, the
    robots agents (for the build's robots.txt), the page-check concurrency and the size
    limit, and the run's time (injectable)."""

    ignore: tuple[str, ...]
    manifest_name: str | None  # None: --fingerprints off
    agents: tuple[str, ...]
    concurrency: int
    max_bytes: int
    now: datetime
    fix_lastmod: bool = False  # the delta and the sitemaps take the true lastmods


@dataclass(frozen=True)
class ContentResult:
    """The delta decided by content, the report's ``content`` section, and what to say; the
    build's manifest, for the command to write where ``manifest_path`` says."""

    delta: Delta
    report: dict[str, Any]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # With --fix-lastmod: each build URL's true lastmod (when its content last changed, in
    # nanoseconds, UTC), for the URLs where that is known; None without it.
    true_lastmods: Mapping[str, int] | None = None
    manifest: Manifest | None = None
    manifest_path: Path | None = None  # None: --fingerprints off
    manifest_limit: int = 0  # the most the next run reads of it (manifest.read_limit)
    files_identity: str = ""  # the build's files as bytes (FolderFingerprints.identity)
    # With --fix-lastmod: how many URLs on both sides get a lastmod other than the before
    # side's (what engines see move in the deployed sitemap); None without it.
    differ_from_before: int | None = None


def build_root(build: Path) -> Path:
    """The folder a build's pages are in: ``--build`` itself, or its sitemap file's folder."""
    return build if build.is_dir() else build.parent


def has_pages(root: Path) -> bool:
    """Whether the folder holds an HTML page anywhere (it stops at the first one found)."""
    for _folder, _dirs, names in os.walk(root):
        if any(name.lower().endswith(HTML_SUFFIXES) for name in names):
            return True
    return False


# Why there is no earlier manifest, as the note on URLs not compared says it.
NO_MANIFEST_YET = "no live fingerprint manifest yet: a first run"
MANIFEST_UNUSABLE = "the live fingerprint manifest could not be used"
MANIFEST_IS_HTML = "the live fingerprint manifest URL answers an HTML page"
MANIFESTS_OFF = "--fingerprints off: no manifest is read"


@dataclass
class _Before:
    """The before side's fingerprints, where they came from, and why some are missing."""

    source: str = "none"
    fingerprints: dict[str, str | None] = field(default_factory=dict)
    pages_only: set[str] = field(default_factory=set)  # from live pages: compare pages
    missing: dict[str, str] = field(default_factory=dict)  # URL -> why it has none
    manifest: Manifest | None = None  # the earlier manifest (carries content-changed times)
    manifest_read: str | None = None
    no_manifest: str = NO_MANIFEST_YET  # why there is none (when ``manifest`` is None)
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
    sitemaps: Sequence[str] = (),
) -> ContentResult:
    """The delta with ``changed`` decided by content (see the module's docstring), for a
    build with HTML pages (:func:`has_pages`; else :func:`without_pages`), and the build's
    manifest (written by the caller: with ``--fix-lastmod`` together with the sitemaps).
    ``build_entries``: every build URL and its lastmod text. ``client`` gives the web
    client, asked for only when the live site is read. ``sitemaps``: the build's sitemap
    files (the manifest is never written over one of them).

    How each URL on both sides compares (``same``, ``different``, ``unknown``) decides its
    place in the delta and when its content last changed (:func:`manifest.content_changed`).
    With ``settings.fix_lastmod`` that instant is its true lastmod, and the lastmod rule is
    decided again with them against ``before_lastmods`` (the before side's lastmod of each
    URL in both, also the record of a URL when there is no earlier manifest): the delta is
    the one the rewritten sitemaps will show."""
    root = build_root(build)
    rules = compile_rules(settings.ignore)
    urls = list(build_entries)
    files = BuildFiles(root, urls)
    name = settings.manifest_name
    if name is not None:
        listed = (
            url
            for scheme in ("https", "http")
            if site is not None
            and (url := f"{scheme}:{site.partition(':')[2]}{files.base_path}/{name}")
            in build_entries
        )
        refuse_overwrite(root / name, name, sitemaps=sitemaps, urls=listed)
    robots = _robots_suffix(root, files, settings.agents)
    added = set(delta.added)
    common = [url for url in urls if url not in added]
    limit = read_limit(len(urls), settings.max_bytes)

    before = _Before()
    if name is None:
        before.no_manifest = MANIFESTS_OFF
    if baseline is not None:
        _from_baseline(before, baseline, common, rules, settings, site, robots, limit)
    elif site is not None and name is not None:
        _from_live_manifest(before, f"{site}{files.base_path}/{name}", common, site, limit, client)

    found = fingerprint_folder(files, urls, rules=rules, previous=before.manifest, robots=robots)
    built = found.fingerprints
    before.warnings.extend(_ignore_unmatched(rules, found))
    _same_bytes_again(before, found)
    if baseline is None and site is not None:
        # The live pages of the URLs the manifest cannot answer for (none, another rule)
        # whose lastmod moved, or whose file's bytes are not the ones it recorded.
        wanted = _live_pages_wanted(before, common, built, delta, build_entries)
        if wanted:
            if before.source == "none":
                before.source = "live-pages"
            _from_live_pages(before, wanted, built, rules, settings, client(), robots_read)

    verdicts = _verdicts(before, common, built, added)
    records = before_lastmods if before.manifest is None else None
    manifest = build_manifest(
        build_entries.items(),
        found,
        previous=before.manifest,
        now=settings.now,
        site=site,
        verdicts=verdicts,
        records=records,
    )
    generated = delta
    truth: dict[str, int] | None = None
    differ: int | None = None
    if settings.fix_lastmod:
        truth = content_changed_instants(manifest)
        texts = {url: format_lastmod(moment) for url, moment in truth.items()}
        delta = with_true_lastmods(delta, common, before_lastmods or {}, texts, site)
        build_entries = {url: texts.get(url, text) for url, text in build_entries.items()}
        differ = len(delta.changed)

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
        warnings=_churn(generated, refined, verdicts),
    )

    not_compared = _why_not_compared(decision.unknown, built, before, set(generated.changed))
    report: dict[str, Any] = {
        "changed_by": "content",
        "before": before.source,
        "manifest_read": before.manifest_read,
        "manifest_written": None,  # (set by the command once it is written)
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
    return ContentResult(
        refined,
        report,
        tuple(before.warnings),
        tuple(notes),
        truth,
        manifest,
        None if name is None else root / name,
        limit,
        found.identity,
        differ,
    )


def _ignore_unmatched(rules: Rules, found: FolderFingerprints) -> list[str]:
    """One warning naming the ``--ignore`` selectors that removed nothing from any page of
    the build (a typo leaves in every fingerprint the part it meant): said when every HTML
    page was parsed this run (a first run, new selectors); a page whose fingerprint was
    reused unparsed was not looked at, so a rebuild of unchanged pages says nothing."""
    if not found.parsed or found.reused:
        return []
    unmatched = [selector for selector in rules.ignore if selector not in found.ignore_matched]
    if not unmatched:
        return []
    named = ", ".join(repr(selector) for selector in unmatched)
    return [
        f"--ignore {named} matched nothing in the {found.parsed} page(s) of the build, so it "
        "leaves nothing out: check it against the built HTML (a class or id spelled otherwise?)"
    ]


def _from_live_manifest(
    before: _Before,
    url: str,
    common: list[str],
    site: str,
    limit: int,
    client: Callable[[], WebClient],
) -> None:
    try:
        before.manifest = fetch_manifest(client(), url, site=site, max_bytes=limit)
    except ManifestProblem as exc:
        before.warnings.append(f"fingerprint manifest: {exc}")
        html = isinstance(exc, ManifestIsHtml)
        before.no_manifest = MANIFEST_IS_HTML if html else MANIFEST_UNUSABLE
    if before.manifest is not None:
        before.source, before.manifest_read = "manifest", url
        _from_manifest(before, before.manifest, common)


def _same_bytes_again(before: _Before, found: FolderFingerprints) -> None:
    """A file whose bytes are the ones the earlier manifest recorded, its fingerprint made by
    another rule version or other ``--ignore`` selectors, is the same page: the before side
    takes its fingerprint by this run's rules (the robots.txt part stays the earlier one:
    the build's robots.txt may have changed)."""
    for url in found.same_bytes:
        old, new = before.fingerprints.get(url), found.fingerprints.get(url)
        if old is None or new is None or compare(old, new) != "unknown":
            continue
        before.fingerprints[url] = page_part(new) + old[len(page_part(old)) :]


def _live_pages_wanted(
    before: _Before,
    common: list[str],
    built: Mapping[str, str | None],
    delta: Delta,
    build_entries: Mapping[str, str],
) -> list[str]:
    """The URLs whose live page is fetched: on both sides, with a file, not comparable by
    the before side's fingerprints, and either fingerprinted by the earlier manifest under
    other rules (its bytes changed since: the page may have) or whose lastmod moved: from
    the one the earlier manifest recorded (the generator's, even when the live sitemap shows
    a true lastmod), else from the before side's."""
    moved = set(delta.changed)
    known = before.manifest.entries if before.manifest is not None else {}
    wanted = []
    for url in common:
        new = built.get(url)
        if new is None:
            continue
        old = before.fingerprints.get(url)
        if compare(old, new) != "unknown":
            continue
        entry = known.get(url)
        if old is not None:
            wanted.append(url)  # (another rule: only a file with new bytes gets here)
        elif entry is not None:
            if is_changed(entry.lastmod.encode(), build_entries.get(url, "").encode()):
                wanted.append(url)
        elif url in moved:
            wanted.append(url)
    return wanted


def _verdicts(
    before: _Before, common: list[str], built: Mapping[str, str | None], added: set[str]
) -> dict[str, Comparison]:
    """How each build URL's content compares with the before side's (as
    :func:`diff.decide_by_content` compares them); a URL added while an earlier manifest
    exists is new: ``different``."""
    verdicts: dict[str, Comparison] = {}
    for url in common:
        new = built.get(url)
        if new is None:
            continue  # (no file: no manifest entry, nothing to decide)
        old = before.fingerprints.get(url)
        if url in before.pages_only and old is not None:
            new = page_part(new)
        verdicts[url] = compare(old, new)
    if before.manifest is not None:
        verdicts.update((url, "different") for url in added if url in built)
    return verdicts


def content_changed_instants(manifest: Manifest) -> dict[str, int]:
    """URL -> when its content last changed (nanoseconds, UTC, to the second), for the URLs
    of ``manifest`` where that is known: what ``--fix-lastmod`` writes as their lastmod."""
    instants: dict[str, int] = {}
    for url, entry in manifest.entries.items():
        moment = instant(entry.content_changed.encode("utf-8"))
        if moment is not None:
            instants[url] = truncate_to_second(moment)
    return instants


def _churn(delta: Delta, refined: Delta, verdicts: Mapping[str, Comparison]) -> tuple[str, ...]:
    """The delta's warnings, the lastmod-churn one saying what content did about the URLs
    whose generator lastmod moved (``delta``: the lastmod rule's answer), so that its counts
    add up to them: really changed, only a new lastmod (listed as ``unchanged_content``, or
    set back by ``--fix-lastmod``: then not in ``refined`` at all), not compared."""
    common = delta.after_count - len(delta.added)
    churn = churn_warning(len(delta.changed), common)
    if churn is None or churn not in delta.warnings:
        return refined.warnings
    reasons, unchanged = refined.reasons, set(refined.unchanged_content)
    really = still = listed = set_back = kept = 0
    for url in delta.changed:
        reason = reasons.get(url)
        if reason is not None:
            really += reason == "content"
            still += reason == "lastmod"
        elif url in unchanged:
            listed += 1
        elif verdicts.get(url) == "same":
            set_back += 1  # (--fix-lastmod: its true lastmod is the one already live)
        else:
            kept += 1
    how = "--fix-lastmod set them back to when their content changed"
    if listed and set_back:
        how = f"{listed} listed as unchanged_content, {set_back} set back by --fix-lastmod"
    elif listed or not set_back:
        how = "unchanged_content"
    said = (
        f"{len(delta.changed)} of {common} URLs present in both sitemaps have a new "
        "<lastmod> (the generator probably stamps the build time on every page): content "
        f"decided instead: {really} really changed, {listed + set_back} only got a new "
        f"lastmod ({how}: not sent)"
    )
    if still:
        said += f", and {still} could not be compared, so their new lastmod counts"
    if kept:
        said += f", and {kept} could not be compared: --fix-lastmod kept their earlier lastmod"
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
    limit: int,
) -> None:
    """The baseline folder's manifest (a previous build's), else its pages."""
    root = build_root(baseline)
    name = settings.manifest_name
    if name is not None:
        path = root / name
        try:
            before.manifest = read_manifest_file(path, site=site, max_bytes=limit)
        except ManifestProblem as exc:
            before.warnings.append(f"fingerprint manifest: {exc}")
        if before.manifest is None:
            before.no_manifest = "the baseline has no fingerprint manifest"
        else:
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
    for url in common:
        fp = found.fingerprints.get(url)
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
            why = f"with an unmoved lastmod, not fetched ({before.no_manifest})"
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

"""The delta between the before-state and the build (SPEC "Delta rules"). Pure.

The before-side is one dict ``loc -> lastmod`` (bytes). The build is streamed into a
:class:`Differ` one sitemap file at a time, so the build side is never held whole: every build
entry that exactly matches the before-side is only marked as seen (its value gets a NUL
prefix, a byte XML text can never contain), and only entries that differ are looked at in
Python. Validation (absolute http(s) URL, the site's host) happens on the delta alone: a URL
that did not change is never sent, so it needs no checking.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import compress
from operator import eq, not_
from urllib.parse import urlsplit

from .lastmod import instant, is_changed, is_valid, later
from .models import Delta, Skipped
from .sitemap import expand_key
from .urls import authority_prefix, host_key, host_label

_SEEN = b"\x00"
MAX_URL_LENGTH = 2048
CHURN_SHARE = 0.9
CHURN_MIN_URLS = 10
_EXAMPLES = 3


class Differ:
    """Streams build sitemaps against a before-side and produces a :class:`Delta`.

    ``before`` is consumed (its values are rewritten in place to mark what the build has).
    """

    def __init__(self, before: dict[bytes, bytes], key_prefix: bytes = b"") -> None:
        self._before = before
        self._key_prefix = key_prefix
        self._added: dict[bytes, bytes] = {}
        self._changed: dict[bytes, bytes] = {}
        self._unreadable: dict[bytes, bytes] = {}
        self._after_count = 0
        self._before_count = len(before)
        self._bad_lastmod_count = 0
        self._bad_lastmod_examples: dict[bytes, None] = {}  # the first few distinct ones

    def add(self, entries: dict[bytes, bytes]) -> None:
        """One build sitemap's entries (loc -> raw lastmod, duplicates already merged)."""
        before = self._before
        locs = list(entries)
        lastmods = list(entries.values())
        previous = list(map(before.get, locs))
        # C-speed passes: which entries equal the before-side exactly, and which do not.
        equal = list(map(eq, previous, lastmods))
        matched = list(compress(locs, equal))
        if matched:
            matched_before: Iterable[bytes] = compress(previous, equal)  # type: ignore[arg-type]
            marks = map(_SEEN.__add__, matched_before)
            # mark: before[loc] = NUL + before[loc]
            before.update(zip(matched, marks, strict=True))
        if len(matched) != len(locs):
            for loc in compress(locs, map(not_, equal)):
                self._add_differing(loc, entries[loc])

    def _add_differing(self, loc: bytes, lastmod: bytes) -> None:
        prev = self._before.get(loc)
        if prev is None:
            known = self._added.get(loc)
            if known is None:
                self._after_count += 1
                self._added[loc] = lastmod
                self._note_lastmod(lastmod)
            else:  # listed again in a later build sitemap
                self._added[loc] = later(known, lastmod)
            return
        if prev[:1] == _SEEN:  # listed again in a later build sitemap
            before_lastmod = prev[1:]
            current = self._changed.get(loc)
            if current is None:
                current = self._unreadable.get(loc, before_lastmod)
            self._settle(loc, before_lastmod, later(current, lastmod))
            return
        self._before[loc] = _SEEN + prev
        self._note_lastmod(lastmod)
        self._note_lastmod(prev)
        self._settle(loc, prev, lastmod)

    def _settle(self, loc: bytes, before_lastmod: bytes, build_lastmod: bytes) -> None:
        if is_changed(before_lastmod, build_lastmod):
            self._changed[loc] = build_lastmod
            self._unreadable.pop(loc, None)
            return
        self._changed.pop(loc, None)
        if instant(build_lastmod) is None and build_lastmod != before_lastmod:
            # Unchanged only because the build's lastmod is absent or unreadable: remember it,
            # a later listing of the same URL must be compared with it, not with before's.
            self._unreadable[loc] = build_lastmod
        else:
            self._unreadable.pop(loc, None)

    def _note_lastmod(self, raw: bytes) -> None:
        if not is_valid(raw):
            self._bad_lastmod_count += 1
            if len(self._bad_lastmod_examples) < _EXAMPLES:
                self._bad_lastmod_examples[raw] = None

    def _expand(self, keys: Iterable[bytes]) -> Iterable[bytes]:
        if not self._key_prefix:
            return keys
        return (expand_key(key, self._key_prefix) for key in keys)

    def finish(self, site: str | None = None, *, before_missing: bool = False) -> Delta:
        """The delta. With ``site``, delta URLs not on its host are skipped (never sent);
        relative, non-http(s), over-long or whitespace-containing URLs always are."""
        seen = self._before
        removed_raw = [loc for loc, value in seen.items() if value[:1] != _SEEN]
        common = len(seen) - len(removed_raw)
        after_count = self._after_count + common
        skipped: list[Skipped] = []
        site_key = host_key(site) if site else None
        added = _valid(self._expand(self._added), site_key, skipped)
        changed = _valid(self._expand(self._changed), site_key, skipped)
        removed = _valid(self._expand(removed_raw), site_key, skipped)
        warnings: list[str] = []
        if self._bad_lastmod_count:
            examples = ", ".join(repr(_text(raw)) for raw in self._bad_lastmod_examples)
            warnings.append(
                f"{self._bad_lastmod_count} <lastmod> value(s) are not W3C datetimes and were "
                f"treated as absent (e.g. {examples}); use YYYY-MM-DD or "
                "YYYY-MM-DDThh:mm:ss+00:00"
            )
        churn = churn_warning(len(self._changed), common)
        if churn is not None:
            warnings.append(churn)
        if skipped:
            warnings.append(
                f"{len(skipped)} URL(s) skipped and never sent: "
                + "; ".join(f"{s.url} ({s.reason})" for s in skipped[:_EXAMPLES])
                + (" ..." if len(skipped) > _EXAMPLES else "")
            )
        return Delta(
            added=tuple(added),
            changed=tuple(changed),
            removed=tuple(removed),
            skipped=tuple(skipped),
            warnings=tuple(warnings),
            before_count=0 if before_missing else self._before_count,
            after_count=after_count,
            lastmods=self._build_lastmods(),
            before_lastmods=self._before_lastmods(),
        )

    def common_lastmods(self) -> dict[bytes, bytes]:
        """The before side's raw lastmod of every URL also in the build (after
        :meth:`finish`: what the lastmod rule compared the build's lastmods with)."""
        return {loc: value[1:] for loc, value in self._before.items() if value[:1] == _SEEN}

    def _before_lastmods(self) -> dict[str, str]:
        """Changed URL -> the before side's raw lastmod ("" when it had none)."""
        prefix = self._key_prefix
        return {
            _text(expand_key(loc, prefix) if prefix else loc): _text(self._before[loc][1:]).strip()
            for loc in self._changed
        }

    def _build_lastmods(self) -> dict[str, str]:
        """URL -> the build's raw lastmod, for added and changed URLs that have one (what the
        live sitemap must show once the build is live). Equal texts share one object."""
        prefix = self._key_prefix
        shared: dict[bytes, str] = {}
        lastmods: dict[str, str] = {}
        for entries in (self._added, self._changed):
            for loc, lastmod in entries.items():
                if lastmod:
                    text = shared.get(lastmod)
                    if text is None:
                        text = shared[lastmod] = _text(lastmod).strip()
                    lastmods[_text(expand_key(loc, prefix) if prefix else loc)] = text
        return lastmods


def churn_warning(moved: int, common: int) -> str | None:
    """The warning when nearly every URL's lastmod moved at once (a generator stamping the
    build time), or None."""
    if common < CHURN_MIN_URLS or moved < CHURN_SHARE * common:
        return None
    return (
        f"{moved} of {common} URLs present in both sitemaps have a new "
        "<lastmod>: the generator probably stamps the build time on every page, so every "
        "page looks changed; set lastmod from the content's real modification date"
    )


@dataclass(frozen=True)
class ContentDecision:
    """The delta with ``changed`` decided by content (:func:`decide_by_content`), and how
    each URL present on both sides was decided."""

    delta: Delta
    same: int = 0  # fingerprints equal (not changed)
    different: int = 0  # fingerprints differ (changed, reason "content")
    unknown: tuple[str, ...] = ()  # a side without a fingerprint: the lastmod rule decided


def decide_by_content(
    delta: Delta,
    common: Iterable[str],
    before: Mapping[str, str | None],
    build: Mapping[str, str | None],
    site: str | None = None,
    *,
    build_lastmods: Mapping[str, str] | None = None,
    pages_only: Container[str] = (),
) -> ContentDecision:
    """SPEC "Delta rule": a URL on both sides (``common``, in build order) with a fingerprint
    on both is changed exactly when they differ (reason ``content``), whatever lastmod says;
    otherwise the lastmod rule's answer (``delta.changed``) stands (reason ``lastmod``). URLs
    whose lastmod moved but content did not are listed in ``unchanged_content``. A URL in
    ``pages_only`` has a before fingerprint taken from its live page: only the pages are
    compared (the build's robots.txt suffix left aside). A URL newly changed by content is
    validated like every delta URL (``site``'s host, its text): skipped when it fails.
    ``build_lastmods``: the build's lastmod text of URLs that may become changed (kept in
    ``lastmods``, what waiting for the deploy looks for)."""
    from .content import compare, page_part

    build_lastmods = build_lastmods or {}
    by_lastmod = set(delta.changed)
    invalid = {s.url for s in delta.skipped}
    site_key = host_key(site) if site else None
    changed: list[str] = []
    reasons: dict[str, str] = {}
    unchanged: list[str] = []
    skipped: list[Skipped] = []
    unknown: list[str] = []
    same = different = 0
    for url in common:
        moved = url in by_lastmod
        if url in invalid:
            continue  # skipped already (off the site's host, malformed)
        old, new = before.get(url), build.get(url)
        if url in pages_only and old is not None and new is not None:
            new = page_part(new)
        verdict = compare(old, new)
        if verdict == "same":
            same += 1
            if moved:
                unchanged.append(url)
        elif verdict == "different":
            different += 1
            problem = None if moved else url_problem(url, site_key)
            if problem is None:
                changed.append(url)
                reasons[url] = "content"
            else:
                skipped.append(Skipped(_printable(url), problem[1], problem[0]))
        else:
            unknown.append(url)
            if moved:
                changed.append(url)
                reasons[url] = "lastmod"
    # What the live sitemap must show once the build is live: for added and changed URLs.
    lastmods = {url: text for url, text in delta.lastmods.items() if url not in by_lastmod}
    for url in changed:
        text = delta.lastmods.get(url) or build_lastmods.get(url, "")
        if text:
            lastmods[url] = text
    refined = replace(
        delta,
        changed=tuple(changed),
        lastmods=lastmods,
        reasons=reasons,
        unchanged_content=tuple(unchanged),
        skipped=(*delta.skipped, *skipped),
    )
    return ContentDecision(refined, same, different, tuple(unknown))


def with_true_lastmods(
    delta: Delta,
    common: Iterable[str],
    before_lastmods: Mapping[str, str],
    true_lastmods: Mapping[str, str],
    site: str | None = None,
) -> Delta:
    """SPEC "A true lastmod in the deployed sitemap": the lastmod rule decided again for the
    URLs on both sides (``common``, in build order), each build URL's lastmod being the one
    ``--fix-lastmod`` writes (``true_lastmods``: URL -> its text) against the before side's
    (``before_lastmods``); a URL without a true lastmod keeps the generator's answer. The
    ``lastmods`` of the added and changed URLs (what waiting for the deploy looks for) become
    the true ones. A URL newly changed is validated like every delta URL (``site``'s host,
    its text): skipped when it fails."""
    invalid = {s.url for s in delta.skipped}
    site_key = host_key(site) if site else None
    was = set(delta.changed)
    changed: list[str] = []
    skipped: list[Skipped] = []
    for url in common:
        if url in invalid:
            continue
        true = true_lastmods.get(url)
        if true is None:
            moved = url in was
        else:
            moved = is_changed(before_lastmods.get(url, "").encode(), true.encode())
        if not moved:
            continue
        problem = None if url in was else url_problem(url, site_key)
        if problem is None:
            changed.append(url)
        else:
            skipped.append(Skipped(_printable(url), problem[1], problem[0]))
    lastmods: dict[str, str] = {}
    for url in (*delta.added, *changed):
        text = true_lastmods.get(url) or delta.lastmods.get(url, "")
        if text:
            lastmods[url] = text
    return replace(
        delta,
        changed=tuple(changed),
        lastmods=lastmods,
        skipped=(*delta.skipped, *skipped),
    )


def diff(before: dict[bytes, bytes], after: dict[bytes, bytes], site: str | None = None) -> Delta:
    """The delta between two whole sides (convenience for callers that hold both)."""
    differ = Differ(dict(before))
    differ.add(after)
    return differ.finish(site)


def _valid(
    locs: Iterable[bytes],
    site_key: tuple[str, int | None] | None,
    skipped: list[Skipped],
) -> list[str]:
    good: list[str] = []
    # per scheme://authority: nearly all URLs share one
    verdicts: dict[str, tuple[str, str] | None] = {}
    for raw in locs:
        url = _text(raw)
        problem = _text_problem(url)
        if problem is None:
            authority = authority_prefix(url)
            if authority not in verdicts:
                verdicts[authority] = _host_problem(url, site_key)
            problem = verdicts[authority]
        if problem is None:
            good.append(url)
        else:
            skipped.append(Skipped(_printable(url), problem[1], problem[0]))
    return good


_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


def url_problem(url: str, site_key: tuple[str, int | None] | None) -> tuple[str, str] | None:
    """Why a URL cannot be submitted (to the site with ``site_key``), as (skip code, reason),
    or None."""
    return _text_problem(url) or _host_problem(url, site_key)


def _text_problem(url: str) -> tuple[str, str] | None:
    """(skip code, reason) when the URL's text cannot be a URL to submit."""
    if _BAD_CHARS.search(url):
        return "invalid", "contains whitespace or control characters"
    if len(url) > MAX_URL_LENGTH:
        return "invalid", f"longer than {MAX_URL_LENGTH} characters"
    return None


def _host_problem(url: str, site_key: tuple[str, int | None] | None) -> tuple[str, str] | None:
    """(skip code, reason) for the URL's scheme and host; depends only on scheme://authority."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "invalid", "not a valid URL"
    if not parts.scheme:
        return "relative", "relative URL (a sitemap <loc> must be absolute: https://host/path)"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "invalid", "not an http(s) URL"
    key = host_key(url)
    if key is None:
        return "invalid", "not a valid URL"
    if site_key is not None and key != site_key:
        return "off_host", f"not on the site's host {host_label(site_key)}"
    return None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _printable(url: str) -> str:
    # A loc may carry a newline or escape sequence (log injection): show it escaped.
    return url if url.isprintable() else url.encode("unicode_escape").decode("ascii")


__all__ = ["Differ", "diff", "url_problem"]

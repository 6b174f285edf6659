"""The delta: what a deploy added, changed and removed, and which of it is ours to send.

A command's first stages, as values in and values out:

- :class:`Sides` says where the two sides come from: the build (:func:`find_build` when no
  ``--build`` is given), and before it a saved ``--baseline`` or the live site.
- :func:`compute_delta` reads the before side, streams the build against it (:mod:`diff`), and
  refuses a ``--site`` that the build's URLs differ from (only by the scheme or ``www.`` for
  most of them, or that none is on: :class:`_BuildHosts`).
  With ``keep_build`` it also hands on every build URL and its lastmod: content fingerprints
  (:mod:`changed`) then decide the delta's ``changed`` right after that loc/lastmod diff, as
  one more stage on its result, and write the fingerprint manifest into the build folder.
  With ``keep_before`` it also hands on the before side's lastmod of each URL in both:
  ``--fix-lastmod`` decides the lastmod rule again there with the true lastmods, and
  (``rewrite.py``) gives the build's sitemaps those lastmods, before the plan or the POSTs.
- A re-run of ``plan``: :mod:`replan`.
- A plan being submitted (:func:`plan_site`, :func:`plan_notes`) and a URL list
  (:func:`well_formed`, :func:`infer_site`) are the delta's other sources.
- :func:`in_scope`: which URLs the key file's location may vouch for.
- :func:`deployed_already`: the hint for a live diff that came after the deploy.

Nothing here prints or reads a Config: the command passes the values each stage uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import BuildSitemapError, LiveSitemapError, PlanFileError, UsageError
from .models import Delta, Skipped
from .urls import authority_prefix, host_key, normalize_site, origin

if TYPE_CHECKING:
    from .plan import Plan
    from .sources import Limits
    from .web import PrefixResponse, WebClient

BUILD_GUESSES = (".", "dist", "public", "build", "out", "_site", "site")


def find_build(build: Path | None) -> Path:
    """The build to read: ``--build`` when given, else the first of the usual output folders
    (:data:`BUILD_GUESSES`, relative to the working folder) that holds a sitemap."""
    if build is not None:
        return build

    guesses = build_guesses()
    if guesses:
        return guesses[0]
    raise UsageError(
        "no --build given and no sitemap found in ., dist, public, build, out, _site or site",
        fix="pass --build PATH (the build output folder or the sitemap file)",
    )


def build_guesses() -> list[Path]:
    """The usual output folders (:data:`BUILD_GUESSES`, in order, relative to the working
    folder) that hold a sitemap: the first is the build when no ``--build`` is given."""
    from .sources import BUILD_NAMES

    return [
        Path(guess)
        for guess in BUILD_GUESSES
        if any((Path(guess) / name).is_file() for name in BUILD_NAMES)
    ]


def _guessed(exc: BuildSitemapError, build: Path) -> BuildSitemapError:
    """A build sitemap that cannot be read, in a build folder that was guessed: the fix says
    so, and names the other folders that hold a sitemap (a Jekyll project's ``sitemap.xml``
    in ``.`` is a Liquid template; the build's is ``_site/sitemap.xml``)."""
    others = [str(folder) for folder in build_guesses() if folder != build]
    where = f"pass --build {others[0]}" if others else "pass --build with the build output folder"
    if len(others) > 1:
        where += f" (also holding a sitemap: {', '.join(others[1:])})"
    return BuildSitemapError(
        exc.what,
        cause=exc.cause,
        fix=f"{build} was guessed as the build folder (no --build given): {where}",
    )


@dataclass(frozen=True)
class Sides:
    """Where the two sides of the diff come from, and how much of a sitemap may be read."""

    site: str | None  # the site (--site, else --live's origin); None: only a baseline
    build: Path  # the build folder or its sitemap file (see find_build)
    baseline: Path | None  # a saved sitemap (file or folder) instead of the live site
    live: str | None  # the live sitemap's URL (default: discovered from the site)
    max_sitemap_bytes: int
    guessed: bool = False  # the build was guessed (no --build): its errors say so
    live_named: str = "--live"  # where ``live`` came from (--live, INDEXNOW_LIVE, the config)
    site_named: str = "--site"  # where ``site`` came from (Config.source)
    build_named: str = "--build"  # where ``build`` came from (Config.blame), for its errors
    baseline_named: str = "--baseline"  # the same for ``baseline``


@dataclass(frozen=True)
class DeltaRead:
    """The delta, and what each side was (for the plan file's ``before`` and ``after``)."""

    delta: Delta
    before: dict[str, Any]
    after: dict[str, Any]
    # Every build URL with its <lastmod> text ("" when none), in the build's order: kept only
    # when asked (content fingerprints need the whole build; a lastmod diff does not).
    build: dict[str, str] | None = None
    # The before side's <lastmod> text of every URL also in the build: kept only when asked
    # (--fix-lastmod decides the lastmod rule again, with the build's true lastmods).
    before_lastmods: dict[str, str] | None = None


def compute_delta(
    sides: Sides,
    live_client: Callable[[], AbstractContextManager[WebClient]],
    robots_read: dict[str, PrefixResponse] | None = None,
    *,
    keep_build: bool = False,
    keep_before: bool = False,
) -> DeltaRead:
    """The delta between the before side and the build. ``live_client`` gives the client
    that reads the live site (entered only when the before side is live). ``robots_read``
    receives the robots.txt answers live discovery read (for the checks: once per host).
    ``keep_build``: also return every build URL and its lastmod (:attr:`DeltaRead.build`);
    ``keep_before``: the before side's lastmod of each URL in both
    (:attr:`DeltaRead.before_lastmods`)."""
    from .diff import Differ
    from .sources import NOTHING_SUBMITTED, Limits, Side, merge, read_disk_side, read_live_side

    site = sides.site
    prefix = f"{site}/".encode() if site else b""
    limits = Limits(max_sitemap_bytes=sides.max_sitemap_bytes, key_prefix=prefix)
    build = sides.build
    before_side = Side()
    if sides.baseline is not None:
        before_map = merge(
            read_disk_side(sides.baseline, limits, before_side, sides.baseline_named)
        )
        before_info: dict[str, Any] = {"kind": "baseline", "path": str(sides.baseline)}
    else:
        if site is None:
            raise UsageError(
                "nothing to compare the build with",
                fix="pass --site URL (the live site), --live URL (the live sitemap) or "
                "--baseline FILE (a saved sitemap)",
            )
        try:
            with live_client() as web:
                before_map = merge(
                    read_live_side(
                        web, site, sides.live, limits, before_side, live_named=sides.live_named
                    )
                )
        except LiveSitemapError as exc:
            other_host = _build_not_on_site(sides, limits)
            if other_host is None:
                raise
            raise UsageError(
                other_host.what,
                cause=f"{other_host.cause}\nreading the live site failed too: "
                + exc.what.removesuffix(f"; {NOTHING_SUBMITTED}"),
                fix=other_host.fix,
            ) from exc
        before_info = {"kind": "live", "url": sides.live or site}
        if robots_read is not None:
            robots_read.update(before_side.robots)
    before_info.update(
        count=len(before_map), missing=before_side.missing, sources=before_side.sources
    )
    build_side = Side()
    differ = Differ(before_map, prefix)
    hosts = _BuildHosts(site, sides.site_named)
    kept: dict[bytes, bytes] | None = {} if keep_build else None
    try:
        for doc in read_disk_side(build, limits, build_side, sides.build_named):
            differ.add(doc.entries)
            hosts.add(doc.entries)
            if kept is not None:
                _keep(kept, doc.entries)
    except BuildSitemapError as exc:
        if not sides.guessed:
            raise
        raise _guessed(exc, build) from exc
    hosts.require_site_form(build)
    delta = differ.finish(site, before_missing=before_side.missing)
    if delta.after_count == 0:
        build_side.warnings.append(
            f"the build sitemap under {build} lists no URLs at all: is the build complete?"
        )
    after_info = {"path": str(build), "count": delta.after_count, "sources": build_side.sources}
    warnings = (*before_side.warnings, *build_side.warnings, *delta.warnings)
    delta = replace(delta, warnings=tuple(dict.fromkeys(warnings)))
    before_lastmods = _texts(differ.common_lastmods(), prefix) if keep_before else None
    return DeltaRead(delta, before_info, after_info, _texts(kept, prefix), before_lastmods)


def _keep(kept: dict[bytes, bytes], entries: dict[bytes, bytes]) -> None:
    """Add one build sitemap's entries; a URL listed again keeps its latest lastmod."""
    from .lastmod import later

    for loc, lastmod in entries.items():
        seen = kept.get(loc)
        kept[loc] = lastmod if seen is None else later(seen, lastmod)


def _texts(kept: dict[bytes, bytes] | None, prefix: bytes) -> dict[str, str] | None:
    """The kept entries as text, in order. ``kept`` is emptied on the way, each entry's bytes
    freed as its text is made: at 1M URLs both at once were 300 MB more at the peak."""
    if kept is None:
        return None
    from .sitemap import expand_key

    texts: dict[str, str] = {}
    locs: list[bytes | None] = list(kept)
    for index, loc in enumerate(locs):
        assert loc is not None
        lastmod = kept.pop(loc)
        locs[index] = None
        texts[expand_key(loc, prefix).decode("utf-8", "replace")] = lastmod.decode(
            "utf-8", "replace"
        ).strip()
    return texts


def _build_not_on_site(sides: Sides, limits: Limits) -> UsageError | None:
    """When the live site cannot be read: the error a build on another origin than
    ``--site`` would have given after the read (a port typo reads "connection refused" where
    the build says which origin it is on), else None. Only on this error path is the build
    read a second time; a run whose live read succeeds reads it once, streamed."""
    from .sources import Side, read_disk_side

    hosts = _BuildHosts(sides.site, sides.site_named)
    try:
        for doc in read_disk_side(sides.build, limits, Side(), sides.build_named):
            hosts.add(doc.entries)
        hosts.require_site_form(sides.build)
    except UsageError as exc:
        if isinstance(exc, BuildSitemapError):
            return None  # (a broken build: the live error is still the first one met)
        return exc
    return None


def deployed_already(read: DeltaRead) -> str | None:
    """A note for a diff against the live site that found nothing because the live sitemap
    already lists every URL of the build with the build's lastmod: either this deploy changed
    no page, or the run came after the deploy, when a live diff can no longer see it."""
    delta, before = read.delta, read.before
    if before.get("kind") != "live" or before.get("missing") or not delta.after_count:
        return None
    if delta.added or delta.changed or delta.removed:
        return None
    return (
        f"the live sitemap already lists the build's {delta.after_count:,} URL(s) with the "
        "build's lastmods: if this deploy changed pages, it has probably happened already; "
        "run 'plan' before the deploy and 'submit --plan' after it (or use --baseline)"
    )


class _BuildHosts:
    """Notices a --site whose form the build's URLs do not use, before any page is requested:

    - most of them differ from it only by the scheme or a ``www.`` (a generator's base URL or
      a --site typed otherwise): the diff against the live site would count every page added
      and removed, and the checks would request URLs the site does not serve as such;
    - none is on its host at all (www vs apex, a staging host): every URL would be skipped and
      the run would end green having sent nothing.

    The URLs on the site's own origin were stored by the sitemap reader with the site's prefix
    as one byte (``PREFIX_MARK``); only the others are decoded, and decided once per
    authority. The fast path (:meth:`add`): when the largest key starts with ``PREFIX_MARK``,
    every key does, and the file is counted without a look at each key. What it buys:
    ``max()`` is one C loop, 14 ms per 1,000,000 URLs where a ``startswith`` per key took
    100-150 ms (2 % of ``plan`` at 1M). Why it is exact: a key is a trimmed, non-empty loc
    (the reader drops empty ones) made of XML characters, so it never starts with ``\x00``
    or ``\x01``: a key that is not compacted starts with a byte above ``PREFIX_MARK``, and
    the largest key would. ``tests/test_delta.py`` checks it against a plain reading."""

    def __init__(self, site: str | None, named: str = "--site") -> None:
        self.site = site
        self.named = named  # where the site came from (--site, the environment, the config)
        self.site_key = host_key(site) if site else None
        self.exact = 0  # URLs on the site's own scheme://host[:port]
        self.forms: dict[str, int] = {}  # other origins (scheme://host[:port]) -> URLs
        self._decided: dict[str, str | None] = {}

    def add(self, entries: dict[bytes, bytes]) -> None:
        if self.site is None or not entries:
            return
        from .sitemap import PREFIX_MARK

        if max(entries)[:1] == PREFIX_MARK:  # every key is on the site's origin (see above)
            self.exact += len(entries)
            return
        for loc in entries:
            if loc[:1] == PREFIX_MARK:
                self.exact += 1
                continue
            authority = authority_prefix(loc.decode("utf-8", "replace"))
            if authority not in self._decided:
                self._decided[authority] = origin(authority)
            form = self._decided[authority]
            if form == self.site:
                self.exact += 1
            elif form is not None:  # (relative or not http(s): skipped with its own reason)
                self.forms[form] = self.forms.get(form, 0) + 1

    def _difference(self, form: str) -> str | None:
        """How ``form`` differs from the site when only by the scheme and/or a ``www.``."""
        key, site_key = host_key(form), self.site_key
        if key is None or site_key is None or key[1] != site_key[1]:
            return None
        scheme = form.split(":", 1)[0] != (self.site or "").split(":", 1)[0]
        www = key[0] != site_key[0]
        if www and key[0].removeprefix("www.") != site_key[0].removeprefix("www."):
            return None
        if www and scheme:
            return "the scheme and www."
        return "www." if www else "the scheme"

    def _set_to(self, form: str) -> str:
        """How to give the site ``form`` where the user gave it."""
        return f"pass --site {form}" if self.named == "--site" else f"set {self.named} to {form}"

    def require_site_form(self, build: Path) -> None:
        total = self.exact + sum(self.forms.values())
        if self.site is None or not self.forms:
            return
        common = sorted(self.forms, key=lambda form: -self.forms[form])
        near = [form for form in common if self._difference(form)]
        near_count = sum(self.forms[form] for form in near)
        fix_base = "else fix the generator's base URL (Hugo baseURL, MkDocs site_url, Astro site)"
        if 2 * near_count > total:
            form = near[0]
            raise UsageError(
                f"the build's URLs are on {form}, {self.named} is {self.site}",
                cause=f"{near_count:,} of {total:,} URLs in the build's sitemap differ from "
                f"{self.named} only by {self._difference(form)}: the diff would add and remove "
                "every page",
                fix=f"{self._set_to(form)} if that is the site's address; {fix_base}",
            )
        on_host = self.exact + sum(
            self.forms[form] for form in common if host_key(form) == self.site_key
        )
        if on_host == 0:
            shown = ", ".join(common[:3]) + (
                f" and {len(common) - 3} more" if len(common) > 3 else ""
            )
            raise UsageError(
                f"the build's URLs are on {shown}, {self.named} is {self.site}",
                cause=f"no URL of the build under {build} is on the site's host, so nothing "
                "could be submitted",
                fix=f"{self._set_to(common[0])} if that is the site's address; {fix_base}",
            )


# --- the delta's other sources: a plan being submitted, a URL list ---


def plan_site(plan: Plan, plan_path: Path) -> str | None:
    """The site a plan was made for (normalized), None when it names none."""
    if plan.site is None:
        return None
    try:
        return normalize_site(plan.site)
    except ValueError as exc:
        raise PlanFileError(f"--plan {plan_path}: its site {exc} (got {plan.site!r})") from None


def plan_notes(plan: Plan, plan_path: Path, *, waiting: bool) -> tuple[str, ...]:
    """What to say about a plan being submitted: URLs it already had accepted, and (when
    ``waiting`` for the deploy) that a version-1 plan cannot wait for its changed lastmods."""
    already = len(plan.accepted)
    notes: tuple[str, ...] = (
        (f"{already} URL(s) of this plan were already accepted earlier; not sent again",)
        if already
        else ()
    )
    if waiting and not plan.lastmods_known and plan.delta.changed:
        notes = (
            *notes,
            f"{plan_path} is a plan of format version 1, without the build's lastmods: "
            "waiting for the deploy checks that its changed URLs are listed in the live "
            "sitemap, not that they show the new lastmod (plans written by this version "
            "record them)",
        )
    return notes


def well_formed(urls: list[str]) -> tuple[list[str], list[Skipped]]:
    """A given URL list without what no engine takes (whitespace, control characters, over
    2,048 characters, relative or non-http(s)): the same rules as sitemap URLs."""
    from .diff import url_problem

    kept: list[str] = []
    skipped: list[Skipped] = []
    for url in urls:
        problem = url_problem(url, None)
        if problem is None:
            kept.append(url)
        else:
            shown = url if url.isprintable() else url.encode("unicode_escape").decode("ascii")
            code, reason = problem
            if code == "relative":  # (the rule's words name a sitemap's <loc>)
                reason = "relative URL (a URL must be absolute: https://host/path)"
            skipped.append(Skipped(shown, reason, code))
    return kept, skipped


def infer_site(urls: list[str]) -> str | None:
    """The one host all URLs are on, as a site, or None: with the scheme most of them use
    (https on a tie), so that one ``https://`` URL in a list of ``http://`` ones is the odd
    one out, not the site."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for prefix, count in Counter(authority_prefix(url) for url in urls).items():
        site = origin(prefix)
        if site is not None:
            counts[site] += count
    if len({host_key(site) for site in counts}) != 1:
        return None
    return max((count, site) for site, count in counts.items())[1]


def in_scope(
    urls: Iterable[str], site: str, key_location: str | None
) -> tuple[list[str], list[Skipped]]:
    """The URLs the key file at ``key_location`` may vouch for, and the others, skipped."""
    from .keyfile import filter_in_scope

    return filter_in_scope(urls, site, key_location)

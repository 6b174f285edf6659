"""The delta: what a deploy added, changed and removed, and which of it is ours to send.

A command's first stages, as values in and values out:

- :class:`Sides` says where the two sides come from: the build (:func:`find_build` when no
  ``--build`` is given), and before it a saved ``--baseline`` or the live site.
- :func:`compute_delta` reads the before side, streams the build against it (:mod:`diff`), and
  refuses a ``--site`` that no URL of the build is on (:class:`_BuildHosts`).
  *Coming:* content fingerprints (``content.py``) refine the delta's ``changed`` right after
  that loc/lastmod diff, as one more stage on its result; the fingerprint manifest
  (``manifest.py``) is written into the build folder there, and ``--fix-lastmod``
  (``rewrite.py``) gives the build's sitemaps their true lastmods, before the plan or the
  POSTs.
- A re-run of ``plan`` (:func:`replan`): this same build's plan is kept, another build's
  pending URLs are carried into the new one. :func:`build_digest` tells the builds apart.
- A plan being submitted (:func:`plan_site`, :func:`plan_notes`) and a URL list
  (:func:`well_formed`, :func:`infer_site`) are the delta's other sources.
- :func:`in_scope`: which URLs the key file's location may vouch for.

Nothing here prints or reads a Config: the command passes the values each stage uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PlanFileError, UsageError
from .models import Delta, Skipped
from .urls import authority_prefix, host_key, normalize_site, origin

if TYPE_CHECKING:
    from .plan import Plan
    from .web import PrefixResponse, WebClient

BUILD_GUESSES = (".", "dist", "public", "build", "out", "_site", "site")


def find_build(build: Path | None) -> Path:
    """The build to read: ``--build`` when given, else the first of the usual output folders
    (:data:`BUILD_GUESSES`, relative to the working folder) that holds a sitemap."""
    if build is not None:
        return build
    from .sources import BUILD_NAMES

    for guess in BUILD_GUESSES:
        folder = Path(guess)
        if any((folder / name).is_file() for name in BUILD_NAMES):
            return folder
    raise UsageError(
        "no --build given and no sitemap found in ., dist, public, build, out, _site or site; "
        "pass --build PATH (the build output folder or the sitemap file)"
    )


@dataclass(frozen=True)
class Sides:
    """Where the two sides of the diff come from, and how much of a sitemap may be read."""

    site: str | None  # the site (--site, else --live's origin); None: only a baseline
    build: Path  # the build folder or its sitemap file (see find_build)
    baseline: Path | None  # a saved sitemap (file or folder) instead of the live site
    live: str | None  # the live sitemap's URL (default: discovered from the site)
    max_sitemap_bytes: int


@dataclass(frozen=True)
class DeltaRead:
    """The delta, and what each side was (for the plan file's ``before`` and ``after``)."""

    delta: Delta
    before: dict[str, Any]
    after: dict[str, Any]


def compute_delta(
    sides: Sides,
    live_client: Callable[[], AbstractContextManager[WebClient]],
    robots_read: dict[str, PrefixResponse] | None = None,
) -> DeltaRead:
    """The delta between the before side and the build. ``live_client`` gives the client
    that reads the live site (entered only when the before side is live). ``robots_read``
    receives the robots.txt answers live discovery read (for the checks: once per host)."""
    from .diff import Differ
    from .sources import Limits, Side, merge, read_disk_side, read_live_side

    site = sides.site
    prefix = f"{site}/".encode() if site else b""
    limits = Limits(max_sitemap_bytes=sides.max_sitemap_bytes, key_prefix=prefix)
    build = sides.build
    before_side = Side()
    if sides.baseline is not None:
        before_map = merge(read_disk_side(sides.baseline, limits, before_side, "--baseline"))
        before_info: dict[str, Any] = {"kind": "baseline", "path": str(sides.baseline)}
    else:
        if site is None:
            raise UsageError(
                "nothing to compare the build with: pass --site URL (the live site), "
                "--live URL (the live sitemap) or --baseline FILE (a saved sitemap)"
            )
        with live_client() as web:
            before_map = merge(read_live_side(web, site, sides.live, limits, before_side))
        before_info = {"kind": "live", "url": sides.live or site}
        if robots_read is not None:
            robots_read.update(before_side.robots)
    before_info.update(
        count=len(before_map), missing=before_side.missing, sources=before_side.sources
    )
    build_side = Side()
    differ = Differ(before_map, prefix)
    hosts = _BuildHosts(site, prefix)
    for doc in read_disk_side(build, limits, build_side, "--build"):
        differ.add(doc.entries)
        hosts.add(doc.entries)
    hosts.require_site_host(build)
    delta = differ.finish(site, before_missing=before_side.missing)
    if delta.after_count == 0:
        build_side.warnings.append(
            f"the build sitemap under {build} lists no URLs at all: is the build complete?"
        )
    after_info = {"path": str(build), "count": delta.after_count, "sources": build_side.sources}
    warnings = (*before_side.warnings, *build_side.warnings, *delta.warnings)
    delta = replace(delta, warnings=tuple(dict.fromkeys(warnings)))
    return DeltaRead(delta, before_info, after_info)


class _BuildHosts:
    """Notices a --site that matches no URL of the build (www vs apex, a staging host): every
    URL would be skipped and the run would end green having sent nothing."""

    def __init__(self, site: str | None, prefix: bytes) -> None:
        self.site = site
        self.site_key = host_key(site) if site else None
        self.prefix = prefix
        self.on_site = site is None
        self.urls = 0
        self.others: dict[str, int] = {}
        self._decided: dict[str, tuple[str, int | None] | None] = {}

    def add(self, entries: dict[bytes, bytes]) -> None:
        if self.on_site:
            return
        from .sitemap import PREFIX_MARK

        for loc in entries:
            self.urls += 1
            if loc[:1] == PREFIX_MARK:  # stored as the site's own origin
                self.on_site = True
                return
            authority = authority_prefix(loc.decode("utf-8", "replace"))
            if authority not in self._decided:
                self._decided[authority] = host_key(authority)
            key = self._decided[authority]
            if key is None:
                continue  # relative or not http(s): skipped with its own reason later
            if key == self.site_key:
                self.on_site = True
                return
            label = key[0] if key[1] is None else f"{key[0]}:{key[1]}"
            self.others[label] = self.others.get(label, 0) + 1

    def require_site_host(self, build: Path) -> None:
        if self.on_site or not self.others:
            return
        common = sorted(self.others, key=lambda host: -self.others[host])
        hosts = ", ".join(common[:3]) + (f" and {len(common) - 3} more" if len(common) > 3 else "")
        scheme = (self.site or "https:").split(":", 1)[0]
        raise UsageError(
            f"the build's URLs are on {hosts}, --site is {self.site}: no URL of the build "
            f"under {build} is on the site's host, so nothing could be submitted; pass "
            f"--site {scheme}://{common[0]} (or fix the host in the sitemap's <loc>s)"
        )


def build_digest(sources: Iterable[str]) -> str:
    """A digest of the build's sitemap files as read: equal digests mean the same build, so a
    re-run of ``plan`` can tell its own earlier plan from another build's."""
    import hashlib

    digest = hashlib.sha256()
    for source in sources:
        digest.update(b"\0file\0")
        try:
            with Path(source).open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        except OSError:
            digest.update(source.encode("utf-8", "replace"))
    return "sha256:" + digest.hexdigest()


# --- a re-run of plan ---


def replan(
    delta: Delta, digest: str, site: str | None, out: Path, *, include_removed: bool
) -> tuple[Delta, str | None]:
    """The delta a plan written to ``out`` holds, given what ``out`` already holds: (the
    delta, None) normally; (the existing plan's delta, a note) when ``out`` is a plan of this
    same build (``digest``, ``site``) with URLs still to send, so it is kept (a re-run of a job
    whose submit failed finds the site already deployed, and a fresh diff would find nothing).
    A plan of another build with URLs pending is never silently dropped: they are carried
    into the new delta, with a warning."""
    previous = _previous_plan(out)
    pending = previous.pending(include_removed=include_removed) if previous else []
    if previous is None or not pending:
        return delta, None
    if previous.after.get("digest") == digest and previous.site == site:
        note = (
            f"kept the existing plan {out} of this same build (made {previous.created}): "
            f"{len(pending)} URL(s) still to submit, {len(previous.accepted)} already "
            "accepted; delete it to plan afresh"
        )
        return previous.delta, note
    return _carry_pending(delta, previous, pending, out), None


def _previous_plan(out: Path) -> Plan | None:
    from .plan import read_plan

    if not out.is_file():
        return None
    try:
        return read_plan(out)
    except PlanFileError:
        return None  # not a plan we can read: it holds nothing we could still send


def _carry_pending(delta: Delta, previous: Plan, pending: list[str], out: Path) -> Delta:
    """The new delta plus the URLs an earlier plan (of another build) never got submitted."""
    planned = {*delta.added, *delta.changed, *delta.removed}
    carried = [url for url in pending if url not in planned]
    if not carried:
        return delta
    was_added, was_removed = set(previous.delta.added), set(previous.delta.removed)
    added = [url for url in carried if url in was_added]
    removed = [url for url in carried if url in was_removed]
    changed = [url for url in carried if url not in was_added and url not in was_removed]
    warning = (
        f"{out} held a plan of another build (made {previous.created}) with "
        f"{len(pending)} URL(s) never submitted: {len(carried)} of them are carried into this "
        "plan so they are not lost (did its 'submit' step fail or never run?)"
    )
    return replace(
        delta,
        added=(*delta.added, *added),
        changed=(*delta.changed, *changed),
        removed=(*delta.removed, *removed),
        # What the live sitemap must show before --wait counts a carried URL live.
        lastmods={
            **{
                url: previous.delta.lastmods[url]
                for url in carried
                if url in previous.delta.lastmods
            },
            **delta.lastmods,
        },
        warnings=(*delta.warnings, warning),
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
            skipped.append(Skipped(shown, problem[1], problem[0]))
    return kept, skipped


def infer_site(urls: list[str]) -> str | None:
    """The one host all URLs are on, as a site (https preferred), or None."""
    origins = {origin(prefix) for prefix in {authority_prefix(u) for u in urls}} - {None}
    if len({host_key(o) for o in origins if o}) != 1:
        return None
    return max(o for o in origins if o)


def in_scope(
    urls: Iterable[str], site: str, key_location: str | None
) -> tuple[list[str], list[Skipped]]:
    """The URLs the key file at ``key_location`` may vouch for, and the others, skipped."""
    from .keyfile import filter_in_scope

    return filter_in_scope(urls, site, key_location)

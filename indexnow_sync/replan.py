"""Stage delta, a re-run of ``plan`` into a file that already holds a plan: this same build's
plan is kept (its URLs still to send), a plan of the same build made with other settings is
replaced, and another build's pending URLs are carried into the new delta with what that plan
knew of them (reason, lastmod, fingerprints). :func:`build_digest` tells the builds apart;
:func:`run_settings` says which settings decide a delta.

Values in, values out: nothing here prints or reads a Config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PlanFileError
from .models import Delta, Fingerprints

if TYPE_CHECKING:
    from .plan import Plan


def build_digest(sources: Iterable[str], files: str = "") -> str:
    """A digest of the build as read: its sitemap files (as they ship: after --fix-lastmod
    rewrote them) and, when content decides, its files' bytes (``files``: each build URL's
    file, :attr:`manifest.FolderFingerprints.identity`). Equal digests mean the same build,
    so a re-run of ``plan`` can tell its own earlier plan from another build's; an edit no
    lastmod shows (Hugo's default) is another build."""
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
    if files:
        digest.update(b"\0pages\0" + files.encode("ascii"))
    return "sha256:" + digest.hexdigest()


def replan(
    delta: Delta,
    digest: str,
    site: str | None,
    out: Path,
    *,
    include_removed: bool,
    settings: Mapping[str, Any] | None = None,
) -> tuple[Delta, str | None]:
    """The delta a plan written to ``out`` holds, given what ``out`` already holds: (the
    delta, None) normally; (the existing plan's delta, a note) when ``out`` is a plan of this
    same build (``digest``, ``site``) made with the same ``settings`` (what decides the
    delta: --changed-by, --ignore, --fix-lastmod, --fingerprints) with URLs still to send,
    so it is kept (a re-run of a job whose submit failed finds the site already deployed,
    and a fresh diff would find nothing). A plan of the same build made with other settings
    is replaced, with a warning (its URLs were decided by the settings now changed). A plan
    of another build with URLs pending is never silently dropped: they are carried into the
    new delta, with a warning."""
    from .plan import KEPT_PLAN

    previous = _previous_plan(out)
    pending = previous.pending(include_removed=include_removed) if previous else []
    if previous is None or not pending:
        return delta, None
    if previous.after.get("digest") == digest and previous.site == site:
        earlier = previous.after.get("settings")
        if earlier is None or settings is None or earlier == settings:
            note = (
                f"{KEPT_PLAN} {out} of this same build (made {previous.created}): "
                f"{len(pending)} URL(s) still to submit, {len(previous.accepted)} already "
                "accepted; delete it to plan afresh"
            )
            return previous.delta, note
        changed = _settings_changed(earlier, settings)
        warning = (
            f"{out} held a plan of this same build made with other settings ({changed}, made "
            f"{previous.created}): replaced; its {len(pending)} URL(s) still to submit were "
            "decided by those settings and are not carried over"
        )
        return replace(delta, warnings=(*delta.warnings, warning)), None
    return _carry_pending(delta, previous, pending, out), None


def run_settings(
    *, changed_by: str, ignore: Iterable[str], fix_lastmod: bool, fingerprints: bool
) -> dict[str, Any]:
    """The settings that decide a plan's delta for the same build, as its file keeps them."""
    selectors = sorted({selector.strip() for selector in ignore if selector.strip()})
    return {
        "changed_by": changed_by,
        "ignore": selectors,
        "fix_lastmod": fix_lastmod,
        "fingerprints": fingerprints,
    }


def _settings_changed(earlier: Any, now: Mapping[str, Any]) -> str:
    """The options whose value differs, as a user names them (``--ignore``)."""
    old = earlier if isinstance(earlier, dict) else {}
    names = [f"--{key.replace('_', '-')}" for key in now if old.get(key) != now[key]]
    return ", ".join(names) or "another version's settings"


def _previous_plan(out: Path) -> Plan | None:
    from .plan import read_plan

    if not out.is_file():
        return None
    try:
        return read_plan(out)
    except PlanFileError:
        return None  # not a plan we can read: it holds nothing we could still send


def _carry_pending(delta: Delta, previous: Plan, pending: list[str], out: Path) -> Delta:
    """The new delta plus the URLs an earlier plan (of another build) never got submitted,
    each with what that plan knew of it: its reason, its lastmod and its fingerprints (what
    checking the live page after the deploy compares it with)."""
    planned = {*delta.added, *delta.changed, *delta.removed}
    carried = [url for url in pending if url not in planned]
    if not carried:
        return delta
    earlier = previous.delta
    was_added, was_removed = set(earlier.added), set(earlier.removed)
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
        lastmods={**_known(earlier.lastmods, carried), **delta.lastmods},
        reasons={**_known(earlier.reasons, changed), **delta.reasons},
        fingerprints=_carried_fingerprints(delta.fingerprints, earlier.fingerprints, carried),
        warnings=(*delta.warnings, warning),
    )


def _known(values: Mapping[str, str], urls: Iterable[str]) -> dict[str, str]:
    """``values`` of ``urls``, for those it has."""
    return {url: values[url] for url in urls if url in values}


def _carried_fingerprints(
    now: Fingerprints | None, earlier: Fingerprints | None, carried: list[str]
) -> Fingerprints | None:
    """The new delta's fingerprints plus the earlier plan's of the carried URLs, when both
    were made with the same ``--ignore`` selectors (else they could not be compared with a
    live page fingerprinted by this plan's rules)."""
    if now is None or earlier is None or now.ignore != earlier.ignore:
        return now
    return replace(
        now,
        build={**_known(earlier.build, carried), **now.build},
        before={**_known(earlier.before, carried), **now.before},
    )

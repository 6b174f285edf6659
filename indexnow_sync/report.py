"""An :class:`Outcome` (and maybe an error) -> the JSON report and the human summary.

The JSON object is SPEC's "Output" contract: ``site``, ``dry_run``, ``added``, ``changed``,
``removed``, ``skipped``, ``submitted``, ``failed``, ``key_check``, ``requests``, plus
``counts``, ``warnings``, ``plan_file``, ``command``, ``version``, ``error``, ``checks`` (what
the checks before submitting did), ``build_checks``, ``deferred`` (URLs not live yet when the
run stopped waiting: ``{url, reason}``), ``wait`` (what waiting for the deploy did),
``changed_reasons`` (each changed URL's reason: ``content`` or ``lastmod``),
``unchanged_content`` (a new lastmod, the same content: never sent), ``content`` (what
content fingerprints did: where the before side's came from, how many were compared) and
``lastmod_fix`` (with ``--fix-lastmod``: the sitemap files rewritten and how many lastmods
were corrected, ``moved_back``, ``added``, ``moved_forward``; null without it).
``skipped`` and ``build_checks`` entries are ``{url, code, reason}``;
``counts.skipped_by_code`` counts every code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import IndexNowSyncError
from .models import SKIP_CODES, Delta
from .outcome import Outcome
from .plan import KEPT_PLAN, deferred_entries, skipped_entries

REPORT_VERSION = 1


def to_json(
    outcome: Outcome | None, error: IndexNowSyncError | None, command: str
) -> dict[str, Any]:
    delta = outcome.delta if outcome else None
    result = outcome.result if outcome else None
    skipped = [*(delta.skipped if delta else ()), *(outcome.extra_skipped if outcome else ())]
    submitted = list(result.submitted) if result and not (outcome and outcome.dry_run) else []
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "command": command,
        "site": outcome.site if outcome else None,
        "dry_run": outcome.dry_run if outcome else False,
        "added": list(delta.added) if delta else [],
        "changed": list(delta.changed) if delta else [],
        # Why each changed URL is changed: "content" (its fingerprints differ) or "lastmod".
        "changed_reasons": _reasons(delta) if delta else {},
        # A new lastmod, the same content: not changed, never sent.
        "unchanged_content": list(delta.unchanged_content) if delta else [],
        "removed": list(delta.removed) if delta else [],
        "skipped": skipped_entries(skipped),
        "submitted": submitted,
        "would_submit": list(result.submitted) if result and outcome and outcome.dry_run else [],
        "failed": list(result.failed) if result else [],
        "key_check": None,
        "requests": [
            {
                "endpoint": r.endpoint,
                "host": r.host,
                "status": r.status,
                "count": r.count,
                "attempts": r.attempts,
                "outcome": r.outcome,
                "detail": r.detail,
            }
            for r in (result.requests if result else ())
        ],
        "warnings": list(outcome.warnings) + list(result.warnings if result else ())
        if outcome
        else [],
        # Notes say what a correct run did and why (already accepted, a kept plan); unlike
        # warnings they never ask for action, so `fail-on: warning` ignores them.
        "notes": list(outcome.notes) if outcome else [],
        "plan_file": outcome.plan_file if outcome else None,
        "error": {"kind": error.kind, "message": error.message} if error else None,
        "checks": outcome.checks if outcome else None,
        "build_checks": skipped_entries(outcome.build_checks if outcome else ()),
        "deferred": deferred_entries(outcome.deferred if outcome else ()),
        "wait": outcome.waiting if outcome else None,
        "content": outcome.content if outcome else None,
        "lastmod_fix": outcome.lastmod_fix if outcome else None,
    }
    if outcome and outcome.key_check:
        check = outcome.key_check
        report["key_check"] = {
            "ok": check.ok,
            "url": check.url,
            "problem": check.problem,
            "cause": check.cause,
            "fix": check.fix,
            "local_only": check.local_only,
        }
    report["counts"] = {
        name: len(report[name])
        for name in (
            "added",
            "changed",
            "removed",
            "skipped",
            "submitted",
            "failed",
            "deferred",
            "unchanged_content",
        )
    }
    by_code = dict.fromkeys(SKIP_CODES, 0)
    for entry in skipped:
        by_code[entry.code] = by_code.get(entry.code, 0) + 1
    report["counts"]["skipped_by_code"] = by_code
    return report


def _reasons(delta: Delta) -> dict[str, str]:
    """Each changed URL's reason; "lastmod" for all when content did not decide (at C speed:
    a million-URL plan has tens of thousands of changed URLs)."""
    if not delta.reasons:
        return dict.fromkeys(delta.changed, "lastmod")
    return {url: delta.reasons.get(url, "lastmod") for url in delta.changed}


SKIPPED_SHOWN = 10
URLS_SHOWN = 20  # the URLs not sent, and each of a plan's added, changed and removed lists


def error_lines(message: str) -> list[str]:
    """An error on stderr: ``error: what failed``, then the cause and the fix indented beneath
    it, one to a line (``errors.py`` says how messages are written)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()] or ["(no message)"]
    return [f"error: {lines[0]}", *(f"  {line}" for line in lines[1:])]


def skipped_lines(skipped: list[dict[str, str]]) -> list[str]:
    """The skipped URLs, named: the first 10, then how many more (SPEC: the human output always
    names skipped URLs)."""
    return _named(
        f"skipped {len(skipped)} URL(s), never sent:",
        [f"  skipped ({e['code']}) {e['url']}: {e['reason']}" for e in skipped[:SKIPPED_SHOWN]],
        len(skipped),
        "skipped",
    )


def deferred_lines(deferred: list[dict[str, str]], *, dry_run: bool = False) -> list[str]:
    """The deferred URLs, named like skipped ones: the first 10, then how many more."""
    verb = "would defer" if dry_run else "deferred"
    return _named(
        f"{verb} {len(deferred)} URL(s), not live yet (not sent):",
        [f"  deferred {e['url']}: {e['reason']}" for e in deferred[:SKIPPED_SHOWN]],
        len(deferred),
        "deferred",
    )


def _named(title: str, shown: list[str], total: int, what: str) -> list[str]:
    if not total:
        return []
    return [title, *shown, *_more(total - len(shown), what)]


def _more(more: int, what: str) -> list[str]:
    """The line after a list cut short: how many more, and where they all are."""
    if more <= 0:
        return []
    return [f"  ... and {more} more {what} (--json or --report FILE lists them all)"]


def human_lines(
    report: dict[str, Any], *, has_delta: bool = True, delta: Delta | None = None
) -> list[str]:
    """The stderr summary (the progress lines are printed as they happen, elsewhere)."""
    return head_lines(report, has_delta=has_delta) + tail_lines(report, delta=delta)


def head_lines(report: dict[str, Any], *, has_delta: bool = True) -> list[str]:
    """What the run found before sending anything: the delta, warnings and notes, the key
    check. Printed before the first POST's progress line when there is one."""
    counts = report["counts"]
    lines: list[str] = []
    command = report["command"]
    if has_delta and (command in ("plan", "sync") or report.get("plan_file")):
        lines.append(
            f"delta: {counts['added']} added, {counts['changed']} changed, "
            f"{counts['removed']} removed, {counts['skipped']} skipped"
            + (f" (site {report['site']})" if report.get("site") else "")
        )
    fix = report.get("lastmod_fix")
    if fix:
        lines.append(lastmod_fix_line(fix))
    if counts.get("unchanged_content"):
        lines.append(
            f"unchanged content: {counts['unchanged_content']} URL(s) have a new <lastmod> but "
            "the same content: not changed, not sent (listed in --json as unchanged_content)"
        )
    for warning in report["warnings"]:
        lines.append(f"warning: {warning}")
    lines.extend(skipped_lines(report["skipped"]))
    for note in report.get("notes") or ():
        lines.append(f"note: {note}")
    check = report.get("key_check")
    if check:
        state = "ok" if check["ok"] else f"FAILED: {check['problem']}"
        scope = f" (built file only: {check['fix']})" if check.get("local_only") else ""
        lines.append(f"key file {check['url']}: {state}{scope}")
    return lines


def lastmod_fix_line(fix: dict[str, Any]) -> str:
    """The one line that says what --fix-lastmod did to the build's sitemaps: the lastmods
    corrected (against what the generator wrote), then how many differ from the before
    side's (what engines will see move)."""
    if fix.get("skipped"):
        return f"true lastmods: none written: {fix['skipped']}"
    return _fix_counts(fix) + "".join(f"; {said}" for said in [differ_text(fix)] if said)


def differ_text(fix: Mapping[str, Any]) -> str | None:
    """How many true lastmods differ from the before side's (the live sitemap's, a
    baseline's): ``none differs from the live sitemap``; None when there is no before side."""
    count = fix.get("differ_from_before")
    if not isinstance(count, int):
        return None
    where = "the baseline" if fix.get("before") == "baseline" else "the live sitemap"
    if not count:
        return f"none differs from {where}"
    return f"{count} differ{'s' if count == 1 else ''} from {where}"


def _fix_counts(fix: dict[str, Any]) -> str:
    files = len(fix["files"])
    if not fix["corrected"]:
        if not files:
            return "true lastmods: every <lastmod> already says when its content changed"
        did = "rewrote" if fix["written"] else "would rewrite (dry run: nothing written)"
        return (
            f"true lastmods: none moved; {did} {files} sitemap file(s) to write them in UTC to "
            "the second"
        )
    did = "corrected" if fix["written"] else "would correct (dry run: nothing written)"
    parts = [
        f"{count} {what}"
        for count, what in (
            (fix["moved_back"], "moved back to when the content changed"),
            (fix["added"], "added where missing"),
            (fix["moved_forward"], "moved forward for an edit the generator did not date"),
        )
        if count
    ]
    return f"true lastmods: {did} {fix['corrected']} <lastmod> in {files} sitemap file(s): " + (
        ", ".join(parts)
    )


def tail_lines(
    report: dict[str, Any],
    *,
    warnings_shown: int | None = None,
    skipped_shown: int | None = None,
    delta: Delta | None = None,
) -> list[str]:
    """What was (or would be) sent. ``warnings_shown``/``skipped_shown``: the head was printed
    already, with that many warnings and skipped URLs; only those that came later (from the
    submission) are shown here. ``delta``: the run's, for each URL a dry run would send its
    lastmod (a changed one's old → new)."""
    counts = report["counts"]
    lines: list[str] = []
    command = report["command"]
    if warnings_shown is not None:
        for warning in report["warnings"][warnings_shown:]:
            lines.append(f"warning: {warning}")
    if skipped_shown is not None:
        lines.extend(skipped_lines(report["skipped"][skipped_shown:]))
    lines.extend(deferred_lines(report.get("deferred") or [], dry_run=report["dry_run"]))
    if report["dry_run"]:
        why = report.get("changed_reasons") or {}
        reasons = {
            **dict.fromkeys(report["removed"], "removed"),
            **{url: f"changed: {why.get(url, 'lastmod')}" for url in report["changed"]},
            **dict.fromkeys(report["added"], "added"),
        }
        for url in report["would_submit"]:
            why = reasons.get(url, "listed")
            note = _lastmod_note(delta, url, why.partition(":")[0])
            lines.append(f"  would submit ({why}) {url}{note}")
        if report["would_submit"]:
            lines.append(
                f"dry run: {len(report['would_submit'])} URL(s) would be submitted; "
                "nothing was sent"
            )
        elif not report["error"] and not report.get("deferred"):
            lines.append("dry run: nothing to submit; nothing was sent")
    elif command == "plan":
        why = report.get("changed_reasons") or {}
        for name in ("added", "changed", "removed"):
            shown = report[name][:URLS_SHOWN]
            for url in shown:
                # Each changed URL with its reason: content, or lastmod where not compared.
                reason = f" ({why.get(url, 'lastmod')})" if name == "changed" else ""
                lines.append(f"  {name:8} {url}{reason}")
            lines.extend(_more(len(report[name]) - len(shown), name))
    error_kind = report["error"]["kind"] if report["error"] else None
    if command in ("sync", "submit") and not report["dry_run"] and error_kind in (None, "deferred"):
        if report["submitted"]:
            lines.append(f"submitted {counts['submitted']} URL(s)")
        elif not report["failed"] and not report.get("deferred"):
            lines.append("nothing to submit")
    if report["failed"]:
        lines.extend(
            _named(
                f"NOT sent: {counts['failed']} URL(s) (the error below says why)",
                [f"  not sent {url}" for url in report["failed"][:URLS_SHOWN]],
                counts["failed"],
                "not sent",
            )
        )
    kept = any(note.startswith(KEPT_PLAN) for note in report.get("notes") or ())
    if report.get("plan_file") and command == "plan" and not kept:
        lines.append(f"plan written to {report['plan_file']}")
    return lines


def _lastmod_note(delta: Delta | None, url: str, why: str) -> str:
    """`` (lastmod OLD → NEW)`` for a changed URL, `` (lastmod NEW)`` for an added one,
    `` (lastmod SAME, not moved)`` for one its content changed and its lastmod did not."""
    if delta is None or why not in ("added", "changed"):
        return ""
    built = delta.lastmods.get(url)
    if built is None:
        return ""
    if why == "changed" and url in delta.before_lastmods:
        return f" (lastmod {delta.before_lastmods[url] or 'none'} → {built})"
    if why == "changed":  # changed by content, its lastmod as it was
        return f" (lastmod {built}, not moved)"
    return f" (lastmod {built})"

"""GitHub Actions reporting: step outputs, the job summary and annotations, from a JSON report.

Owns everything that is specific to running inside GitHub Actions, rendered from the same
report object that ``--json`` prints (SPEC "Output"): the ``*-count`` outputs, a markdown job
summary that stays under GitHub's 1 MiB per-step limit for any site size, and ``::error::`` /
``::warning::`` workflow commands escaped as the runner expects. Pure functions, plus one that
appends to the files GitHub names in ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``. Nothing here
prints; the CLI decides where the returned workflow commands go.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from indexnow_sync.errors import IndexNowSyncError

# GitHub refuses a step summary over 1 MiB; the default leaves room for anything else the
# same step appends.
SUMMARY_LIMIT_BYTES = 900_000
# The runner shows at most 10 annotations of each kind per step.
MAX_ANNOTATIONS = 10
# Per-batch rows in the summary: a million URLs is only 100 batches, but a table must stay
# readable whatever the report says.
_MAX_REQUEST_ROWS = 50
_MAX_MESSAGE_CHARS = 2_000

_COUNT_FIELDS = ("added", "changed", "removed", "submitted", "failed", "deferred")
_SUMMARY_COLUMNS = ("added", "changed", "removed", "skipped", "submitted", "failed")


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """True when the process runs as a GitHub Actions step (it has somewhere to write to)."""
    return bool(environ.get("GITHUB_OUTPUT") or environ.get("GITHUB_STEP_SUMMARY"))


def escape_data(value: str) -> str:
    """Escape a workflow command's message the way the runner unescapes it."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command property value (``title=...``): also ``:`` and ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def mask_command(secret: str) -> str:
    """The workflow command that makes the runner replace ``secret`` with ``***`` in logs."""
    return f"::add-mask::{escape_data(secret)}"


def _count(report: Mapping[str, Any], name: str) -> int:
    counts = report.get("counts")
    if isinstance(counts, Mapping) and isinstance(counts.get(name), int):
        return int(counts[name])
    values = report.get(name)
    return len(values) if isinstance(values, Sequence) and not isinstance(values, str) else 0


def outputs(report: Mapping[str, Any]) -> dict[str, str]:
    """Step outputs for a report: ``added-count`` ... ``failed-count``, ``deferred-count``,
    ``unchanged-content-count``, ``lastmods-corrected-count`` (with --fix-lastmod) and
    ``plan-file``."""
    result = {f"{name}-count": str(_count(report, name)) for name in _COUNT_FIELDS}
    result["unchanged-content-count"] = str(_count(report, "unchanged_content"))
    fix = report.get("lastmod_fix")
    corrected = fix.get("corrected") if isinstance(fix, Mapping) else 0
    result["lastmods-corrected-count"] = str(corrected if isinstance(corrected, int) else 0)
    plan_file = report.get("plan_file")
    if plan_file:
        result["plan-file"] = str(plan_file)
    return result


def _output_lines(values: Mapping[str, str]) -> str:
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            # A value with a line break needs the heredoc form; a random delimiter cannot
            # be forged by the value itself.
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    return "".join(lines)


# --- the job summary ------------------------------------------------------------------------


def _clip(text: str, limit: int = _MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _md_text(value: object) -> str:
    """Plain text made inert in markdown and HTML (report values come from sitemaps)."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\`*_[]|#~!":
        text = text.replace(char, "\\" + char)
    return text


def _md_code(value: object) -> str:
    """A code span that holds any text: URLs read best as code, and nothing in them renders."""
    text = " ".join(str(value).split())
    run = longest = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`") or not text:
        text = f" {text} "
    return f"{fence}{text}{fence}"


def _header(report: Mapping[str, Any]) -> list[str]:
    site = report.get("site") or "(no site)"
    command = report.get("command") or "sync"
    title = f"## IndexNow {_md_text(command)}: {_md_text(site)}"
    if report.get("dry_run"):
        title += " (dry run: nothing sent)"
    lines = [title, ""]

    error = report.get("error")
    if isinstance(error, Mapping):
        kind = _md_text(error.get("kind") or "error")
        # What failed on the first line; the cause and the fix each on a line of their own.
        parts = _clip(str(error.get("message") or "")).splitlines() or [""]
        message = "<br>".join(_md_text(part) for part in parts if part.strip())
        lines += [f"❌ **Failed** ({kind}): {message}", ""]
    elif _count(report, "failed"):
        lines += ["❌ **Some URLs were not submitted.**", ""]
    else:
        lines += ["✅ **OK**", ""]

    lines.append("| " + " | ".join(name.capitalize() for name in _SUMMARY_COLUMNS) + " |")
    lines.append("|" + "---:|" * len(_SUMMARY_COLUMNS))
    lines.append("| " + " | ".join(str(_count(report, n)) for n in _SUMMARY_COLUMNS) + " |")
    lines.append("")
    deferred = _count(report, "deferred")
    if deferred:
        waited = report.get("wait")
        how = ""
        if isinstance(waited, Mapping) and isinstance(waited.get("seconds"), (int, float)):
            how = f" after waiting up to {waited['seconds']:g} s"
        lines += [
            f"⏳ **{deferred} URL(s) deferred**: not live yet{how}; not sent, "
            "listed below with what was seen.",
            "",
        ]

    unchanged = _count(report, "unchanged_content")
    if unchanged:
        lines += [
            f"🔁 **{unchanged} URL(s) with a new lastmod but the same content**: not changed, "
            "not sent (listed below).",
            "",
        ]

    fix = report.get("lastmod_fix")
    if isinstance(fix, Mapping) and isinstance(fix.get("corrected"), int):
        lines += [_lastmod_fix_summary(fix), ""]

    key_check = report.get("key_check")
    if isinstance(key_check, Mapping):
        url = _md_code(key_check.get("url") or "")
        if key_check.get("ok"):
            lines.append(f"Key file {url}: ✅ matches the key.")
        else:
            problem = _md_text(_clip(str(key_check.get("problem") or "does not match")))
            lines.append(f"Key file {url}: ❌ {problem}")
            if key_check.get("fix"):
                lines.append(f"Fix: {_md_text(_clip(str(key_check['fix'])))}")
        lines.append("")

    requests = report.get("requests")
    if isinstance(requests, Sequence) and requests:
        lines += [
            "| Endpoint | Host | URLs | Status | Attempts | Outcome |",
            "|---|---|---:|---:|---:|---|",
        ]
        for record in list(requests)[:_MAX_REQUEST_ROWS]:
            if not isinstance(record, Mapping):
                continue
            outcome = _md_text(record.get("outcome") or "")
            if record.get("detail"):
                outcome += ": " + _md_text(_clip(str(record["detail"]), 300))
            status = record.get("status")
            cells = [
                _md_text(record.get("endpoint") or ""),
                _md_text(record.get("host") or ""),
                str(record.get("count", "")),
                "" if status is None else str(status),
                str(record.get("attempts", "")),
                outcome,
            ]
            lines.append("| " + " | ".join(cells) + " |")
        if len(requests) > _MAX_REQUEST_ROWS:
            lines.append(f"\n… and {len(requests) - _MAX_REQUEST_ROWS} more requests.")
        lines.append("")
    return lines


def _lastmod_fix_summary(fix: Mapping[str, Any]) -> str:
    """What --fix-lastmod did, as a line of the summary."""
    if fix.get("skipped"):
        return f"🕒 **True lastmods**: none written: {_md_text(fix['skipped'])}"
    files = fix.get("files")
    count = len(files) if isinstance(files, Sequence) else 0
    from .report import differ_text

    differ = differ_text(fix)
    if not count:
        return (
            "🕒 **True lastmods**: every &lt;lastmod&gt; already says when its content changed"
            + (f"; {differ}." if differ else ".")
        )
    verb = "corrected" if fix.get("written") else "would be corrected (dry run)"
    return (
        f"🕒 **True lastmods**: {fix['corrected']} &lt;lastmod&gt; {verb} in {count} sitemap "
        f"file(s): {fix.get('moved_back', 0)} moved back to when the content changed, "
        f"{fix.get('added', 0)} added where missing, {fix.get('moved_forward', 0)} moved "
        "forward for an edit the generator did not date" + (f"; {differ}." if differ else ".")
    )


def _section_lines(name: str, values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if name == "warnings":
            yield f"- {_md_text(_clip(str(value)))}\n"
        elif name == "changed" and isinstance(value, tuple):  # (URL, why it changed)
            yield f"- {_md_code(value[0])} ({_md_text(value[1])})\n"
        elif name == "deferred" and isinstance(value, Mapping):
            url = _md_code(value.get("url", ""))
            yield f"| {url} | {_md_text(_clip(str(value.get('reason', '')), 300))} |\n"
        elif isinstance(value, Mapping):  # a skipped entry: a row of the table by code
            code = _md_text(value.get("code", ""))
            url = _md_code(value.get("url", ""))
            yield f"| {code} | {url} | {_md_text(_clip(str(value.get('reason', '')), 300))} |\n"
        else:
            yield f"- {_md_code(value)}\n"


def _size_upto(lines: Iterable[str], cap: int) -> int:
    """Bytes of ``lines`` joined, counting no further than ``cap`` (a million URLs stay cheap)."""
    total = 0
    for line in lines:
        total += len(line.encode("utf-8"))
        if total > cap:
            break
    return total


def _sections(report: Mapping[str, Any]) -> list[tuple[str, str, Sequence[Any]]]:
    sections = []
    for name, title in (
        ("failed", "Failed (not submitted)"),
        ("submitted", "Submitted"),
        ("would_submit", "Would submit (dry run)"),
        ("added", "Added"),
        ("changed", "Changed"),
        ("removed", "Removed"),
        ("unchanged_content", "Unchanged content (a new lastmod only: not sent)"),
        ("skipped", "Skipped"),
        ("deferred", "Deferred (not live yet, not sent)"),
        ("build_checks", "Build check: problems in the build (not skipped)"),
        ("warnings", "Warnings"),
    ):
        values = report.get(name)
        reasons = report.get("changed_reasons")
        if name == "changed" and isinstance(values, Sequence) and isinstance(reasons, Mapping):
            values = [(url, str(reasons.get(url, "lastmod"))) for url in values]
        if isinstance(values, Sequence) and not isinstance(values, str) and values:
            if name in _TABLES:  # grouped by code, the order within a code kept
                values = sorted(values, key=_code_of)
            sections.append((name, title, values))
    return sections


def _code_of(value: Any) -> str:
    return str(value.get("code", "")) if isinstance(value, Mapping) else ""


# Sections of {url, code, reason} entries, shown as a table grouped by code.
_TABLES = ("skipped", "build_checks")
_TABLE_HEAD = "| Code | URL | Reason |\n|---|---|---|\n"


def _render_section(name: str, title: str, values: Sequence[Any], allowance: int) -> str:
    opening = f"<details><summary>{title} ({len(values)})</summary>\n\n"
    if name in _TABLES:
        opening += _TABLE_HEAD
    elif name == "deferred":
        opening += "| URL | What was seen |\n|---|---|\n"
    closing = "\n</details>\n\n"
    lines = _section_lines(name, values)
    more_room = 80  # for the "… and N more" line
    budget = allowance - len(opening) - len(closing) - more_room
    parts = [opening]
    shown = used = 0
    for line in lines:
        size = len(line.encode("utf-8"))
        if used + size > budget:
            break
        parts.append(line)
        used += size
        shown += 1
    if shown < len(values):
        parts.append(f"\n… and {len(values) - shown} more (all of them are in the JSON report).\n")
    parts.append(closing)
    return "".join(parts)


def render_summary(report: Mapping[str, Any], *, limit_bytes: int = SUMMARY_LIMIT_BYTES) -> str:
    """The job summary: a counts table, key check, per-request status, then each URL list in a
    collapsible section. The result never exceeds ``limit_bytes`` (UTF-8): when the lists do
    not fit, each keeps a fair share of the room and says how many it left out."""
    head = "\n".join(_header(report)) + "\n"
    budget = limit_bytes - len(head.encode("utf-8"))
    sections = _sections(report)

    # Share the room fairly: small sections get all they need, the rest split what is left.
    allowances: dict[int, int] = {}
    minimum = 200  # enough for a section's frame and its "… and N more" line
    pending = sorted(
        range(len(sections)),
        key=lambda i: _size_upto(_section_lines(sections[i][0], sections[i][2]), budget),
    )
    remaining = max(budget, 0)
    while pending:
        share = remaining // len(pending)
        index = pending.pop(0)
        name, _, values = sections[index]
        need = _size_upto(_section_lines(name, values), share) + minimum
        allowances[index] = min(need, max(share, minimum))
        remaining -= allowances[index]

    body = "".join(
        _render_section(name, title, values, allowances[i])
        for i, (name, title, values) in enumerate(sections)
    )
    summary = head + body
    encoded = summary.encode("utf-8")
    if len(encoded) > limit_bytes:
        # Only reachable with a tiny limit: better a cut summary than a failed step.
        summary = encoded[:limit_bytes].decode("utf-8", errors="ignore")
    return summary


# --- annotations ----------------------------------------------------------------------------


def _limited(kind: str, messages: list[tuple[str, str]], max_each: int) -> list[str]:
    """At most ``max_each`` commands of one kind; the last says how many more there were."""
    if max_each <= 0:
        return []
    if len(messages) > max_each:
        hidden = len(messages) - (max_each - 1)
        rest = f"… and {hidden} more {kind}s: see the job summary or the JSON report."
        messages = [*messages[: max_each - 1], ("indexnow-sync", rest)]
    return [
        f"::{kind} title={escape_property(title)}::{escape_data(_clip(message))}"
        for title, message in messages
    ]


# Not named ``annotations``: ``from __future__ import annotations`` binds that name in every
# module, and mypy would type the function as the __future__ feature.
def annotation_commands(report: Mapping[str, Any], *, max_each: int = MAX_ANNOTATIONS) -> list[str]:
    """``::error``, ``::warning`` and ``::notice`` workflow commands for a report, at most
    ``max_each`` of each kind (GitHub shows no more than 10 per step); the rest are counted
    in a last one."""
    errors: list[tuple[str, str]] = []
    error = report.get("error")
    error_kind = ""
    if isinstance(error, Mapping):
        error_kind = str(error.get("kind") or "error")
        errors.append((f"indexnow-sync: {error_kind}", str(error.get("message") or "")))

    key_check = report.get("key_check")
    if isinstance(key_check, Mapping) and not key_check.get("ok") and error_kind != "key_check":
        message = f"{key_check.get('url') or 'key file'}: {key_check.get('problem') or ''}"
        if key_check.get("fix"):
            message += f"\nFix: {key_check['fix']}"
        errors.append(("indexnow-sync: key file", message))

    requests = report.get("requests")
    if isinstance(requests, Sequence):
        for record in requests:
            if isinstance(record, Mapping) and record.get("outcome") in ("refused", "exhausted"):
                status = record.get("status")
                errors.append(
                    (
                        f"indexnow-sync: {record.get('outcome')}",
                        f"{record.get('endpoint')} ({record.get('host')}): "
                        f"{'no answer' if status is None else f'HTTP {status}'} for "
                        f"{_counted(record.get('count'), 'URL')} after "
                        f"{_counted(record.get('attempts'), 'attempt')}. "
                        f"{record.get('detail') or ''}".strip(),
                    )
                )

    failed = _count(report, "failed")
    if failed and not error_kind:
        were = "was" if failed == 1 else "were"
        errors.append(("indexnow-sync: failed", f"{_counted(failed, 'URL')} {were} not submitted."))

    def listed(name: str) -> list[tuple[str, str]]:
        values = report.get(name)
        if isinstance(values, Sequence) and not isinstance(values, str):
            return [("indexnow-sync", str(value)) for value in values]
        return []

    # Notes (already accepted, a kept plan) are notices: they never ask for action.
    return (
        _limited("error", errors, max_each)
        + _limited("warning", listed("warnings"), max_each)
        + _limited("notice", listed("notes"), max_each)
    )


# --- writing --------------------------------------------------------------------------------


def _append(path: str, text: str) -> None:
    try:
        with Path(path).open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise IndexNowSyncError(
            f"cannot write the GitHub Actions file {path}: {exc.strerror or exc}"
        ) from exc


def write_github_files(
    report: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    redact: Callable[[str], str] = str,
) -> list[str]:
    """Append the step outputs to ``$GITHUB_OUTPUT`` and the summary to
    ``$GITHUB_STEP_SUMMARY`` (each only when set); return the annotation commands for the
    caller to print (on stderr when ``--json`` owns stdout). ``redact`` filters every text
    written (the CLI's key scrubber)."""
    output_path = environ.get("GITHUB_OUTPUT")
    if output_path:
        _append(output_path, redact(_output_lines(outputs(report))))
    summary_path = environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        _append(summary_path, redact(render_summary(report)))
    return annotation_commands(report)


def _counted(count: object, noun: str) -> str:
    """``1 URL``, ``2 URLs`` (a count from a report: anything else is shown as it is)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"

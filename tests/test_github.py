"""GitHub Actions reporting: outputs, job summary size and content, annotation escaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from indexnow_sync import github
from indexnow_sync.errors import IndexNowSyncError

KEY_URL = "https://example.com/3f9a…4c8d.txt"


def make_report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "version": 1,
        "command": "sync",
        "site": "https://example.com",
        "dry_run": False,
        "added": ["https://example.com/new"],
        "changed": ["https://example.com/old"],
        "removed": [],
        "skipped": [
            {
                "url": "https://other.example/x",
                "code": "off_host",
                "reason": "not on the site's host",
            }
        ],
        "submitted": ["https://example.com/new", "https://example.com/old"],
        "failed": [],
        "key_check": {"ok": True, "url": KEY_URL, "problem": None, "fix": None},
        "requests": [
            {
                "endpoint": "https://api.indexnow.org/indexnow",
                "host": "example.com",
                "status": 200,
                "count": 2,
                "attempts": 1,
                "outcome": "accepted",
                "detail": "",
            }
        ],
        "warnings": [],
        "notes": [],
        "plan_file": None,
        "error": None,
    }
    report.update(changes)
    report["counts"] = {
        name: len(report[name])
        for name in ("added", "changed", "removed", "skipped", "submitted", "failed")
    }
    return report


def unescape_data(value: str) -> str:
    """What the runner does to a command's message."""
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(value: str) -> str:
    return unescape_data(value.replace("%3A", ":").replace("%2C", ","))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Split ``::kind k=v,k=v::message`` as the runner does."""
    assert line.startswith("::")
    head, _, message = line[2:].partition("::")
    kind, _, props = head.partition(" ")
    properties = {}
    for item in filter(None, props.split(",")):
        name, _, value = item.partition("=")
        properties[name] = unescape_property(value)
    return kind, properties, unescape_data(message)


# --- outputs --------------------------------------------------------------------------------


def test_outputs_are_the_counts_and_the_plan_file() -> None:
    report = make_report(plan_file="/tmp/plan.json", failed=["https://example.com/f"])
    assert github.outputs(report) == {
        "added-count": "1",
        "changed-count": "1",
        "removed-count": "0",
        "submitted-count": "2",
        "failed-count": "1",
        "deferred-count": "0",
        "unchanged-content-count": "0",
        "lastmods-corrected-count": "0",
        "plan-file": "/tmp/plan.json",
    }
    assert "plan-file" not in github.outputs(make_report())


def test_in_github_actions_needs_a_file_to_write_to() -> None:
    assert github.in_github_actions({"GITHUB_OUTPUT": "/tmp/out"})
    assert github.in_github_actions({"GITHUB_STEP_SUMMARY": "/tmp/sum"})
    assert not github.in_github_actions({"GITHUB_ACTIONS": "true"})
    assert not github.in_github_actions({"GITHUB_OUTPUT": ""})


def test_mask_command_masks_the_exact_key() -> None:
    assert github.mask_command("abcd1234-XYZ") == "::add-mask::abcd1234-XYZ"
    kind, _, message = parse_command(github.mask_command("50%\nkey"))
    assert (kind, message) == ("add-mask", "50%\nkey")


def read_output_file(text: str) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file the way the runner does (both forms)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def test_write_github_files_appends_outputs_and_summary(tmp_path: Path) -> None:
    output = tmp_path / "output"
    summary = tmp_path / "summary"
    output.write_text("earlier=kept\n")
    summary.write_text("# Earlier step\n")
    report = make_report(plan_file="/tmp/a\nplan=injected")
    commands = github.write_github_files(
        report, {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    )
    values = read_output_file(output.read_text())
    assert values["earlier"] == "kept"
    assert values["added-count"] == "1"
    assert values["submitted-count"] == "2"
    # A line break in a value must not let it set another output.
    assert values["plan-file"] == "/tmp/a\nplan=injected"
    assert "plan" not in values
    text = summary.read_text()
    assert text.startswith("# Earlier step\n")
    assert "| 1 | 1 | 0 | 1 | 2 | 0 |" in text
    assert commands == github.annotation_commands(report)


def test_write_github_files_without_files_writes_nothing(tmp_path: Path) -> None:
    assert github.write_github_files(make_report(), {}) == []
    assert list(tmp_path.iterdir()) == []


def test_write_github_files_says_which_file_it_cannot_write(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "output"
    with pytest.raises(IndexNowSyncError, match="no-such-dir"):
        github.write_github_files(make_report(), {"GITHUB_OUTPUT": str(missing)})


# --- summary --------------------------------------------------------------------------------


def test_summary_shows_counts_key_check_requests_and_lists() -> None:
    text = github.render_summary(make_report())
    assert "| Added | Changed | Removed | Skipped | Submitted | Failed |" in text
    assert "| 1 | 1 | 0 | 1 | 2 | 0 |" in text
    assert "✅" in text
    assert KEY_URL in text
    assert "| https://api.indexnow.org/indexnow | example.com | 2 | 200 | 1 | accepted |" in text
    assert "<details><summary>Added (1)</summary>" in text
    assert "- `https://example.com/new`" in text
    assert "<details><summary>Skipped (1)</summary>" in text
    assert "not on the site's host" in text
    assert "Removed (" not in text  # empty lists get no section


def test_summary_of_a_failed_run_says_why() -> None:
    report = make_report(
        submitted=[],
        key_check={
            "ok": False,
            "url": KEY_URL,
            "problem": "the file ends with a newline",
            "fix": "printf '%s' \"$KEY\" > public/KEY.txt",
        },
        error={"kind": "key_check", "message": "the key file does not match the key"},
    )
    text = github.render_summary(report)
    assert "❌ **Failed** (key\\_check): the key file does not match the key" in text
    assert "the file ends with a newline" in text
    assert "Fix: printf" in text
    assert "✅ **OK**" not in text


def test_summary_marks_a_dry_run_and_lists_what_it_would_send() -> None:
    text = github.render_summary(
        make_report(dry_run=True, submitted=[], would_submit=["https://example.com/new"])
    )
    assert "dry run" in text
    assert "<details><summary>Would submit (dry run) (1)</summary>" in text
    assert "dry run" not in github.render_summary(make_report())


def test_summary_keeps_sitemap_text_inert() -> None:
    report = make_report(
        added=["https://example.com/<script>alert(1)</script>", "https://example.com/a`b"],
        warnings=["<img src=x onerror=alert(1)> | broken table"],
    )
    text = github.render_summary(report)
    assert "<script>" not in text.replace("`https://example.com/<script>alert(1)</script>`", "")
    assert "- `https://example.com/<script>alert(1)</script>`" in text
    assert "- ``https://example.com/a`b``" in text
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt; \\| broken table" in text


def test_summary_of_a_million_urls_stays_under_one_mib() -> None:
    urls = [f"https://example.com/blog/post-number-{i:07d}/" for i in range(1_000_000)]
    report = make_report(added=urls, changed=urls[:500_000], submitted=urls, warnings=["w"] * 10)
    text = github.render_summary(report)
    size = len(text.encode("utf-8"))
    assert size <= github.SUMMARY_LIMIT_BYTES < 1024 * 1024
    # The room is used, not wasted, and every list says what it left out.
    assert size > github.SUMMARY_LIMIT_BYTES * 0.9
    assert "| 1000000 | 500000 | 0 | 1 | 1000000 | 0 |" in text
    assert text.count("more (all of them are in the JSON report)") == 3
    assert text.count("</details>") == text.count("<details>") == 5
    # Small lists are shown whole even when large ones crowd the summary.
    assert "| off\\_host | `https://other.example/x` | not on the site's host |" in text
    assert text.split("<summary>Warnings (10)</summary>")[1].count("- w\n") == 10


@pytest.mark.parametrize("limit", [5_000, 20_000, 100_000])
def test_summary_respects_any_limit(limit: int) -> None:
    urls = [f"https://example.com/é/{i}" for i in range(20_000)]
    text = github.render_summary(make_report(added=urls, removed=urls), limit_bytes=limit)
    assert len(text.encode("utf-8")) <= limit
    assert text.count("<details>") == text.count("</details>")
    assert "| 20000 | 1 | 20000 |" in text


def test_summary_shares_room_between_lists() -> None:
    many = [f"https://example.com/a/{i}" for i in range(50_000)]
    text = github.render_summary(make_report(added=many, removed=many), limit_bytes=100_000)
    added = text.split("<summary>Added")[1].split("</details>")[0]
    removed = text.split("<summary>Removed")[1].split("</details>")[0]
    assert abs(added.count("\n- ") - removed.count("\n- ")) < 50
    assert added.count("\n- ") > 500


# --- annotations ----------------------------------------------------------------------------


def test_annotations_for_an_error_are_escaped_as_the_runner_reads_them() -> None:
    message = "100% broken\nsecond line\r, with: colons"
    report = make_report(error={"kind": "live_sitemap", "message": message}, submitted=[])
    commands = github.annotation_commands(report)
    assert len(commands) == 1
    line = commands[0]
    assert "\n" not in line and "\r" not in line
    kind, properties, text = parse_command(line)
    assert kind == "error"
    assert properties == {"title": "indexnow-sync: live_sitemap"}
    assert text == message


def test_annotation_title_escapes_colon_and_comma() -> None:
    assert github.escape_property("a: b, c%") == "a%3A b%2C c%25"
    record = {
        "endpoint": "https://api.indexnow.org/indexnow",
        "host": "example.com",
        "status": 403,
        "count": 2,
        "attempts": 1,
        "outcome": "refused",
        "detail": "key not valid",
    }
    commands = github.annotation_commands(make_report(requests=[record], submitted=[]))
    kind, properties, text = parse_command(commands[0])
    assert kind == "error"
    assert properties["title"] == "indexnow-sync: refused"
    assert "HTTP 403 for 2 URLs" in text and "key not valid" in text
    record = {**record, "count": 1}  # a review finding: "for 1 URLs after 1 attempts"
    commands = github.annotation_commands(make_report(requests=[record], submitted=[]))
    assert "HTTP 403 for 1 URL after 1 attempt. key not valid" in parse_command(commands[0])[2]


def test_a_failed_key_check_is_an_error_annotation_with_the_fix() -> None:
    key_check = {"ok": False, "url": KEY_URL, "problem": "trailing newline", "fix": "use printf"}
    commands = github.annotation_commands(make_report(key_check=key_check, submitted=[]))
    assert len(commands) == 1
    kind, _, text = parse_command(commands[0])
    assert kind == "error"
    assert text == f"{KEY_URL}: trailing newline\nFix: use printf"


def test_a_passed_run_has_no_error_annotation() -> None:
    assert github.annotation_commands(make_report()) == []


def test_at_most_ten_of_each_kind_and_the_rest_summarised() -> None:
    warnings = [f"warning {i}" for i in range(25)]
    records = [
        {"endpoint": "e", "host": "h", "status": 429, "count": 1, "attempts": 5}
        | {"outcome": "exhausted", "detail": ""}
        for _ in range(12)
    ]
    report = make_report(
        warnings=warnings,
        requests=records,
        error={"kind": "submission", "message": "retries exhausted"},
    )
    commands = [parse_command(line) for line in github.annotation_commands(report)]
    errors = [text for kind, _, text in commands if kind == "error"]
    shown = [text for kind, _, text in commands if kind == "warning"]
    assert len(errors) == 10 and len(shown) == 10
    assert shown[:9] == warnings[:9]
    assert "16 more warnings" in shown[9]
    assert errors[0] == "retries exhausted"
    assert "4 more errors" in errors[9]


def test_exactly_ten_warnings_need_no_summary() -> None:
    warnings = [f"warning {i}" for i in range(10)]
    commands = github.annotation_commands(make_report(warnings=warnings))
    assert [parse_command(c)[2] for c in commands] == warnings


def test_notes_become_notices_never_warnings() -> None:
    note = "2 URL(s) of this plan were already accepted earlier; not sent again"
    commands = github.annotation_commands(make_report(notes=[note], warnings=[]))
    kinds = [parse_command(line)[0] for line in commands]
    assert kinds == ["notice"]
    assert parse_command(commands[0])[2] == note

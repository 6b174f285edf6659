"""plan.py: the plan file round trip, atomic writes, format version, and the progress journal
that lets a re-run after a crash send only what is left."""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexnow_sync.errors import PlanFileError
from indexnow_sync.models import Delta, Skipped
from indexnow_sync.plan import (
    Plan,
    ProgressRecorder,
    atomic_write,
    new_plan,
    read_plan,
    write_plan,
)

S = "https://site.example"


def make_plan() -> Plan:
    delta = Delta(
        added=(f"{S}/new", f"{S}/блог/"),
        changed=(f"{S}/edited",),
        removed=(f"{S}/gone",),
        skipped=(Skipped("/relative", "relative URL"), Skipped(f"{S}:8443/ü", "other host")),
        warnings=("1 URL(s) skipped and never sent", "2 <lastmod> value(s): 'gestern'…"),
        before_count=3,
        after_count=4,
    )
    return new_plan(delta, S, {"source": "live", "count": 3}, {"source": "dist", "count": 4})


def test_round_trip_keeps_the_delta(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = make_plan()
    write_plan(path, plan)
    back = read_plan(path)
    assert back.delta == plan.delta
    assert back.site == S
    assert back.before == plan.before and back.after == plan.after
    assert back.created == plan.created
    assert back.accepted == frozenset()
    raw = json.loads(path.read_text("utf-8"))
    assert raw["format"] == "indexnow-sync-plan"
    assert raw["version"] == 3
    assert raw["counts"] == {
        "added": 2,
        "changed": 1,
        "removed": 1,
        "skipped": 2,
        "unchanged_content": 0,
        "accepted": 0,
        "deferred": 0,
    }
    assert raw["skipped"][0] == {"url": "/relative", "reason": "relative URL", "code": "invalid"}
    assert raw["tool"].startswith("indexnow-sync ")
    text = path.read_text("utf-8")
    for readable in (f"{S}/блог/", f"{S}:8443/ü", "'gestern'…"):  # not \u-escaped
        assert readable in text


def test_created_is_the_utc_time_of_planning() -> None:
    from datetime import datetime, timezone

    before = datetime.now(timezone.utc).replace(microsecond=0)
    created = make_plan().created
    after = datetime.now(timezone.utc)
    assert len(created) == len("2024-05-01T10:20:30Z") and created.endswith("Z")
    moment = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before <= moment <= after


def test_optional_fields_may_be_absent(tmp_path: Path) -> None:
    # The fields a hand-written or older plan may leave out: warnings, accepted, created,
    # site, and the counts of the sides.
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps(
            {
                "format": "indexnow-sync-plan",
                "version": 1,
                "before": {},
                "after": {},
                "added": [f"{S}/a"],
                "changed": [],
                "removed": [f"{S}/r"],
                "skipped": [],
            }
        ),
        "utf-8",
    )
    plan = read_plan(path)
    assert plan.delta == Delta(added=(f"{S}/a",), changed=(), removed=(f"{S}/r",))
    assert (plan.site, plan.created, plan.accepted) == (None, "", frozenset())
    assert plan.pending(include_removed=True) == [f"{S}/a", f"{S}/r"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("site", 42),
        ("skipped", [{"url": "/x"}]),
        ("before", []),
        ("accepted", "https://site.example/new"),
        ("warnings", [1]),
    ],
)
def test_a_field_of_the_wrong_shape_is_a_plan_file_error(
    tmp_path: Path, field: str, value: object
) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    raw = json.loads(path.read_text("utf-8"))
    raw[field] = value
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(PlanFileError, match="missing or has a wrong field") as caught:
        read_plan(path)
    if field == "site":
        assert "wrong field (site)" in str(caught.value)


def test_accepted_urls_are_written_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = make_plan()
    done = Plan(
        plan.delta, plan.site, plan.before, plan.after, plan.created, frozenset([f"{S}/new"])
    )
    write_plan(path, done)
    raw = json.loads(path.read_text("utf-8"))
    assert raw["accepted"] == [f"{S}/new"]
    assert raw["counts"]["accepted"] == 1
    assert read_plan(path).accepted == {f"{S}/new"}
    assert read_plan(path).pending(include_removed=False) == [f"{S}/блог/", f"{S}/edited"]


def test_pending_lists_the_delta_once_and_removed_only_when_asked(tmp_path: Path) -> None:
    plan = make_plan()
    assert plan.pending(include_removed=False) == [f"{S}/new", f"{S}/блог/", f"{S}/edited"]
    assert plan.pending(include_removed=True)[-1] == f"{S}/gone"


def test_a_failing_write_leaves_the_old_plan_intact(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    before = path.read_bytes()

    def disk_full() -> Iterator[str]:
        yield '{"format": "indexnow-sync-plan",\n'
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(PlanFileError) as caught:
        atomic_write(path, disk_full())
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # no temp file left


def test_the_new_plan_is_written_beside_the_old_one_then_renamed(tmp_path: Path) -> None:
    # Same folder (a rename across file systems is not atomic), a hidden temporary name.
    path = tmp_path / "plan.json"
    seen: list[str] = []

    def chunks() -> Iterator[str]:
        yield "{}"
        seen.extend(p.name for p in tmp_path.iterdir())

    atomic_write(path, chunks())
    (temporary,) = seen
    assert temporary.startswith(".plan.json.") and temporary.endswith(".tmp")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    assert path.read_text("utf-8") == "{}"


def test_a_plan_that_cannot_be_written_is_a_plan_file_error(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError) as caught:
        write_plan(tmp_path / "no-such-folder" / "plan.json", make_plan())
    assert "no-such-folder" in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_plan_says_to_run_plan_first(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="indexnow-sync plan"):
        read_plan(tmp_path / "plan.json")


def test_other_version_is_refused_with_both_versions_named(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    raw = json.loads(path.read_text("utf-8"))
    raw["version"] = 4
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(PlanFileError) as caught:
        read_plan(path)
    assert "version 4" in str(caught.value)
    assert "versions 1 to 3" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "something-else", "version": 1}', "not an indexnow-sync plan"),
        ("[1, 2]", "not an indexnow-sync plan"),
        ('{"format": "indexnow-sync-plan", "version": 1, "added": []}', "missing or has a wrong"),
    ],
)
def test_broken_plan_files_are_plan_file_errors(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content, "utf-8")
    with pytest.raises(PlanFileError, match=says):
        read_plan(path)


def test_unreadable_plan_and_journal_are_plan_file_errors_naming_them(tmp_path: Path) -> None:
    folder = tmp_path / "plan.json"
    folder.mkdir()  # a folder where the plan should be
    with pytest.raises(PlanFileError) as caught:
        read_plan(folder)
    assert str(caught.value) == f"--plan {folder}: cannot be read (Is a directory)"
    path = tmp_path / "other.json"
    write_plan(path, make_plan())
    journal = tmp_path / "other.json.progress"
    journal.mkdir()
    with pytest.raises(PlanFileError) as caught:
        read_plan(path)
    assert str(caught.value) == f"{journal}: cannot be read (Is a directory)"


def test_a_journal_that_cannot_be_opened_is_a_plan_file_error(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    plan = read_plan(path)
    journal = tmp_path / "plan.json.progress"
    journal.mkdir()
    with pytest.raises(PlanFileError) as caught:
        ProgressRecorder(path, plan)
    assert str(caught.value).startswith(f"{journal}: cannot ")


def test_wrong_field_type_is_a_plan_file_error(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    raw = json.loads(path.read_text("utf-8"))
    raw["added"] = "https://site.example/new"
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(PlanFileError, match=r"wrong field \(expected a list of URLs\)"):
        read_plan(path)


def test_build_checks_and_deferred_urls_survive_the_round_trip_readable(tmp_path: Path) -> None:
    # What the build check found at plan time is reported again by 'submit --plan'; what a
    # run deferred is told again with why. Both stay readable in the file (not \u-escaped).
    from dataclasses import replace

    from indexnow_sync.models import Deferred

    path = tmp_path / "plan.json"
    plan = replace(
        make_plan(),
        build_checks=(Skipped(f"{S}/блог/", "noindex in <meta name=robots> (блог)", "noindex"),),
        deferred=(Deferred(f"{S}/new", "answered 404 (страница)"),),
    )
    write_plan(path, plan)
    back = read_plan(path)
    assert back.build_checks == plan.build_checks
    assert back.deferred == plan.deferred
    text = path.read_text("utf-8")
    assert "noindex in <meta name=robots> (блог)" in text
    assert "answered 404 (страница)" in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("skipped", "not a list"),
        ("build_checks", {"url": "x"}),
        ("deferred", "not a list"),
        ("lastmods", {"https://site.example/new": 5}),
        ("lastmods", {"https://site.example/new": None}),
    ],
)
def test_a_wrong_field_is_named(tmp_path: Path, field: str, value: object) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    raw = json.loads(path.read_text("utf-8"))
    raw[field] = value
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(PlanFileError) as caught:
        read_plan(path)
    assert field in caught.value.message
    assert caught.value.message.startswith(f"--plan {path}: ")


# --- progress ---------------------------------------------------------------------------------


def test_recorded_batches_survive_a_crash_before_close(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    recorder = ProgressRecorder(path, read_plan(path))
    recorder.record([f"{S}/new"])
    recorder.record([f"{S}/edited"])
    # simulated crash: no close(); the next run reads the plan back
    back = read_plan(path)
    assert back.accepted == {f"{S}/new", f"{S}/edited"}
    assert back.pending(include_removed=False) == [f"{S}/блог/"]


def test_close_folds_the_journal_into_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    recorder = ProgressRecorder(path, read_plan(path))
    recorder.record([f"{S}/new", f"{S}/блог/"])
    closed = recorder.close()
    assert closed.accepted == {f"{S}/new", f"{S}/блог/"}
    assert read_plan(path).created == closed.created == read_plan(path).created != ""
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # journal gone
    raw = json.loads(path.read_text("utf-8"))
    assert sorted(raw["accepted"]) == sorted([f"{S}/new", f"{S}/блог/"])
    assert read_plan(path).pending(include_removed=False) == [f"{S}/edited"]


def test_a_finished_plan_has_nothing_pending(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    recorder = ProgressRecorder(path, read_plan(path))
    recorder.record(read_plan(path).pending(include_removed=True))
    recorder.close()
    assert read_plan(path).pending(include_removed=True) == []


def test_a_second_run_adds_to_what_the_first_accepted(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    first = ProgressRecorder(path, read_plan(path))
    first.record([f"{S}/new"])
    first.close()
    second = ProgressRecorder(path, read_plan(path))
    second.record([f"{S}/edited"])
    assert second.close().accepted == {f"{S}/new", f"{S}/edited"}
    assert read_plan(path).accepted == {f"{S}/new", f"{S}/edited"}


def test_a_torn_last_journal_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    recorder = ProgressRecorder(path, read_plan(path))
    recorder.record([f"{S}/new"])
    journal = tmp_path / "plan.json.progress"
    with journal.open("a", encoding="utf-8") as handle:
        handle.write('{"accepted": ["https://site.example/edi')  # the crash cut this write
    back = read_plan(path)
    assert back.accepted == {f"{S}/new"}
    assert f"{S}/edited" in back.pending(include_removed=False)


def test_a_torn_line_in_the_middle_does_not_hide_later_batches(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    (tmp_path / "plan.json.progress").write_text(
        '{"accepted": ["https://site.example/new"]}\n'
        '{"accepted": ["https://site.example/edi\n'  # torn, then a later run went on
        '{"accepted": "not a list"}\n'
        "[1, 2]\n"
        '{"accepted": ["https://site.example/edited"]}\n',
        "utf-8",
    )
    assert read_plan(path).accepted == {f"{S}/new", f"{S}/edited"}


def test_a_batch_recorded_after_a_torn_last_line_is_not_lost(tmp_path: Path) -> None:
    # Run 1 is killed while writing its second batch: the journal ends without a newline.
    # Run 2 records a batch and is killed too: its batch must still count as accepted.
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    first = ProgressRecorder(path, read_plan(path))
    first.record([f"{S}/new"])
    journal = tmp_path / "plan.json.progress"
    with journal.open("a", encoding="utf-8") as handle:
        handle.write('{"accepted": ["https://site.example/блог')  # cut mid-write
    second = ProgressRecorder(path, read_plan(path))
    second.record([f"{S}/edited"])
    assert read_plan(path).accepted == {f"{S}/new", f"{S}/edited"}
    assert second.close().accepted == {f"{S}/new", f"{S}/edited"}
    assert read_plan(path).pending(include_removed=False) == [f"{S}/блог/"]


def test_the_journal_holds_one_line_per_batch_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    ProgressRecorder(path, read_plan(path)).record([f"{S}/new"])
    ProgressRecorder(path, read_plan(path)).record([f"{S}/edited", f"{S}/блог/"])
    lines = (tmp_path / "plan.json.progress").read_text("utf-8").split("\n")
    assert [json.loads(line) for line in lines[:-1]] == [
        {"accepted": [f"{S}/new"]},
        {"accepted": [f"{S}/edited", f"{S}/блог/"]},
    ]
    assert lines[-1] == ""


def test_an_empty_journal_left_by_a_killed_run_is_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    (tmp_path / "plan.json.progress").write_bytes(b"")
    recorder = ProgressRecorder(path, read_plan(path))
    recorder.record([f"{S}/new"])
    assert (tmp_path / "plan.json.progress").read_text("utf-8") == (
        '{"accepted": ["https://site.example/new"]}\n'
    )
    assert recorder.close().accepted == {f"{S}/new"}


def test_a_journal_cut_inside_a_character_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    ProgressRecorder(path, read_plan(path)).record([f"{S}/new"])
    line = json.dumps({"accepted": [f"{S}/блог/"]}, ensure_ascii=False).encode()
    cut = line[: line.index("л".encode()) + 1]  # half of a two-byte character
    with (tmp_path / "plan.json.progress").open("ab") as handle:
        handle.write(cut)
    assert read_plan(path).accepted == {f"{S}/new"}


def test_closing_without_any_batch_leaves_no_journal(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    written = path.read_bytes()
    ProgressRecorder(path, read_plan(path)).close()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    assert path.read_bytes() == written


def test_rewriting_a_plan_discards_an_old_journal(tmp_path: Path) -> None:
    # a new 'plan' run must not inherit the progress of the previous plan
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    ProgressRecorder(path, read_plan(path)).record([f"{S}/new"])
    write_plan(path, make_plan())
    assert read_plan(path).accepted == frozenset()


def test_long_url_lists_are_encoded_in_pieces_that_join_to_the_same_json() -> None:
    # Plans and reports of a million URLs are written 10,000 URLs at a time; the pieces
    # must join to exactly what json.dumps would write, including non-ASCII URLs.
    import json

    from indexnow_sync.plan import json_pieces

    urls = [f'https://example.com/страница-{n}?q="{n}"' for n in range(25_001)]
    pieces = list(json_pieces(urls))
    assert len(pieces) > 3
    assert json.loads("".join(pieces)) == urls
    assert "".join(pieces) == json.dumps(urls, ensure_ascii=False)


# --- format version 2: the build's lastmods, the last run's deferred URLs --------------------


def test_version_2_round_trip_keeps_the_builds_lastmods_and_the_deferred_urls(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from indexnow_sync.models import Deferred

    path = tmp_path / "plan.json"
    plan = replace(make_plan(), version=2)  # as read from a plan an older version wrote
    lastmods = {f"{S}/new": "2024-06-01", f"{S}/блог/": "2024-06-02T10:00:00+02:00"}
    plan = replace(plan, delta=replace(plan.delta, lastmods=lastmods))
    write_plan(path, plan)
    raw = json.loads(path.read_text("utf-8"))
    assert raw["version"] == 2
    assert "fingerprints" not in raw and "reasons" not in raw
    assert raw["lastmods"] == lastmods
    assert raw["deferred"] == [] and raw["counts"]["deferred"] == 0
    back = read_plan(path)
    assert back.delta == plan.delta and dict(back.delta.lastmods) == lastmods
    assert back.lastmods_known

    recorder = ProgressRecorder(path, back)
    recorder.record([f"{S}/new"])
    seen = (Deferred(f"{S}/edited", "answered 404"),)
    closed = recorder.close(deferred=seen)
    assert closed.deferred == seen
    again = read_plan(path)
    assert again.deferred == seen and dict(again.delta.lastmods) == lastmods
    assert f"{S}/edited" in again.pending(include_removed=False)  # deferred stays pending
    assert json.loads(path.read_text("utf-8"))["deferred"] == [
        {"url": f"{S}/edited", "reason": "answered 404"}
    ]
    # Recording progress keeps it at version 2: it still knows no fingerprints.
    assert json.loads(path.read_text("utf-8"))["version"] == 2
    assert again.version == 2 and again.delta.fingerprints is None


# --- format version 3: why each URL is changed, the content fingerprints ---------------------


def test_version_3_keeps_reasons_unchanged_content_and_fingerprints(tmp_path: Path) -> None:
    from dataclasses import replace

    from indexnow_sync.models import Fingerprints

    path = tmp_path / "plan.json"
    fingerprints = Fingerprints(
        build={f"{S}/new": "h1:NEW", f"{S}/edited": "h1.Ab3d:EDITED.rs"},
        before={f"{S}/edited": "h1.Ab3d:OLD"},
        ignore=(".built-at", "#related"),
    )
    delta = replace(
        make_plan().delta,
        reasons={f"{S}/edited": "content"},
        unchanged_content=(f"{S}/stamped",),
        fingerprints=fingerprints,
    )
    write_plan(path, replace(make_plan(), delta=delta))
    raw = json.loads(path.read_text("utf-8"))
    assert raw["version"] == 3
    assert raw["reasons"] == {f"{S}/edited": "content"}
    assert raw["unchanged_content"] == [f"{S}/stamped"]
    assert raw["counts"]["unchanged_content"] == 1
    assert raw["fingerprints"] == {
        "ignore": [".built-at", "#related"],
        "build": dict(fingerprints.build),
        "before": dict(fingerprints.before),
    }
    back = read_plan(path)
    assert back.delta == delta
    assert back.delta.fingerprints == fingerprints and back.version == 3
    # With --changed-by lastmod there are none: null, read back as None.
    write_plan(path, make_plan())
    assert json.loads(path.read_text("utf-8"))["fingerprints"] is None
    assert read_plan(path).delta.fingerprints is None


@pytest.mark.parametrize(
    "fingerprints",
    [
        [],
        {"build": {}},
        {"build": {"u": 1}, "before": {}},
        {"build": {}, "before": {}, "ignore": 5},
    ],
)
def test_malformed_fingerprints_are_a_plan_file_error(tmp_path: Path, fingerprints: Any) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    raw = json.loads(path.read_text("utf-8"))
    raw["fingerprints"] = fingerprints
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(PlanFileError, match=r"wrong field \(fingerprints"):
        read_plan(path)


def test_deferred_urls_are_recorded_also_when_nothing_was_accepted(tmp_path: Path) -> None:
    from indexnow_sync.models import Deferred

    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    seen = (Deferred(f"{S}/new", "not in the live sitemap"),)
    ProgressRecorder(path, read_plan(path)).close(deferred=seen)
    assert read_plan(path).deferred == seen
    ProgressRecorder(path, read_plan(path)).close(deferred=())  # a later run deferred nothing
    assert read_plan(path).deferred == ()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def version_1_plan(path: Path) -> dict[str, Any]:
    """make_plan() as a plan of format version 1 (no lastmods, no deferred) would hold it."""
    write_plan(path, make_plan())
    raw: dict[str, Any] = json.loads(path.read_text("utf-8"))
    raw["version"] = 1
    del raw["lastmods"], raw["deferred"]
    return raw


def test_a_version_1_plan_is_still_read_without_lastmods(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(version_1_plan(path)), "utf-8")
    back = read_plan(path)
    assert not back.lastmods_known
    assert dict(back.delta.lastmods) == {}
    assert back.delta.added == make_plan().delta.added
    assert back.pending(include_removed=True) == make_plan().pending(include_removed=True)


def test_skipped_entries_of_a_plan_written_before_codes_get_their_codes(tmp_path: Path) -> None:
    # The skipped entries exactly as indexnow-sync 0.1.0 wrote them (no "code"), plus a folder
    # scope reason: the report's skipped_by_code and the step summary group them by code.
    path = tmp_path / "plan.json"
    raw = version_1_plan(path)
    raw["skipped"] = [
        {
            "url": "/rel/",
            "reason": "relative URL (a sitemap <loc> must be absolute: https://host/path)",
        },
        {"url": "https://other.com/x", "reason": "not on the site's host ex.com"},
        {"url": "https://ex.com/a b", "reason": "contains whitespace or control characters"},
        {
            "url": "https://ex.com/blog/x",
            "reason": "outside /docs/: a key file in that folder only authorises URLs under it",
        },
        {"url": "https://ex.com/y", "reason": "on host other.com, not on the site's host ex.com"},
        {"url": "https://ex.com/z", "reason": "longer than 2,048 characters", "code": "invalid"},
    ]
    path.write_text(json.dumps(raw), "utf-8")
    codes = [entry.code for entry in read_plan(path).delta.skipped]
    assert codes == ["relative", "off_host", "invalid", "out_of_scope", "off_host", "invalid"]


def test_a_version_2_plan_without_lastmods_is_a_plan_file_error(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(path, make_plan())
    raw = json.loads(path.read_text("utf-8"))
    raw["lastmods"] = ["not", "a", "mapping"]
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(PlanFileError, match="lastmods"):
        read_plan(path)
    del raw["lastmods"]
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(PlanFileError, match="lastmods"):
        read_plan(path)


def test_a_large_lastmods_object_is_written_in_pieces() -> None:
    from indexnow_sync.plan import json_object_pieces

    lastmods = {f'https://example.com/p-{n}?q="{n}"': "2024-06-01" for n in range(1000)}
    lastmods["https://example.com/страница"] = "2024-06-02"
    pieces = list(json_object_pieces(lastmods))
    assert len(pieces) > 1000
    assert json.loads("".join(pieces)) == lastmods
    assert json.loads("".join(json_object_pieces({}))) == {}

"""lastmod.py: W3C datetimes as instants, and the 'changed' and 'latest' rules of SPEC."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from indexnow_sync.lastmod import instant, is_changed, is_valid, later


def ns(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    return int(moment.timestamp()) * 1_000_000_000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"2024", ns(2024, 1, 1)),
        (b"2024-05", ns(2024, 5, 1)),
        (b"2024-05-01", ns(2024, 5, 1)),
        (b"2024-05-01T10:20Z", ns(2024, 5, 1, 10, 20)),
        (b"2024-05-01T10:20:30Z", ns(2024, 5, 1, 10, 20, 30)),
        (b"2024-05-01T10:20:30+02:00", ns(2024, 5, 1, 8, 20, 30)),
        (b"2024-05-01T10:20:30-05:30", ns(2024, 5, 1, 15, 50, 30)),
        (b"2024-05-01T00:30:00+01:00", ns(2024, 4, 30, 23, 30)),
        (b"2024-05-01T10:20:30.5Z", ns(2024, 5, 1, 10, 20, 30) + 500_000_000),
        (b"2024-05-01T10:20:30.123456789Z", ns(2024, 5, 1, 10, 20, 30) + 123_456_789),
        # a time without a zone is read as UTC
        (b"2024-05-01T10:20:30", ns(2024, 5, 1, 10, 20, 30)),
        (b"  2024-05-01\n", ns(2024, 5, 1)),
        (b"1969-12-31T23:59:59Z", -1_000_000_000),
    ],
)
def test_w3c_forms_are_read_as_instants(raw: bytes, expected: int) -> None:
    assert instant(raw) == expected
    assert is_valid(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # RFC 3339 (the profile of ISO 8601 W3C datetimes come from) allows a lower-case "t"
        # and "z", and a space instead of "T"; ISO 8601 allows a comma before the fraction and
        # an offset without a colon (PHP's DATE_ISO8601, common in WordPress plugins, writes
        # +0000). Generators emit all of them: each is read, none is "unparseable".
        (b"2024-05-01t10:20:30Z", ns(2024, 5, 1, 10, 20, 30)),
        (b"2024-05-01 10:20:30Z", ns(2024, 5, 1, 10, 20, 30)),
        (b"2024-05-01 10:20", ns(2024, 5, 1, 10, 20)),
        (b"2024-05-01T10:20:30z", ns(2024, 5, 1, 10, 20, 30)),
        (b"2024-05-01T10:20z", ns(2024, 5, 1, 10, 20)),
        (b"2024-05-01T10:20:30,5Z", ns(2024, 5, 1, 10, 20, 30) + 500_000_000),
        (b"2024-05-01T10:20:30+0200", ns(2024, 5, 1, 8, 20, 30)),
        (b"2024-05-01T10:20:30-0530", ns(2024, 5, 1, 15, 50, 30)),
        (b"2024-05-01T10:20+0000", ns(2024, 5, 1, 10, 20)),
        (b"2024-05-01T10:20:30.000+00:00", ns(2024, 5, 1, 10, 20, 30)),
    ],
)
def test_lenient_iso_8601_spellings_are_read_as_instants(raw: bytes, expected: int) -> None:
    assert instant(raw) == expected
    assert is_valid(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"2024-05-01T00:00:00+23:59", ns(2024, 4, 30, 0, 1)),  # the largest offsets
        (b"2024-05-01T00:00:00-23:59", ns(2024, 5, 1, 23, 59)),
        (b"2024-05-01T12:00:00+00:59", ns(2024, 5, 1, 11, 1)),
        (b"2024-05-01T12:00:00-00:00", ns(2024, 5, 1, 12)),
        (b"2024-05-01T10:20:30.1234567891Z", ns(2024, 5, 1, 10, 20, 30) + 123_456_789),
        (b"2024-05-01T10:20:30.000000001Z", ns(2024, 5, 1, 10, 20, 30) + 1),
        (b"2024-05-01T10:20:30.000001Z", ns(2024, 5, 1, 10, 20, 30) + 1_000),
        (b"2024-05-01T23:59:59Z", ns(2024, 5, 1, 23, 59, 59)),
        (b"2024-12-31", ns(2024, 12, 31)),
        (b"0001-01-01", ns(1, 1, 1)),
        (b"9999-12-31T23:59:59Z", ns(9999, 12, 31, 23, 59, 59)),
    ],
)
def test_boundary_values_are_read_exactly(raw: bytes, expected: int) -> None:
    assert instant(raw) == expected


def test_sub_second_instants_differ_by_nanoseconds() -> None:
    base = instant(b"2024-05-01T10:20:30Z")
    assert base is not None
    assert instant(b"2024-05-01T10:20:30.000000001Z") == base + 1
    assert instant(b"2024-05-01T10:20:30.999999999Z") == base + 999_999_999


def test_date_alone_is_midnight_utc() -> None:
    assert instant(b"2024-05-01") == instant(b"2024-05-01T00:00:00Z")
    assert instant(b"2024-05-01") == instant(b"2024-05-01T02:00:00+02:00")
    assert instant(b"2024-05-01") != instant(b"2024-05-01T00:00:00+02:00")


def test_fractions_of_different_length_compare_equal() -> None:
    assert instant(b"2024-05-01T10:00:00.1Z") == instant(b"2024-05-01T10:00:00.100000Z")
    assert instant(b"2024-05-01T10:00:00.1Z") != instant(b"2024-05-01T10:00:00.01Z")


@pytest.mark.parametrize(
    "raw",
    [
        b"2024-13-01",
        b"2024-02-30",
        b"2023-02-29",
        b"2024-00-10",
        b"2024-05-01T25:00:00Z",
        b"2024-05-01T10:61Z",
        b"2024-05-01T10:00:00+25:00",
        b"2024-05-01T10:00:00+02:99",
        b"2024-05-01T10:00:00+24:00",
        b"2024-05-01T10:00:00+02:60",
        b"2024-05-01T10:00:00+2:00",
        b"2024-05-01T10:00:00+02",
        b"2024-05-01T10:00:00 +02:00",
        b"2024-05-01T10:00:00UTC",
        b"2024-05-01T10:00:00.Z",
        b"2024-05-01T10:00:60Z",
        b"2024-05-01T24:00:00Z",
        b"2024-05-01X10:00:00Z",
        b"2024-05-01T10:00:00;5Z",
        b"24-05-01",
        b"20240501",
        b"2024-05-01T10:00:00+02:00Z",
        b"yesterday",
        b"01/05/2024",
        b"2024-5-1",
        b"2024-05-01T10Z",
        b"2024-05-01T",
        b"\xff\xfe",
        b"2024-05-01 garbage",
    ],
)
def test_invalid_values_are_unparseable(raw: bytes) -> None:
    assert instant(raw) is None
    assert not is_valid(raw)


def test_absent_is_valid_but_has_no_instant() -> None:
    assert instant(b"") is None
    assert is_valid(b"")


def test_leap_day_is_valid() -> None:
    assert instant(b"2024-02-29") == ns(2024, 2, 29)


# --- the rules ------------------------------------------------------------------------------


def test_same_instant_written_differently_is_not_changed() -> None:
    assert not is_changed(b"2024-05-01", b"2024-05-01T00:00:00Z")
    assert not is_changed(b"2024-05-01T10:00:00+02:00", b"2024-05-01T08:00:00Z")
    assert not is_changed(b"2024-05-01T08:00:00.000Z", b"2024-05-01T08:00:00Z")


def test_different_instant_is_changed_in_either_direction() -> None:
    assert is_changed(b"2024-05-01", b"2024-05-02")
    assert is_changed(b"2024-05-02", b"2024-05-01")
    assert is_changed(b"2024-05-01T10:00:00Z", b"2024-05-01T10:00:01Z")


def test_lastmod_only_in_build_is_changed() -> None:
    assert is_changed(b"", b"2024-05-01")
    # an unparseable before-value counts as absent, so a valid build value is a change
    assert is_changed(b"garbage", b"2024-05-01")


def test_lastmod_only_in_before_is_not_changed() -> None:
    assert not is_changed(b"2024-05-01", b"")
    assert not is_changed(b"2024-05-01", b"garbage")


def test_neither_side_has_a_lastmod_is_not_changed() -> None:
    assert not is_changed(b"", b"")
    assert not is_changed(b"garbage", b"other garbage")


def test_later_picks_the_later_instant() -> None:
    assert later(b"2024-05-01", b"2024-05-02") == b"2024-05-02"
    assert later(b"2024-05-02", b"2024-05-01") == b"2024-05-02"
    assert later(b"2024-05-01T23:00:00-02:00", b"2024-05-02") == b"2024-05-01T23:00:00-02:00"


def test_later_prefers_a_readable_value_over_absent_or_garbage() -> None:
    assert later(b"", b"2024-05-01") == b"2024-05-01"
    assert later(b"2024-05-01", b"") == b"2024-05-01"
    assert later(b"garbage", b"2024-05-01") == b"2024-05-01"
    assert later(b"2024-05-01", b"garbage") == b"2024-05-01"


def test_later_keeps_the_first_on_a_tie() -> None:
    assert later(b"2024-05-01", b"2024-05-01T00:00:00Z") == b"2024-05-01"

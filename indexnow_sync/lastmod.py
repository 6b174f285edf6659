"""W3C Datetime ``<lastmod>`` values as comparable instants (SPEC "Delta rules").

Accepted: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, and a date with ``Thh:mm``, ``Thh:mm:ss`` or
``Thh:mm:ss.s+`` plus ``Z`` or ``±hh:mm``. A date alone is midnight UTC; a time without a zone
is read as UTC (the protocol calls it invalid, but generators emit it and UTC is the only
reading that makes two builds agree). Also read, because generators emit them and RFC 3339 or
ISO 8601 allow them: a lower-case ``t`` or ``z``, a space for ``T``, a comma before the
fraction, and ``±hhmm`` without the colon. Anything else is "unparseable": the caller warns and
treats it as absent.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache

_W3C = re.compile(
    r"(\d{4})(?:-(\d\d)(?:-(\d\d)"
    r"(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"([Zz]|[+-]\d\d:?\d\d)?)?)?)?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=4096)
def instant(raw: bytes) -> int | None:
    """Nanoseconds since the epoch (UTC) of a lastmod, or None if absent or unparseable."""
    if not raw:
        return None
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    match = _W3C.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=timezone.utc,
        )
    except ValueError:  # month 13, day 31 of February, hour 25...
        return None
    nanos = (moment - _EPOCH) // _ONE_MICRO * 1000
    if fraction:
        nanos += int((fraction + "000000000")[:9])
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset_minutes = int(digits[:2]) * 60 + int(digits[2:])
        if int(digits[:2]) > 23 or int(digits[2:]) > 59:
            return None
        nanos -= sign * offset_minutes * 60 * 1_000_000_000
    return nanos


_ONE_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=timezone.utc) - _EPOCH


def is_valid(raw: bytes) -> bool:
    """True when the lastmod is absent or a readable W3C datetime."""
    return not raw or instant(raw) is not None


def later(first: bytes, second: bytes) -> bytes:
    """The later of two lastmods (a readable one beats an absent or unreadable one; on a tie
    the first is kept)."""
    a, b = instant(first), instant(second)
    if b is None:
        return first
    if a is None or b > a:
        return second
    return first


def is_changed(before: bytes, after: bytes) -> bool:
    """SPEC: changed when the build's lastmod differs from the before's as an instant; a
    lastmod only in the build counts as changed; only in before, not changed."""
    if before == after:
        return False
    b = instant(after)
    if b is None:
        return False
    return b != instant(before)

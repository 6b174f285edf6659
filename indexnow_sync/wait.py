"""Waiting for the deploy (SPEC "Waiting for the deploy"): when the live site counts as serving
the build, how long to keep looking, and what to say about the URLs that are not live yet.

Two gates, one deadline:

- Gate 1, the live sitemap: every added URL listed, every changed URL listed with the build's
  ``<lastmod>`` (the same instant: an older one is the previous build, a newer one another
  build, and a rollback to older content must not pass before it is deployed).
  :func:`sitemap_gaps` decides it from values; :func:`read_live_listing` reads the live sitemap
  through :mod:`sources` (the same discovery and limits as the diff).
- Gate 2, the pages: an added or changed URL answering 404/410 or still serving the previous
  content (its fingerprint is the before side's), or a removed URL still answering 2xx, is not
  live yet (:func:`not_live`); :class:`PageSettler` checks those again.

:func:`poll` is the one loop: look, and until the look is settled or the deadline has passed,
pause (5 s, growing by half up to 30 s, never past the deadline) and look again, with one
progress line per look. The :class:`Deadline` is measured on a monotonic clock from the start of
the first wait and shared by every gate of the run; its clock and sleep come from a
:class:`PollPolicy`, injectable like :class:`indexnow.RetryPolicy`. A deadline of 0 seconds
looks once and never sleeps: a dry run, which reports what a real run would still wait for.

Nothing here prints: progress goes to a callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from .lastmod import instant

if TYPE_CHECKING:
    from .checks import Candidate, PageVerdict
    from .web import WebClient

T = TypeVar("T")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class PollPolicy:
    """How often to look while waiting: ``first_interval`` seconds, then each pause
    ``growth`` times the last, at most ``max_interval``. ``clock`` (monotonic) and ``sleep``
    are injectable for tests."""

    first_interval: float = 5.0
    growth: float = 1.5
    max_interval: float = 30.0
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def intervals(self) -> Iterator[float]:
        """The pauses between looks: 5, 7.5, 11.25, 16.9, 25.3, 30, 30, ..."""
        interval = self.first_interval
        while True:
            yield interval
            interval = min(self.max_interval, interval * self.growth)


class Deadline:
    """A run's time for waiting, ``seconds`` from the first :meth:`start` (later calls keep
    the first start: key file, live sitemap and pages share one deadline)."""

    def __init__(self, seconds: float, policy: PollPolicy | None = None) -> None:
        self.seconds = seconds
        self.policy = policy or PollPolicy()
        self._start: float | None = None
        self.slept = 0.0
        self.pauses = 0

    def start(self) -> None:
        if self._start is None:
            self._start = self.policy.clock()

    def left(self) -> float:
        """Seconds left before the deadline (0 once it has passed)."""
        self.start()
        assert self._start is not None
        return max(0.0, self._start + self.seconds - self.policy.clock())

    def elapsed(self) -> float:
        """Seconds since the start of the first wait."""
        return 0.0 if self._start is None else self.policy.clock() - self._start

    def pause(self, interval: float) -> bool:
        """Sleep ``interval`` seconds, cut to what is left; False (no sleep) when nothing is."""
        left = self.left()
        if left <= 0:
            return False
        delay = min(interval, left)
        self.policy.sleep(delay)
        self.slept += delay
        self.pauses += 1
        return True


def duration(seconds: float) -> str:
    """``4m10s``, ``45s``, ``1h02m05s``; under 10 s with one decimal (``0.4s``)."""
    if seconds < 10:
        return f"{seconds:.1f}s".replace(".0s", "s")
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def poll(
    deadline: Deadline,
    look: Callable[[], T],
    settled: Callable[[T], bool],
    describe: Callable[[T], str],
    progress: Progress | None,
    *,
    first: T | None = None,
) -> T:
    """Look until a look is ``settled`` or the deadline has passed, pausing between looks;
    one progress line per look. ``first``: a look already made (``sync`` against the live
    site read the live sitemap for its delta), so the next one comes after the first pause."""
    deadline.start()
    result = look() if first is None else first
    for interval in deadline.policy.intervals():
        done = settled(result)
        left = deadline.left()
        if progress is not None:
            line = describe(result)
            if not done and left > 0:
                line += f", waiting up to {duration(left)} more"
            elif not done and deadline.seconds > 0:
                line += f"; stopped waiting after {duration(deadline.elapsed())}"
            progress(line)
        if done or not deadline.pause(interval):
            return result
        result = look()
    raise AssertionError("unreachable: intervals() never ends")  # pragma: no cover


# --- gate 1: the live sitemap ---------------------------------------------------------------


@dataclass(frozen=True)
class SitemapLook:
    """One reading of the live sitemap: the URLs it does not show as live yet, each with
    what was seen, and why the reading failed (``problem``), if it did."""

    gaps: dict[str, str]
    problem: str | None = None


NOT_LISTED = "not in the live sitemap"


def sitemap_gaps(expected: Mapping[str, str | None], live: Mapping[bytes, bytes]) -> dict[str, str]:
    """The URLs of ``expected`` (URL -> the build's lastmod, or None when only the listing
    counts) that ``live`` (loc -> raw lastmod) does not show as live, with what it shows."""
    gaps: dict[str, str] = {}
    for url, built in expected.items():
        shown = live.get(url.encode("utf-8"))
        if shown is None:
            gaps[url] = NOT_LISTED
            continue
        if built is None:
            continue
        wanted = instant(built.encode("utf-8"))
        seen = instant(shown)
        if wanted is None or seen == wanted:
            continue
        text = shown.decode("utf-8", "replace").strip()
        gaps[url] = (
            f"live sitemap shows lastmod {text}, the build {built}"
            if text
            else f"live sitemap shows no lastmod, the build {built}"
        )
    return gaps


def read_live_listing(
    client: WebClient,
    site: str,
    live_url: str | None,
    wanted: set[bytes],
    max_sitemap_bytes: int,
) -> tuple[dict[bytes, bytes], str | None]:
    """The live sitemap's entries for the ``wanted`` locs (loc -> raw lastmod; a loc listed
    twice keeps its latest lastmod), read the way the diff reads it; and the problem when it
    cannot be read (a 5xx, a timeout, HTML, no sitemap at all): during a deploy that is "not
    yet", not an error."""
    from .errors import LiveSitemapError
    from .lastmod import later
    from .sources import Limits, Side, read_live_side

    side = Side()
    found: dict[bytes, bytes] = {}
    limits = Limits(max_sitemap_bytes=max_sitemap_bytes)
    try:
        for doc in read_live_side(client, site, live_url, limits, side):
            for loc in doc.entries.keys() & wanted:
                lastmod = doc.entries[loc]
                known = found.get(loc)
                found[loc] = lastmod if known is None else later(known, lastmod)
    except LiveSitemapError as exc:
        return {}, exc.what
    if side.missing:
        return {}, "no live sitemap yet"
    return found, None


def describe_sitemap(look: SitemapLook, total: int) -> str:
    live = total - len(look.gaps)
    line = f"live sitemap: {live:,} of {total:,} delta entries live"
    return f"{line} ({look.problem})" if look.problem else line


# --- gate 2: the pages ----------------------------------------------------------------------


def not_live(verdict: PageVerdict) -> bool:
    """A page that the deploy has not reached yet: an added or changed URL (or one of a URL
    list) answering 404/410 or still serving the previous content (``stale``), or a removed
    URL still answering 2xx."""
    if verdict.code == "not_found":
        return verdict.direction != "removed"
    return verdict.code in ("still_live", "stale")


def not_live_reason(verdict: PageVerdict) -> str:
    status = "no status" if verdict.status is None else str(verdict.status)
    if verdict.code == "still_live":
        return f"still answers {status}"
    if verdict.code == "stale":
        return f"answers {status} with the previous content (a cached copy?)"
    return f"answered {status}"


class PageSettler:
    """Checks again, until the deadline, the pages that were not live at the first check
    (:func:`checks.run_checks` calls it with the first verdicts). Every other verdict is
    final at once."""

    def __init__(
        self,
        recheck: Callable[[Sequence[Candidate]], list[PageVerdict]],
        deadline: Deadline,
        progress: Progress | None,
    ) -> None:
        self.recheck = recheck
        self.deadline = deadline
        self.progress = progress
        self.rechecks = 0

    def __call__(
        self, candidates: Sequence[Candidate], verdicts: list[PageVerdict]
    ) -> list[PageVerdict]:
        final = list(verdicts)
        if not any(not_live(v) for v in final):
            return final
        total = len(final)

        def look() -> list[PageVerdict]:
            self.rechecks += 1
            waiting = [i for i, v in enumerate(final) if not_live(v)]
            for index, verdict in zip(
                waiting, self.recheck([candidates[i] for i in waiting]), strict=True
            ):
                final[index] = verdict
            return final

        def describe(current: list[PageVerdict]) -> str:
            waiting = [v for v in current if not_live(v)]
            if not waiting:
                return f"pages: all {total:,} checked pages are live"
            missing = sum(1 for v in waiting if v.code == "not_found")
            stale = sum(1 for v in waiting if v.code == "stale")
            parts = []
            if missing:
                parts.append(f"{missing:,} answering 404/410")
            if stale:
                parts.append(f"{stale:,} still serving the previous content")
            if len(waiting) - missing - stale:
                parts.append(f"{len(waiting) - missing - stale:,} removed but still answering 2xx")
            return f"pages: {len(waiting):,} of {total:,} not live yet ({', '.join(parts)})"

        return poll(
            self.deadline,
            look,
            lambda current: not any(not_live(v) for v in current),
            describe,
            self.progress,
            first=final,
        )


__all__ = [
    "Deadline",
    "PageSettler",
    "PollPolicy",
    "SitemapLook",
    "duration",
    "not_live",
    "not_live_reason",
    "poll",
    "read_live_listing",
    "sitemap_gaps",
]

"""A monotonic clock for tests that moves only when the code under test sleeps: waiting for
minutes takes no real time, and every pause can be asserted exactly."""

from __future__ import annotations

from functools import partial

import pytest

from indexnow_sync import indexnow
from indexnow_sync.wait import PollPolicy


class FakeTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    def policy(self) -> PollPolicy:
        """The default poll schedule, on this clock."""
        return PollPolicy(clock=self.clock, sleep=self.sleep)


def fake_retry_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """The run's retry policy on a fake clock: waits take no real time and are recorded, and
    backoff's jitter is its upper bound (1, 2, 4, 8 s)."""
    fake = FakeTime()
    monkeypatch.setattr(
        indexnow,
        "RetryPolicy",
        partial(
            indexnow.RetryPolicy,
            sleep=fake.sleep,
            clock=fake.clock,
            jitter=lambda _low, high: high,
        ),
    )
    return fake

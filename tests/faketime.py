"""A monotonic clock for tests that moves only when the code under test sleeps: waiting for
minutes takes no real time, and every pause can be asserted exactly."""

from __future__ import annotations

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

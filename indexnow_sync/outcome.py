"""What a command found and did (:class:`Outcome`, the one value :mod:`report` renders), and
the callbacks a command reports through while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import Deferred, Delta, KeyCheck, Skipped, SubmitResult

# One human line as it happens (a batch sent, a look while waiting); the CLI prints it.
Progress = Callable[[str], None]
# Called once with what the run found (delta, key check) right before the first POST, so the
# CLI can show it before the per-request progress lines.
Ready = Callable[["Outcome"], None]


@dataclass(frozen=True)
class Outcome:
    """Everything a command found and did, for the report."""

    command: str
    site: str | None
    dry_run: bool
    delta: Delta | None = None
    key_check: KeyCheck | None = None
    result: SubmitResult | None = None
    warnings: tuple[str, ...] = ()
    plan_file: str | None = None
    extra_skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    checks: dict[str, Any] | None = None  # what the checks before submitting did
    build_checks: tuple[Skipped, ...] = ()  # problems found in the build (warnings only)
    deferred: tuple[Deferred, ...] = ()  # not live yet: not sent, kept for a later run
    waiting: dict[str, Any] | None = None  # what waiting for the deploy did (--wait)

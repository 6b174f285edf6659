"""The plan file: the delta captured before a deploy, and the submission's progress after it.

Format (JSON, one object; documented in README "Plan file"):
``{"format": "indexnow-sync-plan", "version": 3, "created", "tool", "site", "before",
"after", "added", "changed", "removed", "lastmods", "reasons", "unchanged_content",
"fingerprints", "skipped", "build_checks", "warnings", "deferred", "accepted"}``;
``lastmods`` maps each added and changed URL to the build's ``<lastmod>`` (what the live
sitemap must show before ``submit --wait`` counts it live); ``reasons`` each changed URL to
``content`` or ``lastmod``; ``unchanged_content`` lists the URLs whose lastmod moved but content
did not (never sent); ``fingerprints`` (null with ``--changed-by lastmod``) holds the
``--ignore`` selectors and, per URL, the build's fingerprint (added and changed URLs) and the
before side's (changed URLs): what the page checks after the deploy compare live pages with;
``skipped`` and ``build_checks`` entries are ``{url, code, reason}``; ``deferred`` entries
``{url, reason}`` say what the last run saw of the URLs it deferred (for information: they
are pending like every URL not in ``accepted``, the URLs an endpoint has accepted so far).
Version 1 plans (no ``lastmods``) and version 2 plans (no fingerprints) are still read, and
so are plans written before codes existed (no ``code``, no ``build_checks``).

Writes are atomic (temporary file in the same folder, fsync, rename): a crash leaves the old
plan or the new one, never half of one. Progress during ``submit`` goes first to an
append-only journal beside the plan (``PLAN.progress``, one JSON line per accepted batch,
fsynced), so recording a batch costs the batch, not the whole plan; the journal is folded into
the plan when the run ends, and read back if a run was killed before that.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__
from .errors import IndexNowSyncError, PlanBusyError, PlanFileError
from .models import Deferred, Delta, Fingerprints, Skipped

FORMAT = "indexnow-sync-plan"
VERSION = 3
# Version 1: no build lastmods (waiting checks listing alone). Version 2: no content
# fingerprints (a page check cannot tell the build's page from a stale copy).
READABLE_VERSIONS = (1, 2, 3)
# How the note of a re-run of ``plan`` that kept the existing plan (not written) begins.
KEPT_PLAN = "kept the existing plan"


@dataclass(frozen=True)
class Plan:
    delta: Delta
    site: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    created: str
    accepted: frozenset[str] = field(default_factory=frozenset)
    build_checks: tuple[Skipped, ...] = ()  # problems the build check found (warnings)
    # False for a version 1 plan: it has no build lastmods, so waiting for the deploy can
    # only check that added and changed URLs are listed.
    lastmods_known: bool = True
    deferred: tuple[Deferred, ...] = ()  # what the last run deferred, and why (information)
    # The format version it is written in: a plan read back keeps its own (recording progress
    # does not pretend it knows what an older version did not record).
    version: int = VERSION

    def pending(self, *, include_removed: bool) -> list[str]:
        """The URLs still to send, in plan order (each once)."""
        urls = dict.fromkeys(self.delta.to_submit(include_removed=include_removed))
        return [url for url in urls if url not in self.accepted]


def new_plan(delta: Delta, site: str | None, before: dict[str, Any], after: dict[str, Any]) -> Plan:
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Plan(delta, site, before, after, created)


def _journal(path: Path) -> Path:
    return path.with_name(path.name + ".progress")


# --- one submission per plan at a time ---------------------------------------------------

# How long a second ``submit --plan`` waits for the first before refusing: long enough to
# ride out a run that is just finishing, short enough not to stall a CI job.
PLAN_LOCK_WAIT = 5.0
_LOCK_POLL = 0.1


def lock_path(path: Path) -> Path:
    """The lock file beside the plan (``PLAN.lock``). It stays after the run: removing it
    would let a waiting run and a new one lock two different files."""
    return path.with_name(path.name + ".lock")


def _try_lock(fd: int) -> bool:
    """Take the OS lock on ``fd`` without blocking. The OS drops it when the process dies,
    however it dies (kill -9 included): a stale lock file never blocks a later run."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def plan_lock(
    path: Path,
    *,
    wait: float = PLAN_LOCK_WAIT,
    on_wait: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold the plan's lock for a submission: two runs of the same plan at once would both
    send everything. A second run waits up to ``wait`` seconds, then raises
    :class:`PlanBusyError` (nothing sent; the plan keeps every URL pending)."""
    lock = lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PlanFileError(f"{lock}: cannot create the plan's lock file ({exc.strerror})") from exc
    try:
        if not _try_lock(fd):
            if on_wait is not None:
                on_wait(
                    f"waiting up to {wait:g} s: another submission of this plan is running "
                    f"(lock {lock})"
                )
            deadline = clock() + wait
            while not _try_lock(fd):
                if clock() >= deadline:
                    raise PlanBusyError(
                        f"--plan {path}: another submission of this plan is running; nothing "
                        "was sent",
                        cause=f"it holds {lock}; the plan keeps every URL not yet accepted",
                        fix="re-run 'submit --plan' when the other run has finished",
                    )
                sleep(_LOCK_POLL)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def atomic_write(
    path: Path, chunks: Iterable[str], *, error: type[IndexNowSyncError] = PlanFileError
) -> None:
    """Write text (UTF-8) atomically: see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, (chunk.encode("utf-8") for chunk in chunks), error=error)


def atomic_write_bytes(
    path: Path, chunks: Iterable[bytes], *, error: type[IndexNowSyncError] = PlanFileError
) -> None:
    """Write bytes atomically: the file is either the old one or the complete new one.
    A failure raises ``error`` naming the file.

    A symlink is followed (the link stays). A path that is not a regular file (``/dev/stdout``,
    a named pipe) is written through: renaming over it would replace the device or pipe itself.
    """
    try:
        special = not stat.S_ISREG(path.stat().st_mode)
    except OSError:  # absent (the usual case) or unreadable: the rename below decides
        special = False
    if special:
        try:
            with path.open("wb") as stream:
                for chunk in chunks:
                    stream.write(chunk)
        except OSError as exc:
            raise error(f"{path}: cannot write ({exc.strerror})") from exc
        return
    if path.is_symlink():
        path = path.resolve()
    folder = path.parent if str(path.parent) else Path()
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed
            "wb", dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False
        )
    except OSError as exc:
        raise error(f"{path}: cannot write here ({exc.strerror})") from exc
    try:
        with handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        Path(handle.name).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(handle.name).unlink()
        raise error(f"{path}: cannot write ({exc.strerror})") from exc


_PIECE = 10_000


def json_pieces(value: Any) -> Iterator[str]:
    """``json.dumps(value)`` in pieces: a long list is encoded 10,000 items at a time, so a
    million URLs never become one 80 MB string."""
    if not isinstance(value, (list, tuple)) or len(value) <= _PIECE:
        yield json.dumps(value, ensure_ascii=False)
        return
    yield "["
    for start in range(0, len(value), _PIECE):
        piece = json.dumps(list(value[start : start + _PIECE]), ensure_ascii=False)
        yield (", " if start else "") + piece[1:-1]
    yield "]"


def _chunks(plan: Plan) -> Iterable[str]:
    d = plan.delta
    dump = json.dumps
    yield "{\n"
    # A plan read back keeps its version: a version 1 plan still does not know the build's
    # lastmods, a version 2 plan its pages' fingerprints.
    version = plan.version if plan.lastmods_known else 1
    yield f'"format": {dump(FORMAT)},\n"version": {version},\n'
    yield f'"created": {dump(plan.created)},\n"tool": {dump("indexnow-sync " + __version__)},\n'
    yield f'"site": {dump(plan.site)},\n'
    yield f'"before": {dump(plan.before)},\n"after": {dump(plan.after)},\n'
    yield f'"counts": {dump(_counts(plan))},\n'
    yield '"added": '
    yield from json_pieces(d.added)
    yield ",\n"
    yield '"changed": '
    yield from json_pieces(d.changed)
    yield ",\n"
    yield '"removed": '
    yield from json_pieces(d.removed)
    yield ",\n"
    if plan.lastmods_known:
        yield '"lastmods": '
        yield from json_object_pieces(d.lastmods)
        yield ",\n"
    if version >= 3:
        yield '"reasons": '
        yield from json_object_pieces(d.reasons)
        yield ',\n"unchanged_content": '
        yield from json_pieces(d.unchanged_content)
        yield ',\n"fingerprints": '
        yield from _fingerprint_pieces(d.fingerprints)
        yield ",\n"
    yield f'"skipped": {dump(skipped_entries(d.skipped), ensure_ascii=False)},\n'
    yield f'"build_checks": {dump(skipped_entries(plan.build_checks), ensure_ascii=False)},\n'
    yield f'"warnings": {dump(d.warnings, ensure_ascii=False)},\n'
    yield f'"deferred": {dump(deferred_entries(plan.deferred), ensure_ascii=False)},\n'
    yield '"accepted": '
    yield from json_pieces(sorted(plan.accepted))
    yield "\n"
    yield "}\n"


def _fingerprint_pieces(fingerprints: Fingerprints | None) -> Iterator[str]:
    """The delta's fingerprints (null with --changed-by lastmod): what the page checks after
    the deploy compare live pages with."""
    if fingerprints is None:
        yield "null"
        return
    yield f'{{"ignore": {json.dumps(list(fingerprints.ignore), ensure_ascii=False)},\n"build": '
    yield from json_object_pieces(fingerprints.build)
    yield ',\n"before": '
    yield from json_object_pieces(fingerprints.before)
    yield "}"


def json_object_pieces(mapping: Mapping[str, str]) -> Iterator[str]:
    """A str -> str mapping as a JSON object, one entry per line, never one giant string."""
    if not mapping:
        yield "{}"
        return
    dump = json.dumps
    yield "{"
    for index, (name, value) in enumerate(mapping.items()):
        yield ("," if index else "") + f"\n{dump(name, ensure_ascii=False)}: {dump(value)}"
    yield "\n}"


def _counts(plan: Plan) -> dict[str, int]:
    d = plan.delta
    return {
        "added": len(d.added),
        "changed": len(d.changed),
        "removed": len(d.removed),
        "skipped": len(d.skipped),
        "unchanged_content": len(d.unchanged_content),
        "deferred": len(plan.deferred),
        "accepted": len(plan.accepted),
    }


def write_plan(path: Path, plan: Plan) -> None:
    atomic_write(path, _chunks(plan))
    with contextlib.suppress(FileNotFoundError):
        _journal(path).unlink()


def _plan_fix(path: Path) -> str:
    return f"pass the file 'indexnow-sync plan --out {path}' wrote (run it before the deploy)"


def read_plan(path: Path) -> Plan:
    """Read a plan, with the progress of any run that did not get to fold its journal in."""
    data = b""
    try:
        data = path.read_bytes()
        raw = json.loads(data)
    except FileNotFoundError:
        raise PlanFileError(
            f"--plan {path}: no such file",
            fix=f"run 'indexnow-sync plan --out {path}' before the deploy",
        ) from None
    except OSError as exc:
        raise PlanFileError(f"--plan {path}: cannot be read ({exc.strerror})") from exc
    except ValueError as exc:
        xml = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
        raise PlanFileError(
            f"--plan {path}: is not valid JSON",
            cause="it is XML (a sitemap?), not a plan file" if xml else f"{exc}",
            fix=_plan_fix(path),
        ) from exc
    except RecursionError:
        raise PlanFileError(
            f"--plan {path}: is nested too deeply to be a plan file", fix=_plan_fix(path)
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PlanFileError(
            f"--plan {path}: is not an indexnow-sync plan file",
            cause=f'a plan file is the JSON object with "format": "{FORMAT}" that plan writes',
            fix=_plan_fix(path),
        )
    version = raw.get("version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise PlanFileError(
            f"--plan {path}: is plan format version {version!r}",
            cause=f"this indexnow-sync reads versions {READABLE_VERSIONS[0]} to {VERSION}",
            fix="re-run 'plan' with the same version as 'submit'",
        )
    try:
        delta = Delta(
            added=tuple(_strings(raw["added"])),
            changed=tuple(_strings(raw["changed"])),
            removed=tuple(_strings(raw["removed"])),
            skipped=_skipped(raw["skipped"], "skipped"),
            warnings=tuple(_strings(raw.get("warnings", []))),
            before_count=int(raw["before"].get("count", 0)),
            after_count=int(raw["after"].get("count", 0)),
            lastmods=_lastmods(raw["lastmods"]) if version >= 2 else {},
            reasons=_lastmods(raw["reasons"], "reasons") if version >= 3 else {},
            unchanged_content=tuple(_strings(raw["unchanged_content"])) if version >= 3 else (),
            fingerprints=_fingerprints(raw["fingerprints"]) if version >= 3 else None,
        )
        deferred = _deferred(raw.get("deferred", []))
        accepted = set(_strings(raw.get("accepted", [])))
        build_checks = _skipped(raw.get("build_checks", []), "build_checks")
        site = raw.get("site")
        if site is not None and not isinstance(site, str):
            raise TypeError("site")
    except (KeyError, TypeError, AttributeError, ValueError, OverflowError) as exc:
        raise PlanFileError(
            f"--plan {path}: is missing or has a wrong field ({exc})",
            cause="the file was edited, or cut short",
            fix=_plan_fix(path),
        ) from exc
    accepted.update(_read_journal(path))
    return Plan(
        delta,
        site,
        dict(raw["before"]),
        dict(raw["after"]),
        str(raw.get("created", "")),
        frozenset(accepted),
        build_checks,
        lastmods_known=version >= 2,
        deferred=deferred,
        version=version,
    )


def skipped_entries(skipped: Iterable[Skipped]) -> list[dict[str, str]]:
    """Skipped URLs as the plan and the report write them."""
    return [{"url": s.url, "code": s.code, "reason": s.reason} for s in skipped]


def deferred_entries(deferred: Iterable[Deferred]) -> list[dict[str, str]]:
    """Deferred URLs as the plan and the report write them."""
    return [{"url": d.url, "reason": d.reason} for d in deferred]


def _deferred(value: Any) -> tuple[Deferred, ...]:
    if not isinstance(value, list):
        raise TypeError("deferred: expected a list")
    return tuple(Deferred(str(entry["url"]), str(entry["reason"])) for entry in value)


def _lastmods(value: Any, field: str = "lastmods") -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError(f"{field}: expected an object of URL -> text")
    return value


def _fingerprints(value: Any) -> Fingerprints | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError("fingerprints: expected an object")
    ignore = value.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise TypeError("fingerprints.ignore: expected a list of selectors")
    return Fingerprints(
        _lastmods(value.get("build"), "fingerprints.build"),
        _lastmods(value.get("before"), "fingerprints.before"),
        tuple(ignore),
    )


def _skipped(value: Any, field: str) -> tuple[Skipped, ...]:
    if not isinstance(value, list):
        raise TypeError(f"{field}: expected a list")
    entries = []
    for entry in value:
        reason = str(entry["reason"])
        code = entry.get("code") or legacy_code(reason)
        entries.append(Skipped(str(entry["url"]), reason, str(code)))
    return tuple(entries)


def legacy_code(reason: str) -> str:
    """The code of a skipped entry from a plan written before codes existed."""
    if reason.startswith("relative"):
        return "relative"
    if "not on the site's host" in reason:
        return "off_host"
    if reason.startswith("outside "):
        return "out_of_scope"
    return "invalid"


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of URLs")
    return value


def _read_journal(path: Path) -> list[str]:
    try:
        lines = _journal(path).read_bytes().split(b"\n")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise PlanFileError(f"{_journal(path)}: cannot be read ({exc.strerror})") from exc
    urls: list[str] = []
    for line in lines:
        # A line torn by a crash (even inside a UTF-8 character) is skipped: that batch is
        # sent again, never lost; the lines after it are other runs' batches and still count.
        try:
            record = json.loads(line.decode("utf-8"))
            urls.extend(_strings(record["accepted"]))
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
    return urls


def _ends_torn(journal: Path) -> bool:
    """True when the journal's last line has no newline: a run was killed while writing it."""
    try:
        with journal.open("rb") as handle:
            if handle.seek(0, os.SEEK_END) == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except FileNotFoundError:
        return False


class ProgressRecorder:
    """Records accepted batches of a plan durably, batch by batch, in linear time."""

    def __init__(self, path: Path, plan: Plan) -> None:
        self.path = path
        self.plan = plan
        self._accepted: list[str] = []
        try:
            torn = _ends_torn(_journal(path))
            self._handle = _journal(path).open("a", encoding="utf-8")
            if torn:
                # Start on a fresh line: glued to the torn one, this run's first record
                # would be unreadable and its batch forgotten.
                self._handle.write("\n")
        except OSError as exc:
            raise PlanFileError(f"{_journal(path)}: cannot write ({exc.strerror})") from exc

    def record(self, urls: Iterable[str]) -> None:
        batch = list(urls)
        self._accepted.extend(batch)
        self._handle.write(json.dumps({"accepted": batch}, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self, deferred: tuple[Deferred, ...] | None = None) -> Plan:
        """Fold the journal into the plan file (one atomic rewrite) and return the new plan.
        ``deferred``: what this run deferred (recorded for information; None: not known)."""
        self._handle.close()
        plan = self.plan
        noted = deferred is not None and deferred != plan.deferred
        if self._accepted or noted:
            plan = replace(
                plan,
                accepted=(
                    plan.accepted.union(self._accepted)
                    if plan.accepted
                    else frozenset(self._accepted)
                ),
                deferred=plan.deferred if deferred is None else deferred,
            )
            write_plan(self.path, plan)
        else:
            with contextlib.suppress(FileNotFoundError):
                if _journal(self.path).stat().st_size == 0:
                    _journal(self.path).unlink()
        return plan

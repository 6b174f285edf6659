"""The key stage: every check of a run's key file behind :func:`check_key_file`, one
:class:`KeyResult`; :func:`record_key_check` stops the run when it failed, and
:func:`require_key_file` is the stage as a command that submits runs it.

SPEC "Key file rules": a key file in the build is checked before anything else (``plan``
fails before a broken file ships; ``sync`` before it reads the live site), then the hosted one,
also when there is nothing to send (a broken key file must not stay hidden until the next
delta). With ``--wait`` a hosted file a deploy would fix is looked at again until the deadline.
:mod:`keyfile` owns the rules of one file (format, URL, scope, exact match and diagnosis).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import KeyCheckError, UsageError
from .models import KeyCheck

if TYPE_CHECKING:
    from .outcome import Outcome, Progress
    from .wait import Deadline
    from .web import WebClient

# Hosted key-file problems that a deploy fixes: the file not there yet, the site's HTML page
# in its place (an SPA fallback), or the previous key's file.
KEY_PROBLEMS_A_DEPLOY_FIXES = frozenset({"not_found", "html", "wrong_key"})


def require_key(value: str | None) -> str:
    """The run's key (``--key``, ``INDEXNOW_KEY``, the config file), validated."""
    from .keyfile import validate_key

    if not value:
        raise UsageError(
            "no IndexNow key: pass --key or set INDEXNOW_KEY (create one with "
            "'indexnow-sync keygen')"
        )
    return validate_key(value)


@dataclass(frozen=True)
class KeyFile:
    """Which key file a run checks: the key, where the file is served, the build holding it."""

    key: str
    key_location: str | None  # --key-location; None: {site}/{key}.txt
    site: str | None  # needed for the hosted file; None: only the build's is checked
    build: Path | None = None  # the build folder or sitemap file; None: no build given
    write_folder: Path | None = None  # where a fix writes the file without a build (a plan's)
    # A dry run against --baseline: an unreachable site settles for the build's file.
    offline_ok: bool = False
    # The run's URLs: the base path the site serves the build under (a GitHub Pages project
    # site's /repo/) is worked out from them when the hosted key file is not found.
    pages: tuple[str, ...] = ()
    # Where key_location came from, as a message begins (Config.blame): --key-location, the
    # environment or the config file.
    key_location_named: str = "--key-location"


@dataclass(frozen=True)
class KeyResult:
    """What checking the key file found: the check (None: nothing to check, e.g. no key file
    in the build before the deploy), and warnings (a build folder without the file)."""

    check: KeyCheck | None
    warnings: tuple[str, ...] = ()


def check_key_file(
    target: KeyFile,
    client: WebClient | None = None,
    *,
    deadline: Deadline | None = None,
    progress: Progress | None = None,
) -> KeyResult:
    """Every key-file check. Without a ``client``, before the deploy: the file in the build
    only (none there: nothing to check, with a warning when the build is a folder). With a
    ``client``: the build's file (when it holds one), then the hosted one; with a
    ``deadline``, a hosted file that a deploy would fix is checked again until then."""
    if client is None:
        return _before_deploy(target)
    check = _built_then_hosted(target, client)
    if deadline is not None and _deploy_fixes(check):
        from .wait import poll

        check = poll(
            deadline,
            lambda: _built_then_hosted(target, client),
            lambda current: not _deploy_fixes(current),
            lambda current: (
                f"key file {current.url}: "
                + ("ok" if current.ok else f"{current.problem} (not deployed yet?)")
            ),
            progress,
            first=check,
        )
    return KeyResult(check)


class KeyFailed(KeyCheckError):
    """A failed key check that still carries what the run found (for the report)."""

    def __init__(self, outcome: Outcome, check: KeyCheck, *, note: str = "") -> None:
        from .keyfile import failure_parts

        what, cause, fix = failure_parts(check, note)
        super().__init__(what, cause=cause, fix=fix)
        self.outcome = outcome


def record_key_check(outcome: Outcome, result: KeyResult, *, note: str = "") -> Outcome:
    """``outcome`` with the key check; raises :class:`KeyFailed` (keeping that outcome, its
    message ending with ``note``) unless the check passed or there was nothing to check: no
    submission happens before that, in a dry run too."""
    outcome = replace(outcome, key_check=result.check)
    if result.check is not None and not result.check.ok:
        raise KeyFailed(outcome, result.check, note=note)
    return outcome


def require_key_file(
    target: KeyFile,
    client: WebClient,
    outcome: Outcome,
    *,
    nothing_to_send: bool,
    deadline: Deadline | None,
    progress: Progress | None,
) -> Outcome:
    """The key stage of a command that submits: the hosted key file checked (waiting for the
    deploy only when there is something to send) and recorded in ``outcome``; raises unless
    it passed. Runs also when there is nothing to send: a broken key file must not stay
    hidden until the next delta."""
    result = check_key_file(
        target, client, deadline=None if nothing_to_send else deadline, progress=progress
    )
    return record_key_check(outcome, result, note=_NOTHING_TO_SEND if nothing_to_send else "")


_NOTHING_TO_SEND = "nothing was to be sent this time, but the next submission would fail"


def _built_key_file(target: KeyFile, build: Path) -> Path | None:
    """Where the build holds the key file engines will fetch: ``{key}.txt`` at its root, or
    the path of ``--key-location``; None when that is not a path under the build folder.

    A site served under a base path (a GitHub Pages project site: the build's root is
    ``/repo/``) is recognised as the pages are (:func:`buildfiles.base_segments`): the
    leading folders of the key file's URL that name nothing in the build are the base path,
    so ``/repo/KEY.txt`` is ``KEY.txt`` at the build's root. (A key file in ``/repo/`` only
    vouches for URLs under ``/repo/``: a build without a ``repo`` folder can only be
    submitted with it when it is served there.)"""
    from .buildfiles import base_segments, url_segments
    from .keyfile import key_file_url

    if target.site is not None:
        url = key_file_url(target.site, target.key, target.key_location, target.key_location_named)
    else:
        url = target.key_location or f"/{target.key}.txt"
    parts = url_segments(url)
    if parts is None or parts[1] or not parts[0]:
        return None  # (a folder, or a path that would leave the build)
    segments = parts[0]
    folder = build if build.is_dir() else build.parent
    return folder.joinpath(*segments[base_segments([segments], folder) :])


def _built_key_check(target: KeyFile, build: Path) -> KeyCheck | None:
    """The check of the key file the build holds; None when it holds none."""
    from .keyfile import check_local_key_file

    candidate = _built_key_file(target, build)
    if candidate is None or not candidate.is_file():
        return None
    return check_local_key_file(candidate, target.key)


def _before_deploy(target: KeyFile) -> KeyResult:
    """The built key file's check before the deploy. A build folder without the key file: a
    warning (it may be deployed another way)."""
    from .keyfile import check_local_key_file, scrub, shorten_key

    key, build = target.key, target.build
    if build is None:
        return KeyResult(None)
    candidate = _built_key_file(target, build)
    if candidate is None or not candidate.is_file():
        if candidate is None or not build.is_dir():
            return KeyResult(None)
        shown = scrub(str(candidate), key)
        command = shown.replace(shorten_key(key), "$INDEXNOW_KEY")
        return KeyResult(
            None,
            (
                f"no key file {shown} in the build folder: engines will not find the key "
                "after the deploy unless it is served another way; create it: "
                f'printf \'%s\' "$INDEXNOW_KEY" > "{command}"',
            ),
        )
    check = check_local_key_file(candidate, key)
    if check.ok:
        check = replace(check, fix="the hosted one is checked by 'submit' after the deploy")
    return KeyResult(check)


def _built_then_hosted(target: KeyFile, client: WebClient) -> KeyCheck:
    """The built key file (if the build holds it), then the hosted one. A dry run with
    --baseline and an unreachable site settles for the local check, and says so. The fix of
    a failed check writes the file into the build (else ``write_folder``)."""
    from .keyfile import check_hosted_key_file, key_file_url

    site, build = target.site, target.build
    assert site is not None, "the hosted key file needs the site"
    url = key_file_url(site, target.key, target.key_location, target.key_location_named)
    local = _built_key_check(target, build) if build is not None else None
    if local is not None and not local.ok:
        return local
    if build is not None:
        folder: Path | None = build if build.is_dir() else build.parent
    else:
        folder = target.write_folder
    hosted = check_hosted_key_file(
        client,
        url,
        target.key,
        build_folder=None if folder is None else str(folder),
        located=target.key_location is not None,
    )
    if hosted.kind == "not_found" and folder is not None and folder.is_dir():
        elsewhere = _under_base_path(hosted, target, folder)
        if elsewhere is not None:
            return elsewhere
        if local is None:
            hosted = _what_the_build_holds(hosted, folder, target.key, url)
    if (
        not hosted.ok
        and local is not None
        and target.offline_ok
        and hosted.kind in ("unreachable", "timeout")
    ):
        return replace(
            local,
            local_only=True,
            problem=None,
            fix=f"the hosted key file {hosted.problem}"
            + (f": {hosted.cause}" if hosted.cause else ""),
        )
    if local is not None and _deploy_fixes(hosted):
        # The build holds the right file: the deploy has not happened, or not reached the
        # host. Writing the file again (the usual fix) would change nothing.
        return replace(
            hosted,
            cause=f"the build's key file {local.url} is correct: the build is not deployed "
            "(or not live) yet",
            fix="deploy it, then run this again; or run 'indexnow-sync plan --out PLAN' "
            "before the deploy and 'indexnow-sync submit --plan PLAN' after it",
        )
    return hosted


def _under_base_path(hosted: KeyCheck, target: KeyFile, folder: Path) -> KeyCheck | None:
    """The key file not found at the site's root (no ``--key-location``) while the run's URLs
    show that the site serves the build under a base path (``/repo/``, a GitHub Pages project
    site): the build's root is not the site's, so the key file engines look for is not in
    it. Says where the build's own key file is served (or that it holds none) and that
    ``--key-location`` must name it; None when that is not the case."""
    from .buildfiles import BuildFiles
    from .keyfile import display_url, scrub, shell_word, write_command

    if target.key_location is not None or target.site is None or not target.pages:
        return None
    base = BuildFiles(folder, target.pages).base_path
    if not base:
        return None
    key = target.key
    served = f"{target.site}{base}/{key}.txt"
    name = f"--key-location {shell_word(served, key)}"
    where = f"the site serves the build under {base}/ (its URLs say so)"
    own = folder / f"{key}.txt"
    if own.is_file():
        cause = (
            f"the build folder {folder} holds this key's file ({scrub(str(own), key)}), but "
            f"{where}\nso it is served at {display_url(served, key)}, and engines look for "
            "the key file at the site's root unless --key-location names it"
        )
        scope = f"a key file under {base}/ vouches only for URLs under {base}/"
        fix = f"pass {name} (or INDEXNOW_KEY_LOCATION); {scope}"
    else:
        cause = f"{where}, and the build folder {folder} holds no key file of this key"
        write = write_command(str(folder), f"/{key}.txt", key)
        fix = f"write it into the build: {write}, and pass {name}"
    # (not a problem a deploy fixes: the run does not wait for it)
    return replace(hosted, kind="under_base_path", cause=cause, fix=fix)


def _what_the_build_holds(hosted: KeyCheck, folder: Path, key: str, url: str) -> KeyCheck:
    """A hosted key file that is not found, when the build does not hold it either: say
    whether the build holds another key's file (the key given is not the site's) or none at
    all (it was never written into the build)."""
    from urllib.parse import unquote, urlsplit

    from .keyfile import other_key_files, shorten_key, write_command

    write = write_command(str(folder), unquote(urlsplit(url).path), key)
    others = other_key_files(folder, key)
    if others:
        return replace(
            hosted,
            cause=f"the build folder {folder} holds the key file of another key "
            f"({shorten_key(others[0])}.txt), not this key's: is the key given (INDEXNOW_KEY, "
            "--key) the site's?",
            fix="submit with the key that file holds (set INDEXNOW_KEY to it), or write this "
            f"key's file into the build: {write}",
        )
    return replace(
        hosted,
        cause=f"the build folder {folder} holds no key file (of this key or any other): it "
        "was not written into the build",
        fix=f"write it into the build before the deploy: {write}",
    )


def _deploy_fixes(check: KeyCheck) -> bool:
    return not check.ok and not check.local_only and check.kind in KEY_PROBLEMS_A_DEPLOY_FIXES

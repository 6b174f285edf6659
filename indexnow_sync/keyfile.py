"""The IndexNow key and its key file: format, where the file lives, which URLs it authorises,
and the exact-match check with a precise diagnosis and fix (SPEC: Key file rules).

The key is a secret-ish value: no message built here contains it. URLs that contain it are
shown through :func:`display_url`, other text through :func:`scrub`.

Checks return a :class:`~indexnow_sync.models.KeyCheck` and never raise for a bad key file;
the orchestration decides, or calls :func:`require_ok` to raise :class:`KeyCheckError`.

Redirects: a key file URL that redirects within the site's host is followed and judged by the
final body. Engines fetch key files like crawlers and follow such redirects (an http -> https
or trailing-slash redirect is the common case), so refusing them would block working setups.
A redirect to another host is a problem: the key file must live on the host it authorises.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from . import urls as urlrules
from .errors import ConfigError, FetchError, KeyCheckError, KeyFormatError, UsageError
from .models import KeyCheck, Skipped

if TYPE_CHECKING:
    from .web import WebClient

KEY_MIN = 8
KEY_MAX = 128
_KEY_RE = re.compile(r"[a-zA-Z0-9-]+")
_BOM = b"\xef\xbb\xbf"
# A key file is a few bytes; anything much bigger is a page served in its place.
KEY_FILE_MAX_BYTES = 1 << 20
_CHAR_NAMES = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\t": "a tab",
    " ": "a space",
}


# --- the key --------------------------------------------------------------------------------


def validate_key(key: str) -> str:
    """Return ``key`` if it is 8-128 characters of a-z, A-Z, 0-9 and '-'.

    Raises :class:`KeyFormatError` saying which rule failed, without echoing the key.
    """
    rule = "an IndexNow key must be 8 to 128 characters of a-z, A-Z, 0-9 and '-'"
    fix = "'indexnow-sync keygen' makes one"
    if not KEY_MIN <= len(key) <= KEY_MAX:
        raise KeyFormatError(f"the IndexNow key is {len(key)} characters long", cause=rule, fix=fix)
    if not _KEY_RE.fullmatch(key) and ("/" in key or "\\" in key or key.endswith(".txt")):
        raise KeyFormatError(
            f"the IndexNow key ({len(key)} characters) looks like a file path",
            cause="the key is the file's content, not its path",
            fix='pass the key itself: --key "$(cat FILE)" (or INDEXNOW_KEY="$(cat FILE)")',
        )
    if not _KEY_RE.fullmatch(key):
        position, char = next((i, c) for i, c in enumerate(key) if not _KEY_RE.fullmatch(c))
        what = _CHAR_NAMES.get(char, "a character outside a-z, A-Z, 0-9 and '-'")
        where = "the last character" if position == len(key) - 1 else f"character {position + 1}"
        raise KeyFormatError(
            f"the IndexNow key ({len(key)} characters) has {what} as {where}", cause=rule, fix=fix
        )
    return key


def shorten_key(key: str) -> str:
    """The key as it may be shown: first 4 and last 4 characters (``3f9a…4c8d``).

    Keys shorter than 16 characters show 2 and 2, so no more than half of a key is ever shown.
    """
    keep = 4 if len(key) >= 16 else 2
    if len(key) < 4 * keep:
        return "…"
    return f"{key[:keep]}…{key[-keep:]}"


def scrub(text: str, key: str) -> str:
    """``text`` with every occurrence of the key replaced by its shortened form."""
    if not key:
        return text
    return text.replace(key, shorten_key(key))


def display_url(url: str, key: str) -> str:
    """A URL that may contain the key (``https://site/KEY.txt``), safe to show."""
    return scrub(url, key)


# --- where the key file is and what it authorises ----------------------------------------


def key_file_url(
    site: str, key: str, key_location: str | None, named: str = "--key-location"
) -> str:
    """The URL engines fetch the key file from: ``{site}/{key}.txt`` or ``key_location``.

    ``key_location`` must be an absolute http(s) URL on the site's host; else ConfigError,
    which begins with ``named`` (where the value came from: ``--key-location``, or
    ``environment INDEXNOW_KEY_LOCATION:``, ``indexnow.yml: key 'key-location':``).
    """
    if key_location is None:
        return f"{site.rstrip('/')}/{key}.txt"
    shown = display_url(key_location, key)
    if urlrules.host_key(key_location) is None:
        raise ConfigError(
            f"{named} must be an absolute http(s) URL such as {site.rstrip('/')}/"
            f"indexnow/KEY.txt (got {shown})"
        )
    if not urlrules.same_host(key_location, site):
        raise ConfigError(
            f"{named} {shown} is not on the site's host "
            f"{urlrules.request_host(site) if urlrules.host_key(site) else site}: "
            "IndexNow only accepts a key file on the host it authorises"
        )
    return key_location


def key_scope(key_location: str | None) -> str:
    """The folder (path ending in '/') whose URLs the key file authorises; "/" for the root."""
    return "/" if key_location is None else urlrules.folder_of(key_location)


def filter_in_scope(
    urls: Iterable[str], site: str, key_location: str | None
) -> tuple[list[str], list[Skipped]]:
    """Split URLs into those the key may submit and the skipped rest (each with a reason).

    Kept: absolute http(s) URLs on the site's host (http and https alike) inside the key
    file's folder, each once, in order.
    """
    site_key = urlrules.host_key(site)
    site_host = urlrules.request_host(site) if site_key else site
    folder = key_scope(key_location)
    kept: list[str] = []
    skipped: list[Skipped] = []
    on_host: dict[str, bool | None] = {}
    # Nearly every URL starts with "scheme://host/folder/": one C-level startswith decides
    # it; the rest (other hosts, odd spellings of this one) take the parsed path below.
    fast = (f"http://{site_host}{folder}", f"https://{site_host}{folder}") if site_key else ()
    for url in dict.fromkeys(urls):
        if url.startswith(fast):
            kept.append(url)
            continue
        prefix = urlrules.authority_prefix(url)
        if prefix in on_host:
            verdict = on_host[prefix]
        else:
            key = urlrules.host_key(prefix)
            verdict = None if key is None else key == site_key
            on_host[prefix] = verdict
        if verdict is None:
            skipped.append(Skipped(url, "not an absolute http(s) URL", _unusable_code(url)))
        elif not verdict:
            host = urlrules.request_host(url)
            skipped.append(
                Skipped(url, f"on host {host}, not on the site's host {site_host}", "off_host")
            )
        elif folder != "/" and not urlrules.in_folder(url, folder):
            skipped.append(
                Skipped(
                    url,
                    f"outside {folder}: a key file in that folder only authorises URLs under it",
                    "out_of_scope",
                )
            )
        else:
            kept.append(url)
    return kept, skipped


def _unusable_code(url: str) -> str:
    """``relative`` for a URL without a scheme (``/page``), else ``invalid``."""
    try:
        return "invalid" if urlsplit(url).scheme else "relative"
    except ValueError:
        return "invalid"


# --- diagnosis -------------------------------------------------------------------------------

# Problem kinds returned by diagnose_kind() and understood by fix_for().
KINDS = (
    "trailing_newline",
    "crlf",
    "whitespace",
    "bom",
    "html",
    "empty",
    "wrong_key",
    "other_content",
    "not_found",
    "server_error",
    "status",
    "redirect_off_host",
    "too_many_redirects",
    "too_large",
    "timeout",
    "unreachable",
    "missing_local",
    "under_base_path",  # not found at the site's root, and the site serves the build in a folder
)


def _describe_whitespace(data: bytes) -> str:
    return "".join(repr(chr(b))[1:-1] if b < 128 else f"\\x{b:02x}" for b in data)


def _whitespace_problem(core: bytes, key_bytes: bytes, has_bom: bool) -> tuple[str, str] | None:
    """(kind, problem) when ``core`` is the key wrapped in whitespace (or bare, after a BOM)."""
    stripped = core.strip()
    if stripped != key_bytes:
        return None
    lead = core[: len(core) - len(core.lstrip())]
    trail = core[len(core.rstrip()) :]
    parts: list[str] = []
    kind = ""
    if has_bom:
        parts.append("starts with a UTF-8 byte order mark (BOM)")
        kind = "bom"
    if lead:
        parts.append(f"starts with whitespace ({_describe_whitespace(lead)})")
        kind = kind or "whitespace"
    if trail == b"\n":
        parts.append("ends with a newline (\\n)")
        kind = kind or "trailing_newline"
    elif trail == b"\r\n":
        parts.append("ends with a Windows line ending (\\r\\n)")
        kind = kind or "crlf"
    elif trail:
        parts.append(f"ends with whitespace ({_describe_whitespace(trail)})")
        kind = kind or "whitespace"
    return kind, " and ".join(parts)


def _looks_like_html(body: bytes, content_type: str) -> bool:
    if content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        return True
    head = body.removeprefix(_BOM).lstrip()[:64].lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body"))


def diagnose_kind(
    body: bytes,
    key: str,
    *,
    status: int,
    content_type: str,
    final_url: str,
    requested_url: str,
) -> tuple[str, str] | None:
    """(kind, problem) for a fetched key file, or None when the body is exactly the key."""
    redirect_note = ""
    if final_url and requested_url and final_url != requested_url:
        redirect_note = f" (after a redirect to {scrub(urlsplit(final_url).path, key) or '/'})"
    if status in (404, 410):
        return "not_found", f"was not found (HTTP {status}){redirect_note}"
    if status >= 500:
        return "server_error", f"could not be read: the server answered HTTP {status}"
    if not 200 <= status < 300:
        return "status", f"answered HTTP {status} instead of 200{redirect_note}"
    key_bytes = key.encode("ascii", "replace")
    if body == key_bytes:
        return None
    if not body.strip():
        if not body:
            return "empty", f"is empty (0 bytes){redirect_note}"
        return "empty", f"contains only whitespace ({len(body)} bytes){redirect_note}"
    if _looks_like_html(body, content_type):
        media = content_type.split(";")[0].strip() or "no content type"
        return "html", (
            f"is an HTML page ({media}), not the key: the host serves a page such as the "
            f"SPA's index.html or an error page at that address{redirect_note}"
        )
    has_bom = body.startswith(_BOM)
    core = body.removeprefix(_BOM)
    found = _whitespace_problem(core, key_bytes, has_bom)
    if found is not None:
        kind, problem = found
        return kind, problem + redirect_note
    text = core.strip().decode("utf-8", "replace")
    if _KEY_RE.fullmatch(text) and KEY_MIN <= len(text) <= KEY_MAX:
        if text.lower() == key.lower():
            return "wrong_key", "holds the key with different upper/lower case letters"
        if len(text) == len(key):
            return "wrong_key", f"holds a different key of the same length ({len(key)} characters)"
        return "wrong_key", (
            f"holds a different key ({len(text)} characters; the configured key has {len(key)})"
        )
    if key_bytes in body:
        return "other_content", (
            f"contains the key plus other text ({len(body)} bytes instead of {len(key_bytes)})"
            f"{redirect_note}"
        )
    return "other_content", (
        f"does not contain the key ({len(body)} bytes of other content){redirect_note}"
    )


def write_command(folder: str | None, relative: str, key: str) -> str:
    """The shell command that writes the key file, ready to paste: ``printf '%s'
    "$INDEXNOW_KEY" > dist/"$INDEXNOW_KEY".txt``. ``folder`` is the build output folder
    (None: unknown, shown as BUILD_DIR), ``relative`` the key file's path under it (the URL
    path). The key itself never appears: it is read from the environment when pasted."""
    base = "BUILD_DIR" if folder is None else folder.rstrip("/") or "/"
    target = f"{base}/{relative.lstrip('/')}"
    return f"printf '%s' \"$INDEXNOW_KEY\" > {shell_word(target, key)}"


def shell_word(text: str, key: str) -> str:
    """``text`` quoted for a shell command a message suggests, the key in it (a key file's
    path or URL) read from the environment when pasted: ``dist/"$INDEXNOW_KEY".txt``."""
    pieces = text.split(key) if key else [text]
    return '"$INDEXNOW_KEY"'.join(shlex.quote(piece) if piece else "" for piece in pieces)


def fix_for(problem_kind: str, write: str, *, located: bool = False) -> str:
    """How to fix a problem of ``problem_kind``; ``write`` is the :func:`write_command` for
    the key file. Fixes that involve writing the file end with that command, so it can be
    copied from the end of the line. ``located``: the run named the file with
    ``--key-location`` (so a fix does not suggest pointing it there)."""
    if problem_kind == "not_found" and located:
        return f"deploy the key file at that address; to write it: {write}"
    fixes = {
        "trailing_newline": f"write the file without a newline: {write}",
        "crlf": f"write the file without a line ending: {write}",
        "whitespace": f"the file must hold only the key, no spaces or newlines: {write}",
        "bom": f"save the file as UTF-8 without BOM and without a newline: {write}",
        "html": (
            "make sure the key file is part of the deployed output and your host serves the "
            "file itself, not the SPA's index.html or an error page; write it into the build "
            f"output: {write}"
        ),
        "empty": f"write the key into the file: {write}",
        "wrong_key": (
            "deploy the key file of the key you submit with (INDEXNOW_KEY), or submit with "
            f"the key the deployed file holds: {write}"
        ),
        "other_content": f"the file must hold only the key: {write}",
        "not_found": (
            "deploy the key file at that address (or point --key-location at it); "
            f"to write it: {write}"
        ),
        "server_error": "the site is failing; retry when it answers 200 again",
        "status": "serve the key file with HTTP 200 at that address",
        "redirect_off_host": (
            "serve the key file from the site's own host; IndexNow does not accept a key "
            "file on another host"
        ),
        "too_many_redirects": "serve the key file directly at that address, without redirects",
        "too_large": f"serve only the key in the file: {write}",
        "timeout": "check that the site is up and answers quickly, then retry",
        "unreachable": "check --site and that the site is reachable from where this runs",
        "missing_local": f"create it in the build folder: {write}",
        "under_base_path": (
            "the site serves the build under a folder: point --key-location at the key file there"
        ),
    }
    return fixes.get(problem_kind, f"the file must hold exactly the key: {write}")


# Why a problem of a kind may have happened, where the problem itself does not say.
_CAUSES = {
    "not_found": (
        "the key file is not deployed at that address, or the key given (INDEXNOW_KEY, --key) "
        "is not the one whose key file the site serves\n"
        "to check a key file the site serves under another name against this key: "
        "indexnow-sync verify-key --key-location URL-OF-THAT-FILE"
    ),
    "wrong_key": "the key given (INDEXNOW_KEY, --key) is not the one the deployed file holds",
}


def _check(
    shown: str,
    kind: str,
    problem: str,
    write: str,
    *,
    local: bool,
    cause: str | None = None,
    fix: str | None = None,
) -> KeyCheck:
    return KeyCheck(
        ok=False,
        url=shown,
        problem=problem,
        fix=fix or fix_for(kind, write),
        local_only=local,
        kind=kind,
        cause=cause or (None if local else _CAUSES.get(kind)),
    )


# --- checks ----------------------------------------------------------------------------------


def check_local_key_file(path: Path, key: str) -> KeyCheck:
    """Check the key file in the build folder before it ships (no HTTP); ``local_only`` set."""
    shown = scrub(str(path), key)
    write = write_command(str(path.parent), path.name, key)
    try:
        with path.open("rb") as handle:
            body = handle.read(KEY_FILE_MAX_BYTES + 1)
    except FileNotFoundError:
        return _check(shown, "missing_local", "does not exist", write, local=True)
    except OSError as exc:
        problem = f"cannot be read ({exc.strerror or type(exc).__name__})"
        return _check(shown, "missing_local", problem, write, local=True)
    if len(body) > KEY_FILE_MAX_BYTES:
        return _check(shown, "too_large", "is larger than 1 MiB", write, local=True)
    found = diagnose_kind(
        body, key, status=200, content_type="", final_url=str(path), requested_url=str(path)
    )
    if found is None:
        return KeyCheck(ok=True, url=shown, local_only=True)
    return _check(shown, found[0], found[1], write, local=True)


def check_hosted_key_file(
    client: WebClient,
    url: str,
    key: str,
    *,
    build_folder: str | None = None,
    located: bool = False,
) -> KeyCheck:
    """Fetch the key file at ``url`` and check that its body is exactly the key.

    Redirects within the host are followed (see the module docstring); every failure,
    including timeouts and refused connections, comes back as a not-ok KeyCheck. The fix
    names ``build_folder`` (the build output) as where to write the file. ``located``: the
    URL is the run's ``--key-location``.
    """
    shown = display_url(url, key)
    path = unquote(urlsplit(url).path)
    write = write_command(build_folder, path, key)
    try:
        response = client.get(url, same_host_as=url, max_bytes=KEY_FILE_MAX_BYTES)
    except FetchError as exc:
        kind, problem, cause, fix = _fetch_problem(exc, url, key)
        return _check(shown, kind, problem, write, local=False, cause=cause, fix=fix)
    found = diagnose_kind(
        response.body,
        key,
        status=response.status,
        content_type=response.content_type,
        final_url=response.final_url,
        requested_url=url,
    )
    if found is None:
        return KeyCheck(ok=True, url=shown)
    other = _named_after_its_key(path, response.body, key) if found[0] == "wrong_key" else None
    if other is not None:
        # Another key's own file (its name is the key it holds), e.g. checked with
        # verify-key --key-location: writing this key into it would only confuse.
        own = write_command(build_folder, path[: path.rfind("/") + 1] + f"{key}.txt", key)
        return _check(
            shown,
            "wrong_key",
            found[1],
            write,
            local=False,
            cause=f"it is another key's file ({shorten_key(other)}): named after the key it "
            "holds, which is not the key given (INDEXNOW_KEY, --key)",
            fix="submit with the key that file holds (set INDEXNOW_KEY to it), or deploy this "
            f"key's own file: {own}",
        )
    return _check(
        shown, found[0], found[1], write, local=False, fix=fix_for(found[0], write, located=located)
    )


def _named_after_its_key(path: str, body: bytes, key: str) -> str | None:
    """The other key whose own key file this is (``OTHER.txt`` holding OTHER), or None."""
    name = path.rsplit("/", 1)[-1]
    other = name.removesuffix(".txt")
    if other in (name, key) or not _is_key(other):
        return None
    return other if body.strip() == other.encode("ascii") else None


def _is_key(text: str) -> bool:
    return KEY_MIN <= len(text) <= KEY_MAX and _KEY_RE.fullmatch(text) is not None


def other_key_files(folder: Path, key: str, *, limit: int = 1_000) -> list[str]:
    """The other keys whose key files ``folder`` holds at its root (``OTHER.txt`` holding
    OTHER), at most ``limit`` ``.txt`` files looked at: a build that ships another key's
    file was made with another key."""
    found: list[str] = []
    try:
        names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".txt"))
    except OSError:
        return found
    for name in names[:limit]:
        other = name.removesuffix(".txt")
        if other == key or not _is_key(other):
            continue
        try:
            with (folder / name).open("rb") as handle:
                body = handle.read(KEY_MAX + 2)
        except OSError:
            continue
        if body.strip() == other.encode("ascii"):
            found.append(other)
    return found


def _fetch_problem(exc: FetchError, url: str, key: str) -> tuple[str, str, str, str]:
    """A failed fetch of the key file as (kind, problem, cause, fix): the problem short (it
    follows the URL on the error's first line), what the transport saw as the cause, and
    its fix when it has one (e.g. "use http://"), else "" for the kind's own."""
    detail = scrub(exc.what, key).removeprefix(display_url(url, key) + ": ")
    if exc.reason == "redirect_off_host":
        target = exc.target
        host = urlrules.request_host(target) if urlrules.host_key(target) else ""
        if host:
            return "redirect_off_host", f"redirects to another host {host}", "", ""
        return "redirect_off_host", "redirects to another host", detail, ""
    if exc.reason == "too_many_redirects":
        return "too_many_redirects", "redirects too many times", "", ""
    if exc.reason == "too_large":
        return "too_large", "is larger than 1 MiB: that is not a key file", "", ""
    if exc.reason == "timeout":
        # (the transport's message says what happened, then "; what to do about it")
        return "timeout", "could not be fetched: the request timed out", detail.split("; ")[0], ""
    cause = f"{detail} ({scrub(exc.cause, key)})" if exc.cause else detail
    return "unreachable", "could not be fetched", cause, scrub(exc.fix, key)


def failure_parts(check: KeyCheck, note: str = "") -> tuple[str, str, str]:
    """A failed check as an error's (what failed, cause, fix): ``key file <url> <problem>``,
    then the cause and ``note`` (e.g. that nothing was to be sent), then the fix."""
    cause = "\n".join(part for part in (check.cause or "", note) if part)
    return f"key file {check.url} {check.problem}", cause, check.fix or ""


def require_ok(check: KeyCheck) -> None:
    """Raise :class:`KeyCheckError` (see :func:`failure_parts`) unless ``check`` is ok."""
    if not check.ok:
        what, cause, fix = failure_parts(check)
        raise KeyCheckError(what, cause=cause, fix=fix)


def generate_key() -> str:
    """A new key for ``keygen``: 32 hex characters from the system's secure random source."""
    import secrets

    return secrets.token_hex(16)


def write_key_file(folder: Path, key: str) -> Path:
    """``keygen --write FOLDER``: ``FOLDER/KEY.txt`` holding the key exactly (no newline),
    readable by a web server running as another user."""
    if folder.is_file():
        raise UsageError(
            f"--write {folder}: is a file, not a folder",
            fix=f"pass the folder to write KEY.txt into: --write {folder.parent}",
        )
    if not folder.is_dir():
        raise UsageError(
            f"--write {folder}: no such folder",
            fix="pass the build output folder (build the site first), or create the folder",
        )
    path = folder / f"{key}.txt"
    with path.open("wb") as handle:
        handle.write(key.encode("ascii"))
    path.chmod(0o644)
    return path

"""The fingerprint manifest (SPEC "What changed: content, not just lastmod"): every build URL
with its content fingerprint, written into the build folder beside the sitemap so it ships
with the deploy, and read back from the live site by the next run as its before side.

File (JSON, UTF-8; gzip when the name ends in ``.gz``; read either way, by content)::

    {"format": "indexnow-sync-fingerprints", "version": 1, "created": "...Z",
     "tool": "indexnow-sync X.Y.Z", "site": "https://example.com" | null,
     "fields": ["fingerprint", "lastmod", "content_changed", "bytes"],
     "urls": {
      "https://example.com/a/": ["h1:...", "2024-05-01", "2024-05-01T10:00:00Z", "..."],
      ...}}

Per URL the build has a file for (a URL without one has nothing to record: lastmod decides
for it, and ``--fix-lastmod`` leaves it as built; a sitemap listing 350,000 URLs another app
serves costs nothing here): its fingerprint, the build's ``<lastmod>`` as written (``""``
when none), the instant its content last changed (see :func:`content_changed`), and for an
HTML page a hash of its bytes (``null`` otherwise: a non-HTML file's fingerprint is its
bytes' hash), so that a file whose bytes did not change reuses its fingerprint without being
parsed. Fields added by a later version go after these. (An entry with a ``null``
fingerprint, written by earlier versions, is still read.)

Size: the next run reads at most :func:`read_limit` bytes (512 a URL of its build, at least
``--max-sitemap-bytes``), unpacked; :func:`manifest_chunks` refuses to make a manifest over
that (:class:`ManifestTooLarge`), so one is never written that the next run would ignore.

Writing is atomic (a temporary file renamed over the old one). Reading validates everything:
a manifest that is not one, of another site, of a newer format or over the size limit is a
:class:`ManifestProblem` the caller reports as a warning and ignores; it never stops a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .buildfiles import BuildFiles
from .content import (
    MAX_HTML_BYTES,
    NO_RULES,
    BytesHasher,
    Comparison,
    Rules,
    byte_hash,
    current,
    file_is_html,
    fingerprint,
    is_fingerprint,
    page_part,
    sniff_html,
)
from .errors import FetchError, ManifestError
from .plan import atomic_write_bytes
from .urls import same_host

if TYPE_CHECKING:
    from .web import WebClient

DEFAULT_NAME = "indexnow-fingerprints.json"
FORMAT = "indexnow-sync-fingerprints"
VERSION = 1
FIELDS = ("fingerprint", "lastmod", "content_changed", "bytes")
_READ_PIECE = 1024 * 1024
# What the next run reads of a manifest, per URL of its build: a row is about 100 bytes and
# the URL (200 for a URL of 100 characters), so this leaves room for long URLs.
BYTES_PER_URL = 512


@dataclass(frozen=True, slots=True)
class Entry:
    """One build URL in the manifest."""

    fingerprint: str | None  # None: no file in the build for this URL
    lastmod: str = ""  # the build's <lastmod> as written, "" when none
    content_changed: str = ""  # when the content last changed (W3C datetime), "" unknown
    bytes_hash: str | None = None  # an HTML file's bytes, to reuse its fingerprint


@dataclass(frozen=True)
class Manifest:
    """A manifest's URLs and where it came from (``source``: its file or URL)."""

    entries: Mapping[str, Entry]
    site: str | None = None
    created: str = ""
    source: str = ""


class ManifestProblem(Exception):
    """A manifest that cannot be used (broken, foreign, newer, oversized): a warning, never
    an error. ``str()`` names the file or URL and what is wrong."""


class ManifestIsHtml(ManifestProblem):
    """The manifest's URL answers an HTML page (a single-page app's fallback): there is no
    live manifest, which is said (a manifest that was deployed but is not served would
    otherwise go unnoticed)."""


class ManifestTooLarge(ManifestProblem):
    """A manifest this run would write is over what the next run reads (:func:`read_limit`):
    it is not written (a warning naming the way out)."""


def read_limit(urls: int, floor: int) -> int:
    """The most bytes of a manifest (unpacked) a run reads for a build of ``urls`` URLs:
    :data:`BYTES_PER_URL` a URL, at least ``floor`` (``--max-sitemap-bytes``). Linear in
    the build: a million-URL site's manifest is read whole, a server's endless answer is
    not."""
    return max(floor, BYTES_PER_URL * urls)


def utc_text(moment: datetime) -> str:
    """A W3C datetime in UTC to the second: ``2024-05-01T10:00:00Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the content-changed instant ------------------------------------------------------------


def content_changed(earlier: str | None, verdict: Comparison, lastmod: str, now: str) -> str:
    """When a URL's content last changed, as this run writes it into the manifest:

    - its content differs from what came before (``verdict`` ``different``; a URL the
      earlier manifest does not know and the before side does not list is new, and so
      ``different``): ``now``;
    - else (the same, or not compared: a fingerprint by other rules whose page could not be
      compared is never a change) the ``earlier`` record carries over: the earlier
      manifest's instant, or without one the live sitemap's lastmod;
    - with no record at all: the build's lastmod as it is, ``now`` when it has none (the URL
      is seen for the first time)."""
    if verdict == "different":
        return now
    return earlier or lastmod or now


# --- fingerprinting a build folder ----------------------------------------------------------


@dataclass
class FolderFingerprints:
    """The fingerprints of a build (or baseline) folder's files, per URL that has one (a URL
    not in ``fingerprints`` has no file), and what it took."""

    fingerprints: dict[str, str | None] = field(default_factory=dict)
    bytes_hashes: dict[str, str] = field(default_factory=dict)  # HTML files only
    files: int = 0  # URLs that have a file
    parsed: int = 0  # HTML files parsed
    reused: int = 0  # HTML files whose bytes matched the earlier manifest: not parsed
    # HTML files whose bytes are the ones the earlier manifest recorded, its fingerprint
    # made by another rule version or other --ignore selectors: the same page, parsed again.
    same_bytes: set[str] = field(default_factory=set)
    # The --ignore selectors that removed something of a page parsed (content.fingerprint).
    ignore_matched: set[str] = field(default_factory=set)
    # The files as bytes (each URL's bytes hash or bytes fingerprint), whatever the rules:
    # with the sitemaps' bytes, what tells one build from another (``replan.build_digest``).
    _identity: Any = field(default_factory=lambda: hashlib.sha256(), repr=False)

    @property
    def identity(self) -> str:
        return self._identity.hexdigest()  # type: ignore[no-any-return]


def fingerprint_folder(
    files: BuildFiles,
    urls: Iterable[str],
    *,
    rules: Rules = NO_RULES,
    previous: Manifest | None = None,
    robots: Callable[[str], str] | None = None,
) -> FolderFingerprints:
    """Each URL's fingerprint from the file a web server would answer for it
    (:class:`BuildFiles`). An HTML file whose bytes hash to what ``previous`` recorded for
    the URL (by this rule version and these ``rules``) reuses its fingerprint unparsed.
    ``robots(url)`` gives the build's robots.txt suffix (``content.ROBOTS_*``)."""
    out = FolderFingerprints()
    known = previous.entries if previous is not None else {}
    for url in urls:
        path = files.path_for(url)
        if path is None:
            continue  # (no file: no fingerprint; not stored, a million of them cost memory)
        out.files += 1
        suffix = robots(url) if robots is not None else ""
        try:
            fp, hashed, parsed = _fingerprint_file(
                path, url, rules, known.get(url), suffix, out.ignore_matched
            )
        except OSError:
            continue  # unreadable now (removed meanwhile): no fingerprint
        out.fingerprints[url] = fp
        out._identity.update(f"{url}\0{hashed or fp}\0{suffix}\n".encode("utf-8", "replace"))
        if hashed is not None:
            out.bytes_hashes[url] = hashed
            if parsed:
                out.parsed += 1
                before = known.get(url)
                if before is not None and before.bytes_hash == hashed:
                    out.same_bytes.add(url)
            else:
                out.reused += 1
    return out


def _fingerprint_file(
    path: str, url: str, rules: Rules, before: Entry | None, robots: str, matched: set[str]
) -> tuple[str, str | None, bool]:
    """(fingerprint, bytes hash of an HTML file or None, parsed?) of one file (a file
    whose bytes the earlier manifest recorded, by these rules, is not parsed again). Read
    with plain os calls (a file object per file cost a tenth of a byte-identical rebuild),
    until the end of the file as ``read()`` would."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(handle).st_size
        if size > MAX_HTML_BYTES:  # by its bytes (too large to parse), a piece at a time
            hasher = BytesHasher()
            for piece in iter(lambda: os.read(handle, _READ_PIECE), b""):
                hasher.update(piece)
            return hasher.fingerprint() + robots, None, False
        data = os.read(handle, size + 1)
        if data:  # until the end (a file written meanwhile may be longer than it was)
            data = b"".join([data, *iter(lambda: os.read(handle, _READ_PIECE), b"")])
    finally:
        os.close(handle)
    if not file_is_html(os.path.basename(path), data):  # noqa: PTH119
        return fingerprint(data, url, html=False, robots=robots), None, False
    hashed = byte_hash(data)
    if before is not None and before.bytes_hash == hashed and current(before.fingerprint, rules):
        assert before.fingerprint is not None  # current() is False for None
        return page_part(before.fingerprint) + robots, hashed, False
    found = fingerprint(data, url, html=True, rules=rules, robots=robots, matched=matched)
    return found, hashed, True


def build_manifest(
    build: Iterable[tuple[str, str]],
    found: FolderFingerprints,
    *,
    previous: Manifest | None,
    now: datetime,
    site: str | None,
    verdicts: Mapping[str, Comparison] | None = None,
    records: Mapping[str, str] | None = None,
) -> Manifest:
    """This build's manifest: every build URL (``(url, lastmod)`` pairs) that has a file,
    with its fingerprint, lastmod, content-changed instant (:func:`content_changed`, from its
    ``verdicts``: URL -> how its content compared with the before side's, ``unknown`` when
    not given) and bytes hash. The earlier record of a URL is ``previous``'s instant, else
    (no earlier manifest) ``records``' (the live sitemap's lastmods)."""
    now_text = utc_text(now)
    verdicts = verdicts or {}
    entries: dict[str, Entry] = {}
    known = previous.entries if previous is not None else None
    records = records or {}
    for url, lastmod in build:
        fp = found.fingerprints.get(url)
        if fp is None:
            continue  # no file: nothing to record (see the module's docstring)
        if known is not None:
            entry = known.get(url)
            earlier = entry.content_changed if entry is not None else None
        else:
            earlier = records.get(url)
        verdict = verdicts.get(url, "unknown")
        changed = content_changed(earlier, verdict, lastmod, now_text)
        entries[url] = Entry(fp, lastmod, changed, found.bytes_hashes.get(url))
    return Manifest(entries, site, now_text)


# --- writing --------------------------------------------------------------------------------


def _pieces(manifest: Manifest) -> Iterator[bytes]:
    dump = json.dumps
    head = {
        "format": FORMAT,
        "version": VERSION,
        "created": manifest.created,
        "tool": f"indexnow-sync {__version__}",
        "site": manifest.site,
        "fields": list(FIELDS),
    }
    yield (dump(head, ensure_ascii=False)[:-1] + ',\n"urls": {').encode("utf-8")
    lines = []
    for index, (url, entry) in enumerate(manifest.entries.items()):
        row = [entry.fingerprint, entry.lastmod, entry.content_changed, entry.bytes_hash]
        lines.append(
            ("," if index else "")
            + f"\n{dump(url, ensure_ascii=False)}:{dump(row, ensure_ascii=False)}"
        )
        if len(lines) >= 1000:
            yield "".join(lines).encode("utf-8")
            lines = []
    lines.append("\n}}\n")
    yield "".join(lines).encode("utf-8")


def _gzipped(pieces: Iterable[bytes]) -> Iterator[bytes]:
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # a gzip stream
    for piece in pieces:
        out = packer.compress(piece)
        if out:
            yield out
    yield packer.flush()


def manifest_chunks(manifest: Manifest, name: str, *, limit: int | None = None) -> list[bytes]:
    """The manifest file's bytes, in pieces (gzip when ``name`` ends in ``.gz``). Raises
    :class:`ManifestTooLarge` when its JSON is over ``limit`` bytes (what the next run
    reads, :func:`read_limit`): a manifest the next run would ignore is not made."""
    pieces: list[bytes] = []
    size = 0
    for piece in _pieces(manifest):
        size += len(piece)
        if limit is not None and size > limit:
            raise ManifestTooLarge(
                f"{name}: not written: it would be over {_mib(limit)} (the most the next run "
                f"reads: {BYTES_PER_URL} bytes per URL of the build, at least "
                "--max-sitemap-bytes), and the next run would ignore it; raise "
                "--max-sitemap-bytes (on every run) to keep it"
            )
        pieces.append(piece)
    return list(_gzipped(pieces)) if name.lower().endswith(".gz") else pieces


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


def write_manifest(path: Path, manifest: Manifest | Iterable[bytes]) -> None:
    """Write the manifest (or its :func:`manifest_chunks`) atomically (gzip when the name
    ends in ``.gz``); a failure is a :class:`ManifestError` naming the file and the way
    out."""
    chunks = manifest_chunks(manifest, path.name) if isinstance(manifest, Manifest) else manifest
    try:
        atomic_write_bytes(path, chunks, error=ManifestError)
    except ManifestError as exc:
        raise ManifestError(
            exc.what,
            cause="the fingerprint manifest goes into the build folder so it ships with the site",
            fix="make the folder writable, or use --fingerprints off",
        ) from exc


def is_manifest_file(path: Path) -> bool:
    """Whether the file at ``path`` starts as a fingerprint manifest does (gzipped or not):
    a file a run may write the manifest over."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 512)
        except zlib.error:
            return False
    return _MANIFEST_HEAD.match(head) is not None


_MANIFEST_HEAD = re.compile(rb'\s*\{\s*"format"\s*:\s*"' + FORMAT.encode() + rb'"')


def refuse_overwrite(
    path: Path, name: str, *, sitemaps: Iterable[str], urls: Iterable[str] = ()
) -> None:
    """Raise :class:`UsageError` when writing the manifest to ``path`` (``--fingerprints
    NAME``) would destroy a file of the build: one of its ``sitemaps``, a file that is not a
    previous manifest (the key file, robots.txt, a page), or a page the sitemap lists at
    that URL (``urls``: the manifest's URL in each form the build could list it)."""
    from .errors import UsageError

    what = None
    resolved = path.resolve()
    if any(Path(source).resolve() == resolved for source in sitemaps):
        what = "is a sitemap of the build"
    elif path.exists() and not is_manifest_file(path):
        what = "is a file of the build that is not a fingerprint manifest"
    elif any(urls):
        what = "is a page the build's sitemap lists"
    if what is None:
        return
    raise UsageError(
        f"--fingerprints {name}: {path} {what}",
        cause="the fingerprint manifest would be written over it",
        fix=f"name another file (--fingerprints {DEFAULT_NAME}, the default), or use "
        "--fingerprints off",
    )


# --- reading --------------------------------------------------------------------------------


def parse_manifest(data: bytes, source: str, *, site: str | None, max_bytes: int) -> Manifest:
    """A manifest from its bytes (gzipped or not), validated; :class:`ManifestProblem` when
    it cannot be used. ``site``: the run's site; a manifest of another host is foreign."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, source, max_bytes)
    if len(data) > max_bytes:
        raise ManifestProblem(f"{source}: larger than {max_bytes} bytes: ignored")
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ManifestProblem(f"{source}: not valid JSON ({_short(exc)}): ignored") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ManifestProblem(f"{source}: not an indexnow-sync fingerprint manifest: ignored")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ManifestProblem(f"{source}: has no valid format version: ignored")
    if version > VERSION:
        raise ManifestProblem(
            f"{source}: is format version {version}, written by a newer indexnow-sync; "
            f"this one reads version {VERSION}: ignored (upgrade indexnow-sync)"
        )
    written_for = raw.get("site")
    if written_for is not None and not isinstance(written_for, str):
        raise ManifestProblem(f"{source}: its 'site' is not a URL: ignored")
    if site and written_for and not same_host(written_for, site):
        raise ManifestProblem(
            f"{source}: was written for {written_for}, not {site} (another site's "
            "manifest): ignored"
        )
    urls = raw.get("urls")
    if not isinstance(urls, dict):
        raise ManifestProblem(f"{source}: has no 'urls' object: ignored")
    entries: dict[str, Entry] = {}
    for url, row in urls.items():
        entry = _entry(row)
        if entry is None:
            raise ManifestProblem(f"{source}: the entry for {url[:200]!r} is malformed: ignored")
        if site and not same_host(url, site):
            raise ManifestProblem(
                f"{source}: lists {url[:200]}, which is not on {site} (another site's "
                "manifest): ignored"
            )
        entries[url] = entry
    created = raw.get("created")
    return Manifest(entries, written_for, created if isinstance(created, str) else "", source)


def _entry(row: Any) -> Entry | None:
    if not isinstance(row, list) or len(row) < len(FIELDS):
        return None
    fp, lastmod, changed, hashed = row[: len(FIELDS)]
    if fp is not None and not is_fingerprint(fp):
        return None
    if not isinstance(lastmod, str) or not isinstance(changed, str):
        return None
    if hashed is not None and not (isinstance(hashed, str) and len(hashed) < 128):
        return None
    return Entry(fp, lastmod, changed, hashed)


def _gunzip(data: bytes, source: str, max_bytes: int) -> bytes:
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = unpacker.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise ManifestProblem(f"{source}: broken gzip data ({exc}): ignored") from None
    if len(out) > max_bytes:
        raise ManifestProblem(f"{source}: larger than {max_bytes} bytes unpacked: ignored")
    if not unpacker.eof:
        raise ManifestProblem(f"{source}: the gzip data is cut short: ignored")
    return out


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."


def read_manifest_file(path: Path, *, site: str | None, max_bytes: int) -> Manifest | None:
    """A manifest file in a folder (a baseline build's), None when there is none;
    :class:`ManifestProblem` when it cannot be used."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestProblem(f"{path}: cannot be read ({exc.strerror}): ignored") from None
    return parse_manifest(data, str(path), site=site, max_bytes=max_bytes)


def fetch_manifest(
    client: WebClient, url: str, *, site: str | None, max_bytes: int
) -> Manifest | None:
    """The live manifest: one GET (redirects only on its host, at most ``max_bytes`` read,
    :func:`read_limit`). None when the site has none (404 or 410: a first run);
    :class:`ManifestIsHtml` for an HTML page in its place, :class:`ManifestProblem` for any
    other failure."""
    try:
        response = client.get(url, max_bytes=max_bytes)
    except FetchError as exc:
        if exc.reason == "too_large":
            raise ManifestProblem(
                f"{url}: larger than {_mib(max_bytes)} (the most read of a fingerprint "
                f"manifest: {BYTES_PER_URL} bytes per URL of the build, at least "
                "--max-sitemap-bytes): ignored"
            ) from None
        raise ManifestProblem(f"{exc.inline} (the fingerprint manifest): ignored") from None
    if response.status in (404, 410):
        return None  # none yet
    if sniff_html(response.body):
        raise ManifestIsHtml(
            f"{url}: answers an HTML page, not the fingerprint manifest (a single-page "
            "app's fallback, or the manifest was not deployed with the site): taken as none"
        )
    if not 200 <= response.status < 300:
        raise ManifestProblem(f"{url}: answered HTTP {response.status}: ignored")
    return parse_manifest(response.body, url, site=site, max_bytes=max_bytes)


__all__ = [
    "DEFAULT_NAME",
    "Entry",
    "FolderFingerprints",
    "Manifest",
    "ManifestIsHtml",
    "ManifestProblem",
    "ManifestTooLarge",
    "build_manifest",
    "content_changed",
    "fetch_manifest",
    "fingerprint_folder",
    "manifest_chunks",
    "parse_manifest",
    "read_limit",
    "read_manifest_file",
    "refuse_overwrite",
    "utc_text",
    "write_manifest",
]

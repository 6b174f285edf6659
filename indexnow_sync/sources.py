"""Where the two sides of the diff come from: the build on disk, a saved baseline, the live site.

Owns discovery (the build folder's file names; robots.txt ``Sitemap:`` lines and the fallback
names on the live site), walking sitemap indexes (depth, child-count and cycle limits), mapping
a built index's public child URLs to files under the build folder (never fetched), and the
rules for a live site that is unhealthy: a 404 means "no baseline", while a 5xx, a timeout, an
HTML page or a broken child is an error, never an empty site.

Every document is parsed as its bytes arrive, a piece at a time: a download is never held
whole, nor a file read whole. The children of a live index download four at a time, each on
its own thread, while this thread parses whatever bytes have arrived, for all of them (see
:func:`read_live_children`); they are handed on in the index's order, and a child that fails
fails the whole side.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

from .errors import (
    BuildSitemapError,
    FetchError,
    LiveSitemapError,
    SitemapParseError,
)
from .sitemap import (
    DEFAULT_MAX_BYTES,
    FEED_CHUNK,
    NotWellFormed,
    ParsedSitemap,
    SitemapReader,
    merge_duplicates,
    parse_sitemap,
    read_pieces,
    too_large,
)
from .urls import same_host

if TYPE_CHECKING:
    from .web import HttpResponse, PrefixResponse, WebClient

BUILD_NAMES = ("sitemap-index.xml", "sitemap_index.xml", "sitemap.xml", "sitemap.xml.gz")
LIVE_NAMES = ("sitemap.xml", "sitemap-index.xml", "sitemap_index.xml")
# How errors about the live side end: what the run did not do because of them. ``plan``,
# which never submits, says "no plan was written" instead (sync.run_plan).
NOTHING_SUBMITTED = "nothing was submitted"

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one run reads (SPEC "Limits and safety")."""

    max_sitemap_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = 3  # an index of indexes of indexes at most
    max_children: int = 50_000  # per index, the protocol's own limit
    max_files: int = 2_000  # sitemap files per side
    workers: int = 0  # files on disk read ahead of the one being used
    # Live children downloading at once, parsed here as their bytes arrive: no body is held,
    # only the entries read so far, which the run keeps anyway. Four hide a slow site's
    # time-to-first-byte and per-connection bandwidth (README "Performance").
    fetch_workers: int = 4
    key_prefix: bytes = b""  # the site's origin + "/", stored as one byte in page keys


class Side:
    """Accumulates one side's findings while its files are read."""

    def __init__(self) -> None:
        self.sources: list[str] = []
        self.warnings: list[str] = []
        self.missing = False
        self.robots: dict[str, PrefixResponse] = {}  # robots.txt answers read, by URL


def bounded_map(func: Callable[[T], R], items: Iterable[T], ahead: int) -> Iterator[R]:
    """``map`` in order, with up to ``ahead`` further calls running on threads while the
    consumer works on the current result. Results are never queued beyond that."""
    items = list(items)
    if ahead < 1 or len(items) <= 1:
        yield from map(func, items)
        return
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="indexnow-sync") as pool:
        futures = [pool.submit(func, item) for item in items[:ahead]]
        next_item = ahead
        while futures:
            result = futures.pop(0).result()
            if next_item < len(items):
                futures.append(pool.submit(func, items[next_item]))
                next_item += 1
            yield result


def walk(
    root: ParsedSitemap,
    load_children: Callable[[list[str], ParsedSitemap], Iterator[ParsedSitemap]],
    limits: Limits,
    side: Side,
) -> Iterator[ParsedSitemap]:
    """Every urlset under ``root`` (itself if it is one), following nested indexes."""
    seen: set[str] = {root.source}
    files = 1

    def visit(doc: ParsedSitemap, depth: int) -> Iterator[ParsedSitemap]:
        nonlocal files
        if doc.kind == "urlset":
            yield doc
            return
        if depth >= limits.max_depth:
            raise SitemapParseError(
                doc.source,
                f"nests sitemap indexes deeper than {limits.max_depth} levels; "
                "flatten the index (or raise max-index-depth)",
            )
        if len(doc.entries) > limits.max_children:
            raise SitemapParseError(
                doc.source,
                f"lists {len(doc.entries)} sitemaps, more than the {limits.max_children} an "
                "index may hold",
            )
        children = []
        for raw in doc.entries:
            child = raw.decode("utf-8", "replace")
            if child in seen:
                side.warnings.append(f"{doc.source}: lists {child} again (a cycle?); read once")
                continue
            seen.add(child)
            children.append(child)
        files += len(children)
        if files > limits.max_files:
            raise SitemapParseError(
                doc.source, f"leads to more than {limits.max_files} sitemap files; refusing"
            )
        for parsed in load_children(children, doc):
            yield from visit(parsed, depth + 1)

    yield from visit(root, 0)


def _note(side: Side, doc: ParsedSitemap) -> ParsedSitemap:
    side.sources.append(doc.source)
    side.warnings.extend(doc.warnings)
    return doc


def merge(docs: Iterable[ParsedSitemap]) -> dict[bytes, bytes]:
    """One loc -> lastmod dict from many urlsets; a loc in several keeps its latest lastmod.

    Equal lastmod texts share one object (most sites repeat dates): this dict is the one
    that lives for the whole run, so every byte per URL counts.
    """
    merged: dict[bytes, bytes] = {}
    shared: dict[bytes, bytes] | None = {}
    for doc in docs:
        entries = doc.entries
        if shared is not None and entries:
            known = len(shared)
            lastmods = list(map(shared.setdefault, entries.values(), entries.values()))
            entries = dict(zip(entries, lastmods, strict=True))
            if len(shared) - known > len(entries) // 2:
                shared = None  # mostly unique values: sharing would only cost memory
        if not merged:
            merged = entries
        elif merged.keys().isdisjoint(entries):
            merged.update(entries)
        else:
            merged = merge_duplicates([*merged, *entries], [*merged.values(), *entries.values()])
    return merged


# --- the build (and a baseline) on disk ---------------------------------------------------------


def find_build_sitemap(path: Path, what: str = "--build") -> Path:
    """The sitemap file for a --build/--baseline value: the file itself, or the first of
    BUILD_NAMES inside a folder."""
    if path.is_file():
        return path
    if path.is_dir():
        for name in BUILD_NAMES:
            candidate = path / name
            if candidate.is_file():
                return candidate
        raise BuildSitemapError(
            f"{what} {path}: no sitemap found in this folder",
            cause=f"looked for {', '.join(BUILD_NAMES)}",
            fix="build the site first, or pass the sitemap file itself",
        )
    raise BuildSitemapError(f"{what} {path}: no such file or folder")


def read_file(path: Path, limits: Limits, *, size_only: bool = False) -> bytes:
    """The file's bytes (``b""`` with ``size_only``: only check that it may be read)."""
    try:
        size = path.stat().st_size
        if size > limits.max_sitemap_bytes * 2 and not _looks_gzip(path):
            raise BuildSitemapError(f"{path}: {too_large(limits.max_sitemap_bytes)}")
        return b"" if size_only else path.read_bytes()
    except OSError as exc:
        raise BuildSitemapError(f"{path}: cannot be read ({exc.strerror})") from exc


def read_sitemap_file(path: Path, limits: Limits) -> ParsedSitemap:
    """One sitemap file, read and parsed a piece at a time."""
    read_file(path, limits, size_only=True)
    cap, prefix = limits.max_sitemap_bytes, limits.key_prefix
    try:
        with path.open("rb") as handle:
            pieces = iter(partial(handle.read, FEED_CHUNK), b"")
            parsed = read_pieces(pieces, str(path), max_bytes=cap, key_prefix=prefix)
    except OSError as exc:
        raise BuildSitemapError(f"{path}: cannot be read ({exc.strerror})") from exc
    if parsed is None:  # not well-formed: read whole, to repair raw '&' or say what is wrong
        parsed = parse_sitemap(read_file(path, limits), str(path), max_bytes=cap, key_prefix=prefix)
    return parsed


def _looks_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def map_child_to_file(child_url: str, index_file: Path, root: Path) -> Path | None:
    """The file under ``root`` that a built index's child URL names.

    Tries the URL's path under the build root, then with leading segments dropped (a site
    served under a base path such as GitHub Pages' /repo/), then relative to the index file
    (relative child locs, as Hugo writes for languages). Never leaves ``root``.
    """
    parts = urlsplit(child_url)
    if parts.scheme and parts.netloc:
        path = unquote(parts.path)
    else:
        path = unquote(
            urljoin("/" + index_file.parent.relative_to(root).as_posix() + "/", child_url.strip())
        )
        path = urlsplit(path).path
    segments = [s for s in PurePosixPath(path).parts if s not in ("/", "", ".")]
    if ".." in segments or not segments:
        return None
    resolved_root = root.resolve()
    for start in range(len(segments)):
        candidate = root.joinpath(*segments[start:])
        if candidate.is_file() and candidate.resolve().is_relative_to(resolved_root):
            return candidate
    return None


def build_root(path: Path, sitemap_file: Path) -> Path:
    """The folder a built index's child URLs are mapped under (:func:`map_child_to_file`):
    the build folder, or the folder of a sitemap file passed itself."""
    return path if path.is_dir() else sitemap_file.parent


def read_disk_side(path: Path, limits: Limits, side: Side, what: str) -> Iterator[ParsedSitemap]:
    """Every urlset of a build (or baseline) sitemap on disk, children mapped to files.
    ``side.sources`` lists every file read, indexes included, each before its children."""
    sitemap_file = find_build_sitemap(path, what)
    root_dir = build_root(path, sitemap_file)
    read_files = {sitemap_file.resolve()}

    def parse_file(file: Path) -> ParsedSitemap:
        return read_sitemap_file(file, limits)

    def load_children(children: list[str], index: ParsedSitemap) -> Iterator[ParsedSitemap]:
        index_file = Path(index.source)
        files: list[Path] = []
        for child in children:
            file = map_child_to_file(child, index_file, root_dir)
            if file is None:
                raise BuildSitemapError(
                    f"{index.source}: lists {child}, but no such file is under {root_dir}",
                    cause=f"looked for {_expected_path(child, root_dir)}; a built index's "
                    "children must be in the build folder (they are never fetched)",
                    fix="build the whole site, or pass the folder that holds every sitemap file",
                )
            if file.resolve() in read_files:
                side.warnings.append(f"{index.source}: lists {child} again (a cycle?); read once")
                continue
            read_files.add(file.resolve())
            files.append(file)
        for doc in bounded_map(parse_file, files, limits.workers):
            yield _note(side, doc)

    try:
        root = _note(side, parse_file(sitemap_file))
        yield from walk(root, load_children, limits, side)
    except SitemapParseError as exc:
        raise _disk_error(exc, what, path) from exc


def _disk_error(exc: SitemapParseError, what: str, given: Path) -> BuildSitemapError:
    """A sitemap file on disk that cannot be read. A file passed itself (``--build
    dist/index.html``) is named with its option; a file of another kind (an HTML page, a
    feed, other XML) gets a fix that fits the disk, not the live site's "served"."""
    named = given.is_file() and exc.source == str(given)
    fix = exc.fix
    if exc.wrong_file and named:
        whose = "the previous build's" if "baseline" in what else "the build's"
        fix = f"pass {whose} sitemap file (or the folder that holds it) with {what}"
    elif exc.wrong_file:
        fix = "the build's index lists a file that is not a sitemap: fix the generator"
    return BuildSitemapError(f"{what} {exc.what}" if named else exc.what, cause=exc.cause, fix=fix)


def _expected_path(child: str, root: Path) -> str:
    path = urlsplit(child).path.lstrip("/") or child
    return str(root / path)


# --- the live site --------------------------------------------------------------------------------


def robots_sitemaps(robots_txt: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt (any case, any group), in order, once each: the
    first word after the colon. Read line by line (a pattern anchored at every line start
    would scan all the blank lines after each one)."""
    found: dict[str, None] = {}
    for line in robots_txt.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() == "sitemap":
            words = value.split(maxsplit=1)
            if words:
                found.setdefault(words[0])
    return list(found)


def read_live_side(
    client: WebClient,
    site: str,
    live_url: str | None,
    limits: Limits,
    side: Side,
    *,
    live_named: str = "--live",
) -> Iterator[ParsedSitemap]:
    """Every urlset of the live sitemap(s). Sets ``side.missing`` when there is none (404).

    Without ``live_url``: every sitemap robots.txt lists (their union; one that answers
    404/410 is left out, with a warning); when robots.txt lists none, or every one it lists
    answers 404/410 (a stale ``Sitemap:`` line), the first of the usual names that is not
    404/410 (each read once: its status is seen as its body starts). Only when every name
    tried is missing is it a first deploy, and the warning names each one tried.
    A 404 for a ``live_url`` the user named (``--live``, ``INDEXNOW_LIVE``, config ``live``)
    is an error, never a first deploy: a typo must not submit the whole site; it says where
    the URL came from (``live_named``: ``--live``, ``INDEXNOW_LIVE``, ``indexnow.yml: live``)."""
    if live_url:
        root = _read_live(client, live_url, site, limits, missing_ok=True)
        if isinstance(root, int):
            raise _named_sitemap_missing(live_url, root, live_named)
        yield from _live_tree(client, root, site, limits, side)
        return
    listed = _discover(client, site, side)
    gone: list[tuple[str, int]] = []  # the listed sitemaps that answered 404/410
    for url in listed:
        root = _read_live(client, url, site, limits, missing_ok=True)
        if isinstance(root, int):
            gone.append((url, root))
            continue
        yield from _live_tree(client, root, site, limits, side)
    robots_url = f"{site}/robots.txt"
    stale = ", ".join(f"{url} ({status})" for url, status in gone)
    if len(gone) < len(listed):  # some listed sitemap was read: their union, and no more
        if gone:
            side.warnings.append(
                f"{robots_url} lists {stale}: not read (a stale Sitemap: line? engines read it too)"
            )
        return
    if listed:
        side.warnings.append(
            f"{robots_url} lists only sitemaps that answer 404/410 ({stale}): read "
            f"{', '.join('/' + name for name in LIVE_NAMES)} instead; fix or remove the stale "
            "Sitemap: line (engines read it too)"
        )
    tried: list[str] = []
    for name in LIVE_NAMES:
        root = _read_live(client, f"{site}/{name}", site, limits, missing_ok=True)
        if isinstance(root, int):
            tried.append(f"/{name} ({root})")
            continue
        yield from _live_tree(client, root, site, limits, side)
        return
    side.missing = True
    robots = side.robots.get(robots_url)
    if listed:
        looked = f"robots.txt lists {stale}"
    elif robots is not None and robots.status != 200:
        looked = f"{robots_url} answered {robots.status}"
    else:
        looked = f"{robots_url} lists no sitemap on this host"
    side.warnings.append(
        f"no live sitemap at {site}: {looked}; {', '.join(tried)}: treating this as a first "
        "deploy, every URL in the build counts as added (still capped by --max-urls)"
    )


def _named_sitemap_missing(url: str, status: int, named: str) -> LiveSitemapError:
    return LiveSitemapError(
        f"no sitemap at {url} (HTTP {status}): check {named}; {NOTHING_SUBMITTED}",
        cause=(
            "a sitemap you named (--live, INDEXNOW_LIVE or the config's live) must exist: "
            "only a discovered one may be missing (a first deploy)"
        ),
        fix=(
            f"correct the URL, or leave {named} out to use the site's robots.txt and "
            "/sitemap.xml; on a first deploy with no live sitemap yet, pass --baseline"
        ),
    )


def _discover(client: WebClient, site: str, side: Side) -> list[str]:
    """The sitemaps the site's robots.txt lists on its own host; none: the caller tries the
    usual names. A robots.txt answering 5xx is an unhealthy site: an error."""
    robots_url = f"{site}/robots.txt"
    response = _fetch_robots_txt(client, robots_url)
    side.robots[robots_url] = response
    if response.status >= 500:
        raise LiveSitemapError(
            f"{robots_url} answered {response.status}: the site is unhealthy; not reading the "
            f"live sitemap ({NOTHING_SUBMITTED})",
            fix="retry when it is up, or pass --baseline",
        )
    if response.status == 200 and response.content_type != "text/html":
        from .robots import whole_lines

        listed = robots_sitemaps(whole_lines(response).decode("utf-8", "replace"))
        on_site = []
        for url in listed:
            if same_host(url, site):
                on_site.append(url)
            else:
                side.warnings.append(f"{robots_url} lists {url}, not on {site}: ignored")
        if on_site:
            side.sources.append(robots_url)
            return on_site
    return []


def _fetch_robots_txt(client: WebClient, url: str) -> PrefixResponse:
    """robots.txt as engines read it: its first 500 KiB (RFC 9309), never refused for size."""
    from .robots import ROBOTS_MAX_BYTES, ROBOTS_MAX_REDIRECTS
    from .web import get_prefix

    try:
        return get_prefix(client, url, max_bytes=ROBOTS_MAX_BYTES, redirects=ROBOTS_MAX_REDIRECTS)
    except FetchError as exc:
        raise _unreadable(exc) from exc


def _fetch(client: WebClient, url: str, site: str, limits: Limits) -> HttpResponse:
    try:
        return client.get(url, same_host_as=site, max_bytes=limits.max_sitemap_bytes)
    except FetchError as exc:
        raise _unreadable(exc) from exc


def _unreadable(exc: FetchError) -> LiveSitemapError:
    return LiveSitemapError(
        f"live sitemap {exc.what}; {NOTHING_SUBMITTED}",
        cause=exc.cause or "a run never treats an unreadable live site as empty",
        fix=exc.fix,
    )


def _check_live_status(url: str, status: int) -> None:
    if status != 200:
        raise LiveSitemapError(
            f"live sitemap {url} answered HTTP {status}; {NOTHING_SUBMITTED}",
            cause="the site is unhealthy" if status >= 500 else "",
            fix="retry when it is up, or pass --baseline"
            if status >= 500
            else "pass --live with the right URL, or --baseline",
        )


def _read_live(
    client: WebClient, url: str, site: str, limits: Limits, *, missing_ok: bool = False
) -> ParsedSitemap | int:
    """One live sitemap, parsed as it downloads; with ``missing_ok``, its status instead when
    it is 404 or 410. Anything else that is not a readable sitemap is an error."""
    cap, prefix = limits.max_sitemap_bytes, limits.key_prefix
    try:
        with client.stream(url, same_host_as=site, max_bytes=cap) as answer:
            if missing_ok and answer.status in (404, 410):
                return answer.status
            _check_live_status(url, answer.status)
            parsed = read_pieces(answer.body, url, max_bytes=cap, key_prefix=prefix)
    except FetchError as exc:
        raise _unreadable(exc) from exc
    except SitemapParseError as exc:
        raise _unparsable(exc) from exc
    return parsed if parsed is not None else _read_live_whole(client, url, site, limits)


def _read_live_whole(client: WebClient, url: str, site: str, limits: Limits) -> ParsedSitemap:
    """A live sitemap that is not well-formed XML, read again whole: :func:`parse_sitemap`
    repairs raw ``&`` (as for a file) or says precisely what is wrong."""
    response = _fetch(client, url, site, limits)
    _check_live_status(url, response.status)
    try:
        return parse_sitemap(
            response.body, url, max_bytes=limits.max_sitemap_bytes, key_prefix=limits.key_prefix
        )
    except SitemapParseError as exc:
        raise _unparsable(exc) from exc


def _unparsable(exc: SitemapParseError) -> LiveSitemapError:
    return LiveSitemapError(
        f"live sitemap {exc.what}; {NOTHING_SUBMITTED}", cause=exc.cause, fix=exc.fix
    )


def read_live_children(
    client: WebClient, urls: list[str], site: str, limits: Limits
) -> Iterator[ParsedSitemap]:
    """The children of a live index, parsed, in order.

    Up to ``limits.fetch_workers`` download at once, each on a thread of its own that only
    moves the bytes it receives into a queue; this thread parses them as they come, every
    child in its own :class:`SitemapReader`. So the network's waits overlap each other and
    the parsing, no body is ever held (the queue is bounded: a download that gets ahead
    waits, and that wait is not counted against its timeout), and all parsing memory is
    this thread's (parsing on the download threads left their freed trees in per-thread
    malloc arenas: +50 MB peak at 1M URLs). A child that fails, fails the side at once; the
    other downloads are told to stop.
    """
    ahead = max(1, limits.fetch_workers)
    if ahead == 1 or len(urls) <= 1:
        for url in urls:
            child = _read_live(client, url, site, limits)
            assert not isinstance(child, int)
            yield child
        return
    arrivals: queue.Queue[tuple[int, str, object]] = queue.Queue(maxsize=2 * ahead)
    stop = threading.Event()

    def put(item: tuple[int, str, object]) -> None:
        while not stop.is_set():
            try:
                arrivals.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def download(index: int) -> None:
        url = urls[index]
        try:
            with client.stream(
                url, same_host_as=site, max_bytes=limits.max_sitemap_bytes
            ) as answer:
                put((index, "status", answer.status))
                if answer.status == 200:
                    # Handed over in parser-sized pieces: a socket read returns whatever has
                    # arrived, often a few KiB, and each piece costs a queue step and a feed.
                    parts: list[bytes] = []
                    size = 0
                    for piece in answer.body:
                        if stop.is_set():
                            return
                        parts.append(piece)
                        size += len(piece)
                        if size >= FEED_CHUNK:
                            put((index, "piece", b"".join(parts)))
                            parts, size = [], 0
                    if parts:
                        put((index, "piece", b"".join(parts)))
            put((index, "end", None))
        except FetchError as exc:
            put((index, "error", _unreadable(exc)))
        except Exception as exc:  # (raised by the parsing thread, which hands it on)
            put((index, "error", exc))

    readers: dict[int, SitemapReader | None] = {}  # None: not well-formed, read again at its end
    done: dict[int, ParsedSitemap] = {}
    next_start = 0

    def start_next() -> None:
        # Daemon threads: once the side has failed, a download still waiting on a slow server
        # must not keep the process alive until its timeout (pool threads are joined at exit).
        nonlocal next_start
        if next_start < len(urls):
            name = f"indexnow-sync-fetch-{next_start}"
            threading.Thread(target=download, args=(next_start,), name=name, daemon=True).start()
            next_start += 1

    try:
        for _ in range(ahead):
            start_next()
        for wanted in range(len(urls)):
            while wanted not in done:
                index, what, payload = arrivals.get()
                url = urls[index]
                if what == "error":
                    assert isinstance(payload, BaseException)
                    raise payload
                if what == "status":
                    assert isinstance(payload, int)
                    _check_live_status(url, payload)
                    cap, prefix = limits.max_sitemap_bytes, limits.key_prefix
                    readers[index] = SitemapReader(url, max_bytes=cap, key_prefix=prefix)
                    continue
                reader = readers[index]
                try:
                    if reader is not None and what == "piece":
                        assert isinstance(payload, bytes)
                        reader.feed(payload)
                    elif reader is not None:
                        done[index] = reader.close()
                    elif what == "end":
                        done[index] = _read_live_whole(client, url, site, limits)
                except NotWellFormed:
                    readers[index] = None
                    if what == "end":
                        done[index] = _read_live_whole(client, url, site, limits)
                except SitemapParseError as exc:
                    raise _unparsable(exc) from exc
                if index in done:
                    del readers[index]  # (its parser's memory is free for the next one)
            yield done.pop(wanted)
            start_next()
    finally:
        stop.set()  # (downloads still running stop at their next piece)


def _live_tree(
    client: WebClient, root: ParsedSitemap, site: str, limits: Limits, side: Side
) -> Iterator[ParsedSitemap]:
    def load_children(children: list[str], index: ParsedSitemap) -> Iterator[ParsedSitemap]:
        wanted = []
        for child in children:
            absolute = urljoin(index.source, child)
            if same_host(absolute, site):
                wanted.append(absolute)
            else:
                side.warnings.append(
                    f"{index.source} lists {child}, not on {site}: skipped (not read)"
                )
        for doc in read_live_children(client, wanted, site, limits):
            yield _note(side, doc)

    try:
        yield from walk(_note(side, root), load_children, limits, side)
    except SitemapParseError as exc:
        raise _unparsable(exc) from exc


__all__ = [
    "BUILD_NAMES",
    "Limits",
    "Side",
    "build_root",
    "find_build_sitemap",
    "map_child_to_file",
    "merge",
    "read_disk_side",
    "read_live_side",
    "robots_sitemaps",
]

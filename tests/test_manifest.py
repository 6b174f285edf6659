"""The fingerprint manifest: fingerprinting a build folder (bytes reuse, robots suffix, files
too large to parse), the content-changed instant, writing it (atomic, gzip), reading and
validating it from a file and from a live site on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from indexnow_sync.buildfiles import BuildFiles
from indexnow_sync.content import ROBOTS_SOME, bytes_fingerprint, compile_rules
from indexnow_sync.errors import ManifestError
from indexnow_sync.manifest import (
    DEFAULT_NAME,
    Entry,
    Manifest,
    ManifestProblem,
    build_manifest,
    content_changed,
    fetch_manifest,
    fingerprint_folder,
    parse_manifest,
    read_manifest_file,
    write_manifest,
)
from indexnow_sync.web import WebClient
from tests.siteserver import SiteServer

SITE = "https://site.example"
NOW = datetime(2025, 3, 1, 12, 30, 45, tzinfo=timezone.utc)
NOW_TEXT = "2025-03-01T12:30:45Z"
LIMIT = 1024 * 1024


def page(text: str) -> str:
    return (
        f"<!doctype html><html><head><title>T</title></head><body><main>{text}</main></body></html>"
    )


def build(root: Path, files: dict[str, str | bytes]) -> None:
    for path, body in files.items():
        file = root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, str):
            file.write_text(body, encoding="utf-8")
        else:
            file.write_bytes(body)


# --- fingerprinting a folder ----------------------------------------------------------------


def test_fingerprint_folder(tmp_path: Path) -> None:
    build(tmp_path, {"a/index.html": page("A"), "b.html": page("B"), "doc.pdf": b"%PDF-1"})
    urls = [f"{SITE}/a/", f"{SITE}/b", f"{SITE}/doc.pdf", f"{SITE}/none/"]
    found = fingerprint_folder(BuildFiles(tmp_path, urls), urls)
    fps = found.fingerprints
    assert str(fps[urls[0]]).startswith("h1:")
    assert fps[urls[0]] != fps[urls[1]]
    assert fps[urls[2]] == bytes_fingerprint(b"%PDF-1")
    assert fps[urls[3]] is None
    assert (found.files, found.parsed, found.reused) == (3, 2, 0)
    assert set(found.bytes_hashes) == {urls[0], urls[1]}  # HTML files only


def test_an_unchanged_file_reuses_its_fingerprint(tmp_path: Path) -> None:
    build(tmp_path, {"a/index.html": page("A"), "b/index.html": page("B")})
    urls = [f"{SITE}/a/", f"{SITE}/b/"]
    first = fingerprint_folder(BuildFiles(tmp_path, urls), urls)
    previous = build_manifest([(u, "") for u in urls], first, previous=None, now=NOW, site=SITE)
    build(tmp_path, {"b/index.html": page("B, edited")})
    again = fingerprint_folder(BuildFiles(tmp_path, urls), urls, previous=previous)
    assert (again.parsed, again.reused) == (1, 1)
    assert again.fingerprints[urls[0]] == first.fingerprints[urls[0]]
    assert again.fingerprints[urls[1]] != first.fingerprints[urls[1]]


def test_a_recorded_fingerprint_of_another_rule_is_not_reused(tmp_path: Path) -> None:
    build(tmp_path, {"a/index.html": page("A")})
    urls = [f"{SITE}/a/"]
    first = fingerprint_folder(BuildFiles(tmp_path, urls), urls)
    hashed = first.bytes_hashes[urls[0]]
    # The same bytes, recorded with a fingerprint from another rule (a bogus digest shows
    # whether it was reused): parsed again.
    for recorded in ("h2:bogus", f"h1{compile_rules(['.x']).tag}:bogus"):
        previous = Manifest({urls[0]: Entry(recorded, "", "", hashed)})
        again = fingerprint_folder(BuildFiles(tmp_path, urls), urls, previous=previous)
        assert again.fingerprints[urls[0]] == first.fingerprints[urls[0]]
        assert again.parsed == 1
    # The same rule: reused (the bogus digest comes back).
    previous = Manifest({urls[0]: Entry("h1:bogus", "", "", hashed)})
    again = fingerprint_folder(BuildFiles(tmp_path, urls), urls, previous=previous)
    assert again.fingerprints[urls[0]] == "h1:bogus"


def test_the_robots_suffix_is_added_and_not_reused(tmp_path: Path) -> None:
    build(tmp_path, {"a/index.html": page("A")})
    urls = [f"{SITE}/a/"]
    plain = fingerprint_folder(BuildFiles(tmp_path, urls), urls)
    previous = build_manifest([(urls[0], "")], plain, previous=None, now=NOW, site=SITE)
    blocked = fingerprint_folder(
        BuildFiles(tmp_path, urls), urls, previous=previous, robots=lambda url: ROBOTS_SOME
    )
    assert blocked.reused == 1
    assert blocked.fingerprints[urls[0]] == f"{plain.fingerprints[urls[0]]}{ROBOTS_SOME}"


def test_a_file_too_large_to_parse_is_hashed_by_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexnow_sync.manifest as manifest_module

    monkeypatch.setattr(manifest_module, "MAX_HTML_BYTES", 100)
    monkeypatch.setattr(manifest_module, "_READ_PIECE", 64)
    body = page("x" * 500).encode()
    build(tmp_path, {"big/index.html": body})
    urls = [f"{SITE}/big/"]
    found = fingerprint_folder(BuildFiles(tmp_path, urls), urls)
    assert found.fingerprints[urls[0]] == bytes_fingerprint(body)
    assert found.parsed == 0


# --- the content-changed instant ------------------------------------------------------------

URL = f"{SITE}/a/"


def earlier(
    fp: str | None, lastmod: str = "2024-01-01", changed: str = "2024-01-02T00:00:00Z"
) -> Manifest:
    return Manifest({URL: Entry(fp, lastmod, changed, None)})


CHANGED_AT = [
    # (previous manifest, fingerprint now, lastmod now, expected)
    (None, "h1:A", "2024-05-01", "2024-05-01"),  # no earlier manifest: the build's lastmod
    (None, "h1:A", "", ""),
    (Manifest({}), "h1:A", "2024-05-01", NOW_TEXT),  # a new URL
    (earlier("h1:A"), "h1:A", "2024-09-09", "2024-01-02T00:00:00Z"),  # same content: kept
    (earlier("h1:A"), "h1:B", "2024-01-01", NOW_TEXT),  # new content, lastmod unmoved: now
    (earlier("h1:A", changed=""), "h1:A", "2024-05-01", "2024-05-01"),
    (earlier(None), None, "2024-01-01", "2024-01-02T00:00:00Z"),  # no files: lastmod rule
    (earlier(None), None, "2024-06-01", NOW_TEXT),
    (earlier("h0:A"), "h1:A", "2024-01-01", "2024-01-02T00:00:00Z"),  # another rule: lastmod
    (earlier("h0:A"), "h1:A", "2024-02-01", NOW_TEXT),
]


@pytest.mark.parametrize(("previous", "fp", "lastmod", "expected"), CHANGED_AT)
def test_content_changed(
    previous: Manifest | None, fp: str | None, lastmod: str, expected: str
) -> None:
    assert content_changed(previous, URL, fp, lastmod, NOW_TEXT) == expected


# --- writing and reading --------------------------------------------------------------------


def sample() -> Manifest:
    entries = {
        f"{SITE}/a/": Entry("h1:AAAA", "2024-01-01", "2024-01-01T10:00:00Z", "HHHH"),
        f"{SITE}/doc.pdf": Entry("b1:BBBB", "", "", None),
        f"{SITE}/gone/\u00e9": Entry(None, "2024-02-02", "2024-02-02", None),
    }
    return Manifest(entries, SITE, NOW_TEXT)


@pytest.mark.parametrize("name", [DEFAULT_NAME, "fingerprints.json.gz"])
def test_write_and_read_back(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_manifest(path, sample())
    data = path.read_bytes()
    if name.endswith(".gz"):
        assert data[:2] == b"\x1f\x8b"
        data = gzip.decompress(data)
    raw = json.loads(data)
    assert raw["format"] == "indexnow-sync-fingerprints" and raw["version"] == 1
    assert raw["fields"] == ["fingerprint", "lastmod", "content_changed", "bytes"]
    assert raw["urls"][f"{SITE}/a/"] == ["h1:AAAA", "2024-01-01", "2024-01-01T10:00:00Z", "HHHH"]
    back = read_manifest_file(path, site=SITE, max_bytes=LIMIT)
    assert back is not None
    assert back.entries == sample().entries
    assert back.site == SITE and back.created == NOW_TEXT
    assert list(tmp_path.iterdir()) == [path]  # nothing left behind


def test_a_big_manifest_is_written_in_pieces(tmp_path: Path) -> None:
    entries = {f"{SITE}/p/{i}/": Entry(f"h1:{i:06d}", "", "", None) for i in range(2500)}
    path = tmp_path / DEFAULT_NAME
    write_manifest(path, Manifest(entries, SITE, NOW_TEXT))
    back = read_manifest_file(path, site=SITE, max_bytes=LIMIT)
    assert back is not None and back.entries == entries


def test_a_write_failure_names_the_way_out(tmp_path: Path) -> None:
    folder = tmp_path / "missing"
    with pytest.raises(ManifestError) as caught:
        write_manifest(folder / DEFAULT_NAME, sample())
    assert str(folder) in str(caught.value)
    assert "--fingerprints off" in str(caught.value)


def test_no_manifest_file_is_none(tmp_path: Path) -> None:
    assert read_manifest_file(tmp_path / DEFAULT_NAME, site=SITE, max_bytes=LIMIT) is None


def head(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "format": "indexnow-sync-fingerprints",
        "version": 1,
        "site": SITE,
        "urls": {f"{SITE}/a/": ["h1:AAAA", "", "", None]},
    }
    raw.update(changes)
    return raw


PROBLEMS = [
    (b"not json", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    (json.dumps([1]).encode(), "not an indexnow-sync fingerprint manifest"),
    (json.dumps(head(format="other")).encode(), "not an indexnow-sync fingerprint manifest"),
    (json.dumps(head(version=2)).encode(), "newer indexnow-sync"),
    (json.dumps(head(version="1")).encode(), "no valid format version"),
    (json.dumps(head(version=True)).encode(), "no valid format version"),
    (json.dumps(head(site="https://other.example")).encode(), "another site's manifest"),
    (json.dumps(head(site=5)).encode(), "is not a URL"),
    (json.dumps(head(urls=[])).encode(), "has no 'urls' object"),
    (json.dumps(head(urls={f"{SITE}/a/": "x"})).encode(), "malformed"),
    (json.dumps(head(urls={f"{SITE}/a/": ["h1:A", ""]})).encode(), "malformed"),
    (json.dumps(head(urls={f"{SITE}/a/": ["junk", "", "", None]})).encode(), "malformed"),
    (json.dumps(head(urls={f"{SITE}/a/": ["h1:A", 5, "", None]})).encode(), "malformed"),
    (json.dumps(head(urls={f"{SITE}/a/": ["h1:A", "", "", 7]})).encode(), "malformed"),
    (
        json.dumps(head(urls={"https://other.example/a/": ["h1:A", "", "", None]})).encode(),
        "not on",
    ),
    (b"\x1f\x8b" + b"broken", "broken gzip data"),
    (gzip.compress(b"{" * 10)[:-8], "cut short"),
    (gzip.compress(b" " * (LIMIT + 10)), "larger than"),
    (b" " * (LIMIT + 1), "larger than"),
]


@pytest.mark.parametrize(("data", "problem"), PROBLEMS, ids=range(len(PROBLEMS)))
def test_an_unusable_manifest_is_a_problem_never_an_error(data: bytes, problem: str) -> None:
    with pytest.raises(ManifestProblem) as caught:
        parse_manifest(
            data, "https://site.example/indexnow-fingerprints.json", site=SITE, max_bytes=LIMIT
        )
    assert problem in str(caught.value)
    assert str(caught.value).startswith("https://site.example/indexnow-fingerprints.json")
    assert str(caught.value).endswith(("ignored", "(upgrade indexnow-sync)"))


def test_later_fields_and_keys_are_tolerated() -> None:
    raw = head(urls={f"{SITE}/a/": ["h1:AAAA", "", "", None, "a later field"]}, extra=1)
    found = parse_manifest(json.dumps(raw).encode(), "m", site=SITE, max_bytes=LIMIT)
    assert found.entries[f"{SITE}/a/"] == Entry("h1:AAAA", "", "", None)


def test_a_manifest_without_a_site_is_checked_by_its_urls() -> None:
    found = parse_manifest(json.dumps(head(site=None)).encode(), "m", site=SITE, max_bytes=LIMIT)
    assert list(found.entries) == [f"{SITE}/a/"]
    # http and https count as the same host.
    assert parse_manifest(
        json.dumps(head()).encode(), "m", site="http://site.example", max_bytes=LIMIT
    )


# --- the live manifest ----------------------------------------------------------------------


def test_fetch_the_live_manifest(site_server: SiteServer, tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_NAME
    write_manifest(path, Manifest(sample().entries, site_server.url(""), NOW_TEXT))
    site_server.route(f"/{DEFAULT_NAME}", path.read_bytes(), content_type="application/json")
    url = site_server.url(f"/{DEFAULT_NAME}")
    site = site_server.url("")
    # The sample's URLs are on site.example: for this server's site they are foreign.
    with WebClient() as client, pytest.raises(ManifestProblem, match="not on"):
        fetch_manifest(client, url, site=site, max_bytes=LIMIT)
    own = Manifest({f"{site}/a/": Entry("h1:AAAA", "", "", None)}, site, NOW_TEXT)
    write_manifest(path, own)
    site_server.route(f"/{DEFAULT_NAME}", path.read_bytes(), gzip_encoding=True)
    with WebClient() as client:
        found = fetch_manifest(client, url, site=site, max_bytes=LIMIT)
    assert found is not None and found.entries == own.entries and found.source == url
    assert site_server.hits(f"/{DEFAULT_NAME}") == 2


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (404, b"not found", "text/plain"),
        (410, b"", "text/plain"),
        # A single-page app answers every path with its index page: no manifest yet.
        (200, b"<!doctype html><html><body>app</body></html>", "text/html"),
    ],
)
def test_no_live_manifest_is_a_first_run(
    site_server: SiteServer, status: int, body: bytes, content_type: str
) -> None:
    site_server.route(f"/{DEFAULT_NAME}", body, status=status, content_type=content_type)
    with WebClient() as client:
        found = fetch_manifest(
            client, site_server.url(f"/{DEFAULT_NAME}"), site=site_server.url(""), max_bytes=LIMIT
        )
    assert found is None


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (500, b"oops", "answered HTTP 500"),
        (200, b"{broken", "not valid JSON"),
        (200, b" " * (LIMIT + 1), "larger than"),
    ],
)
def test_a_live_manifest_that_cannot_be_used(
    site_server: SiteServer, status: int, body: bytes, problem: str
) -> None:
    site_server.route(f"/{DEFAULT_NAME}", body, status=status)
    with WebClient() as client, pytest.raises(ManifestProblem, match=problem):
        fetch_manifest(
            client, site_server.url(f"/{DEFAULT_NAME}"), site=site_server.url(""), max_bytes=LIMIT
        )


def test_a_live_manifest_off_host_redirect_is_a_problem(site_server: SiteServer) -> None:
    site_server.route(
        f"/{DEFAULT_NAME}", b"", status=302, redirect_to="https://elsewhere.example/m"
    )
    with WebClient() as client, pytest.raises(ManifestProblem, match=r"elsewhere\.example"):
        fetch_manifest(
            client, site_server.url(f"/{DEFAULT_NAME}"), site=site_server.url(""), max_bytes=LIMIT
        )

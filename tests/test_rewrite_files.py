"""``fix_build_lastmods``: every sitemap file of a build rewritten, replaced all together or
not at all (SPEC "A true lastmod in the deployed sitemap": "Each file is replaced
atomically; when one cannot be written none is replaced").

Faults are real where the OS can make them: a read-only file, a file-size limit
(RLIMIT_FSIZE: the kernel refuses the write, as a full disk does), and ``kill -9`` of a
real process at a deterministic point (the child process kills itself at its Nth rename or
fsync, so no timing is involved). ENOSPC itself is simulated by the writer the file set
takes. After each: every file is wholly old or wholly new, never truncated, and a second
run completes the set.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from indexnow_sync.errors import SitemapWriteError
from indexnow_sync.lastmod import instant
from indexnow_sync.rewrite import Corrections, fix_build_lastmods, format_lastmod, temp_path
from tests.rewrite_oracle import assert_valid, loc_and_lastmod

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and signals")

REPO = Path(__file__).resolve().parent.parent
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITE = "https://www.example.com"


def at(text: str) -> int:
    moment = instant(text.encode())
    assert moment is not None
    return moment


TRUTH = {
    f"{SITE}/": at("2025-01-10T08:00:00Z"),
    f"{SITE}/a/": at("2025-02-01T12:00:00Z"),
    f"{SITE}/b/": at("2024-11-30T23:00:00Z"),
    f"{SITE}/c/": at("2025-06-12T16:20:05Z"),  # edited today: forward
    f"{SITE}/d/": at("2023-07-01T00:00:00Z"),
}


def urlset(*entries: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}">\n'
        + "".join(entries)
        + "</urlset>\n"
    ).encode()


def url(loc: str, lastmod: str | None) -> str:
    stamp = f"\n    <lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"  <url>\n    <loc>{loc}</loc>{stamp}\n  </url>\n"


def make_build(folder: Path) -> Path:
    """An index (a MkDocs-like build date on everything) with a plain child and a gzip child
    whose entries have no lastmod; /d/ is not in the truth mapping's second child."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitemap-index.xml").write_bytes(
        (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- {"generated " * 30}-->\n'
            f'<sitemapindex xmlns="{NS}">\n'
            f"  <sitemap><loc>{SITE}/sitemap-0.xml</loc><lastmod>2025-06-12</lastmod></sitemap>\n"
            f"  <sitemap><loc>{SITE}/sitemap-1.xml.gz</loc></sitemap>\n"
            "</sitemapindex>\n"
        ).encode()
    )
    (folder / "sitemap-0.xml").write_bytes(
        urlset(
            url(f"{SITE}/", "2025-06-12"),
            url(f"{SITE}/a/", "2025-06-12"),
            url(f"{SITE}/b/", "2025-06-12"),
        )
    )
    (folder / "sitemap-1.xml.gz").write_bytes(
        gzip.compress(urlset(url(f"{SITE}/c/", None), url(f"{SITE}/d/", "2022-01-01")), mtime=0)
    )
    return folder


FILES = ("sitemap-index.xml", "sitemap-0.xml", "sitemap-1.xml.gz")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def document(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


@pytest.fixture
def fixed(tmp_path: Path) -> dict[str, bytes]:
    """What the build's files are once fixed (a run on a copy)."""
    build = make_build(tmp_path / "reference")
    fix_build_lastmods(build, TRUTH)
    return snapshot(build)


def test_every_file_is_rewritten_and_the_index_follows_its_children(tmp_path: Path) -> None:
    build = make_build(tmp_path / "build")
    result = fix_build_lastmods(build, TRUTH)
    assert [Path(f).name for f in result.files] == ["sitemap-0.xml", "sitemap-1.xml.gz", FILES[0]]
    assert result.corrections == Corrections(back=3, added=1, forward=1)
    assert result.read == 3
    child0 = (build / "sitemap-0.xml").read_bytes()
    child1 = (build / "sitemap-1.xml.gz").read_bytes()
    assert child1[:2] == b"\x1f\x8b"  # still gzip
    index = (build / "sitemap-index.xml").read_bytes()
    for data in (child0, document(child1), index):
        assert_valid(data)
    assert loc_and_lastmod(child0) == [
        (f"{SITE}/", "2025-01-10T08:00:00Z"),
        (f"{SITE}/a/", "2025-02-01T12:00:00Z"),
        (f"{SITE}/b/", "2024-11-30T23:00:00Z"),
    ]
    assert loc_and_lastmod(document(child1)) == [
        (f"{SITE}/c/", "2025-06-12T16:20:05Z"),
        (f"{SITE}/d/", "2023-07-01T00:00:00Z"),
    ]
    # The index's lastmod per child is the latest of that child's entries (added where none).
    assert loc_and_lastmod(index) == [
        (f"{SITE}/sitemap-0.xml", "2025-02-01T12:00:00Z"),
        (f"{SITE}/sitemap-1.xml.gz", "2025-06-12T16:20:05Z"),
    ]
    assert not list(build.glob(".*"))  # no temporary file left


def test_a_page_not_in_the_mapping_keeps_its_lastmod_and_counts_for_its_index(
    tmp_path: Path,
) -> None:
    build = make_build(tmp_path / "build")
    truth = {f"{SITE}/c/": at("2020-01-01T00:00:00Z")}
    fix_build_lastmods(build, truth)
    assert loc_and_lastmod(document((build / "sitemap-1.xml.gz").read_bytes())) == [
        (f"{SITE}/c/", "2020-01-01T00:00:00Z"),
        (f"{SITE}/d/", "2022-01-01"),
    ]
    index = (build / "sitemap-index.xml").read_bytes()
    assert loc_and_lastmod(index)[1] == (f"{SITE}/sitemap-1.xml.gz", "2022-01-01T00:00:00Z")
    # sitemap-0.xml: its latest entry is still 2025-06-12, now written in UTC to the second.
    assert loc_and_lastmod(index)[0] == (f"{SITE}/sitemap-0.xml", "2025-06-12T00:00:00Z")


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(tmp_path: Path) -> None:
    build = make_build(tmp_path / "build")
    before = snapshot(build)
    stamps = {name: (build / name).stat().st_mtime_ns for name in FILES}
    result = fix_build_lastmods(build, TRUTH, dry_run=True)
    assert result.corrections == Corrections(back=3, added=1, forward=1)
    assert len(result.files) == 3
    assert snapshot(build) == before
    assert {name: (build / name).stat().st_mtime_ns for name in FILES} == stamps


def test_a_second_run_changes_no_file(tmp_path: Path) -> None:
    build = make_build(tmp_path / "build")
    fix_build_lastmods(build, TRUTH)
    inodes = {name: (build / name).stat().st_ino for name in FILES}
    result = fix_build_lastmods(build, TRUTH)
    assert result.files == () and result.corrections == Corrections()
    assert {name: (build / name).stat().st_ino for name in FILES} == inodes


def test_a_sitemap_file_given_itself_is_rewritten(tmp_path: Path) -> None:
    build = make_build(tmp_path / "build")
    result = fix_build_lastmods(build / "sitemap-0.xml", TRUTH)
    assert [Path(f).name for f in result.files] == ["sitemap-0.xml"]
    assert loc_and_lastmod((build / "sitemap-0.xml").read_bytes())[0][1] == "2025-01-10T08:00:00Z"


def test_permissions_are_kept_and_a_symlink_stays_a_link(tmp_path: Path) -> None:
    build = make_build(tmp_path / "build")
    (build / "sitemap-0.xml").chmod(0o640)
    real = build / "generated" / "sitemap-0.xml"
    real.parent.mkdir()
    (build / "sitemap-0.xml").rename(real)
    (build / "sitemap-0.xml").symlink_to(real)
    fix_build_lastmods(build, TRUTH)
    assert (build / "sitemap-0.xml").is_symlink()
    assert real.stat().st_mode & 0o777 == 0o640
    assert loc_and_lastmod(real.read_bytes())[0][1] == "2025-01-10T08:00:00Z"
    assert (build / "sitemap-index.xml").stat().st_mode & 0o777 == 0o644


def assert_nothing_changed(build: Path, before: dict[str, bytes]) -> None:
    assert snapshot(build) == before  # (no file changed, and no temporary file left)


def test_a_read_only_sitemap_file_stops_the_set_and_names_it(
    tmp_path: Path, fixed: dict[str, bytes]
) -> None:
    build = make_build(tmp_path / "build")
    before = snapshot(build)
    locked = build / "sitemap-1.xml.gz"
    locked.chmod(0o444)
    with pytest.raises(SitemapWriteError) as caught:
        fix_build_lastmods(build, TRUTH)
    assert str(caught.value).splitlines() == [
        f"{locked}: is read-only",
        "--fix-lastmod rewrites the build's sitemap files in place; no sitemap file was changed",
        "fix: make the build's sitemap files writable, or run without --fix-lastmod",
    ]
    assert caught.value.exit_code == 1
    assert_nothing_changed(build, before)
    locked.chmod(0o644)
    fix_build_lastmods(build, TRUTH)
    assert snapshot(build) == fixed


def test_a_full_disk_while_writing_replaces_nothing(
    tmp_path: Path, fixed: dict[str, bytes]
) -> None:
    build = make_build(tmp_path / "build")
    before = snapshot(build)
    first_size = len(fixed["sitemap-0.xml"])
    written = [0]

    def filling_disk(fd: int, data: memoryview) -> int:
        """Writes until the disk holds the first new file and 10 bytes more."""
        room = first_size + 10 - written[0]
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        done = os.write(fd, data[:room])
        written[0] += done
        return done

    with pytest.raises(SitemapWriteError) as caught:
        fix_build_lastmods(build, TRUTH, write=filling_disk)
    message = str(caught.value)
    assert message.startswith(f"{build / 'sitemap-1.xml.gz'}: cannot be written (")
    assert "No space left on device" in message and "no sitemap file was changed" in message
    assert_nothing_changed(build, before)
    fix_build_lastmods(build, TRUTH)
    assert snapshot(build) == fixed


# --- real processes: a file-size limit, kill -9 ------------------------------------------------

RUN = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    build, truth, fault, count = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    if fault == "fsize":
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # (the write fails with EFBIG instead)
        resource.setrlimit(resource.RLIMIT_FSIZE, (count, count))
    elif fault in ("rename", "fsync"):
        calls = [0]
        def dying(real):
            def call(*args):
                calls[0] += 1
                if calls[0] > count:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*args)
            return call
        if fault == "rename":
            Path.replace = dying(Path.replace)
        else:
            os.fsync = dying(os.fsync)
    from indexnow_sync.errors import IndexNowSyncError
    from indexnow_sync.rewrite import fix_build_lastmods
    try:
        fix_build_lastmods(Path(build), truth)
    except IndexNowSyncError as exc:
        print(exc, file=sys.stderr)
        sys.exit(exc.exit_code)
    """
)


def run(build: Path, fault: str, count: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", RUN, str(build), json.dumps(TRUTH), fault, str(count)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_file_size_limit_hit_while_writing_replaces_nothing(
    tmp_path: Path, fixed: dict[str, bytes]
) -> None:
    build = make_build(tmp_path / "build")
    before = snapshot(build)
    # The new children fit under the limit, the new index (staged last) does not.
    limit = max(len(fixed["sitemap-0.xml"]), len(fixed["sitemap-1.xml.gz"])) + 1
    assert len(fixed["sitemap-index.xml"]) > limit
    done = run(build, "fsize", limit)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"{build / 'sitemap-index.xml'}: cannot be written (File too")
    assert_nothing_changed(build, before)
    fix_build_lastmods(build, TRUTH)
    assert snapshot(build) == fixed


@pytest.mark.parametrize(
    ("fault", "count"),
    [("fsync", 0), ("fsync", 2), ("rename", 1), ("rename", 2)],
    ids=["before-the-first-file", "while-staging", "after-one-rename", "after-two-renames"],
)
def test_kill_9_leaves_each_file_whole_and_a_rerun_completes_the_set(
    tmp_path: Path, fixed: dict[str, bytes], fault: str, count: int
) -> None:
    build = make_build(tmp_path / "build")
    old = snapshot(build)
    done = run(build, fault, count)
    assert done.returncode == -signal.SIGKILL, done.stderr
    after = {name: (build / name).read_bytes() for name in FILES}
    state = {name: "new" if after[name] == fixed[name] else "old" for name in FILES}
    for name in FILES:
        assert after[name] in (old[name], fixed[name]), f"{name} is neither old nor new"
    renamed = count if fault == "rename" else 0
    # Children are replaced before the index that lists them, in the order staged.
    order = ["sitemap-0.xml", "sitemap-1.xml.gz", "sitemap-index.xml"]
    assert [state[name] for name in order] == ["new"] * renamed + ["old"] * (3 - renamed)
    # Temporary files: the ones staged (the last one maybe partly written) and not renamed.
    leftovers = list(build.glob(".*.indexnow-sync.tmp"))
    assert len(leftovers) == (count + 1 if fault == "fsync" else 3 - renamed)
    fix_build_lastmods(build, TRUTH)
    assert snapshot(build) == fixed  # complete, and no temporary file left


def test_a_temporary_file_left_by_a_crash_is_removed_even_when_nothing_changes(
    tmp_path: Path,
) -> None:
    build = make_build(tmp_path / "build")
    fix_build_lastmods(build, TRUTH)
    stale = temp_path(build / "sitemap-0.xml")
    stale.write_bytes(b"<urlset half")
    assert fix_build_lastmods(build, TRUTH).files == ()
    assert not stale.exists()


def test_the_formatted_instant_is_what_the_index_says(tmp_path: Path) -> None:
    build = make_build(tmp_path / "build")
    fix_build_lastmods(build, {f"{SITE}/a/": at("2031-02-03T04:05:06.789+01:00")})
    assert loc_and_lastmod((build / "sitemap-index.xml").read_bytes())[0][1] == format_lastmod(
        at("2031-02-03T03:05:06Z")
    )


def test_a_gzip_copy_beside_the_sitemap_is_kept_a_copy(tmp_path: Path) -> None:
    # MkDocs writes sitemap.xml and the same document as sitemap.xml.gz; the build side reads
    # sitemap.xml only, and both are served.
    build = tmp_path / "site"
    build.mkdir()
    plain = urlset(url(f"{SITE}/", "2025-06-12"), url(f"{SITE}/a/", "2025-06-12"))
    (build / "sitemap.xml").write_bytes(plain)
    (build / "sitemap.xml.gz").write_bytes(gzip.compress(plain, mtime=1_700_000_000))
    result = fix_build_lastmods(build, TRUTH)
    assert [Path(f).name for f in result.files] == ["sitemap.xml", "sitemap.xml.gz"]
    assert result.corrections == Corrections(back=2)  # (the copy is not counted twice)
    new = (build / "sitemap.xml").read_bytes()
    packed = (build / "sitemap.xml.gz").read_bytes()
    assert gzip.decompress(packed) == new and packed[4:8] == (1_700_000_000).to_bytes(4, "little")
    assert loc_and_lastmod(new)[0] == (f"{SITE}/", "2025-01-10T08:00:00Z")


def test_a_copy_left_old_by_a_crash_is_completed_by_the_next_run(tmp_path: Path) -> None:
    build = tmp_path / "site"
    build.mkdir()
    plain = urlset(url(f"{SITE}/", "2025-06-12"))
    (build / "sitemap.xml").write_bytes(plain)
    (build / "sitemap.xml.gz").write_bytes(gzip.compress(plain))
    fix_build_lastmods(build, TRUTH)
    new = (build / "sitemap.xml").read_bytes()
    (build / "sitemap.xml.gz").write_bytes(gzip.compress(plain))  # (as if not renamed yet)
    result = fix_build_lastmods(build, TRUTH)
    assert [Path(f).name for f in result.files] == ["sitemap.xml.gz"]
    assert gzip.decompress((build / "sitemap.xml.gz").read_bytes()) == new


def test_a_different_file_beside_the_sitemap_is_not_a_copy(tmp_path: Path) -> None:
    build = tmp_path / "site"
    build.mkdir()
    (build / "sitemap.xml").write_bytes(urlset(url(f"{SITE}/", "2025-06-12")))
    other = gzip.compress(urlset(url(f"{SITE}/a/", "2025-06-12")))
    (build / "sitemap.xml.gz").write_bytes(other)
    result = fix_build_lastmods(build, TRUTH)
    assert [Path(f).name for f in result.files] == ["sitemap.xml"]
    assert (build / "sitemap.xml.gz").read_bytes() == other

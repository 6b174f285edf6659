"""Which file of the build folder answers a URL (one mapping for the build checks and the
fingerprints), and the symlink shortcut proven against a plain reading."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexnow_sync.buildfiles import BuildFiles, url_segments

SITE = "https://site.example"


def touch(root: Path, path: str, text: str = "x") -> None:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")


def test_the_mapping(tmp_path: Path) -> None:
    for path in ("a/index.html", "b.html", "c", "d/index.html", "index.html", "e.pdf"):
        touch(tmp_path, path)
    urls = [f"{SITE}{p}" for p in ("/a/", "/b", "/c", "/d", "/", "/e.pdf", "/none/", "/a")]
    files = BuildFiles(tmp_path, urls)
    found = [files.file_for(url) for url in urls]
    names = ["a/index.html", "b.html", "c", "d/index.html", "index.html", "e.pdf", None]
    expected = [tmp_path / n if n else None for n in names]
    assert found == [*expected, tmp_path / "a/index.html"]
    assert files.base == [] and files.base_path == ""


def test_a_trailing_slash_is_a_folder_only(tmp_path: Path) -> None:
    touch(tmp_path, "b.html")
    touch(tmp_path, "c")
    files = BuildFiles(tmp_path, [f"{SITE}/b/", f"{SITE}/c/"])
    assert files.file_for(f"{SITE}/b/") is None
    assert files.file_for(f"{SITE}/c/") is None


def test_a_base_path(tmp_path: Path) -> None:
    touch(tmp_path, "a/index.html")
    touch(tmp_path, "index.html")
    urls = ["https://me.github.io/repo/", "https://me.github.io/repo/a/"]
    files = BuildFiles(tmp_path, urls)
    assert files.base == ["repo"] and files.base_path == "/repo"
    assert files.file_for(urls[1]) == tmp_path / "a/index.html"
    assert files.file_for(urls[0]) == tmp_path / "index.html"
    # A URL outside the base path has no file, whatever the build holds.
    assert files.file_for("https://me.github.io/a/") is None


@pytest.mark.parametrize(
    "path", ["/../secret.html", "/%2e%2e/secret.html", "/a\\..\\secret.html", "/a%00b"]
)
def test_never_outside_the_folder(tmp_path: Path, path: str) -> None:
    build = tmp_path / "build"
    build.mkdir()
    touch(tmp_path, "secret.html")
    assert url_segments(SITE + path) is None
    assert BuildFiles(build, [SITE + path]).file_for(SITE + path) is None


def test_a_link_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    build = tmp_path / "build"
    touch(tmp_path, "outside/index.html")
    touch(build, "inside/index.html")
    (build / "out").symlink_to(tmp_path / "outside")
    (build / "in").symlink_to(build / "inside")
    (build / "file.html").symlink_to(tmp_path / "outside" / "index.html")
    urls = [f"{SITE}/out/", f"{SITE}/in/", f"{SITE}/file"]
    files = BuildFiles(build, urls)
    assert files.file_for(urls[0]) is None
    assert files.file_for(urls[1]) == build / "in" / "index.html"
    assert files.file_for(urls[2]) is None


def _plain(root: Path, url: str, base: list[str]) -> Path | None:
    """The mapping read plainly: every candidate's real path checked against the root's."""
    parts = url_segments(url)
    if parts is None or parts[0][: len(base)] != base:
        return None
    segments, trailing = parts[0][len(base) :], parts[1]
    if trailing or not segments:
        tries = [[*segments, "index.html"]]
    else:
        tries = [segments, [*segments[:-1], segments[-1] + ".html"], [*segments, "index.html"]]
    for names in tries:
        candidate = root.joinpath(*names)
        if candidate.is_file() and candidate.resolve().is_relative_to(root.resolve()):
            return candidate
    return None


_NAMES = st.sampled_from(["a", "b", "c.html", "index.html"])


@st.composite
def _trees(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    files = draw(st.lists(st.lists(_NAMES, min_size=1, max_size=3).map("/".join), max_size=8))
    links = draw(
        st.lists(
            st.tuples(
                st.lists(_NAMES, min_size=1, max_size=2).map("/".join),
                st.sampled_from(["in:a", "in:b", "in:a/index.html", "out:", "out:x.html"]),
            ),
            max_size=3,
        )
    )
    urls = draw(
        st.lists(
            st.lists(_NAMES, max_size=3)
            .map("/".join)
            .flatmap(lambda p: st.sampled_from([f"/{p}", f"/{p}/"])),
            min_size=1,
            max_size=6,
        )
    )
    return files, links, urls


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_trees())
def test_the_symlink_shortcut_equals_the_plain_reading(
    tmp_path_factory: pytest.TempPathFactory,
    tree: tuple[list[str], list[tuple[str, str]], list[str]],
) -> None:
    files, links, urls = tree
    top = tmp_path_factory.mktemp("tree")
    root = top / "build"
    root.mkdir()
    touch(top, "outside/x.html")
    for path in files:
        # A file where a folder is wanted: that tree just has fewer files.
        with contextlib.suppress(OSError):
            touch(root, path)
    for path, target in links:
        link = root / path
        where, _, rest = target.partition(":")
        destination = (root if where == "in" else top / "outside") / rest
        try:
            link.parent.mkdir(parents=True, exist_ok=True)
            if not os.path.lexists(link):
                link.symlink_to(destination)
        except OSError:
            pass
    full = [SITE + url for url in urls]
    mapping = BuildFiles(root, full)
    for url in full:
        assert mapping.file_for(url) == _plain(root, url, mapping.base), url


def _plain_segments(url: str) -> tuple[list[str], bool] | None:
    """url_segments read plainly: urlsplit's path, decoded."""
    path = unquote(urlsplit(url).path) or "/"
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if ".." in segments or "\\" in path or "\0" in path:
        return None
    return segments, path.endswith("/")


_URLS = st.tuples(
    st.sampled_from(["https://", "HTTP://", "h+t.tp://", "https:/", "1x://", " https://", ""]),
    st.text(alphabet="ab.:@[]-_%", max_size=8),
    st.text(alphabet="/ab.%2e;:@=\\\x00 ", max_size=12),
    st.sampled_from(["", "?", "?q=/a/../b", "#f", "#/x?y", "?\tx", "\n", "#"]),
).map("".join)


@settings(max_examples=2000, deadline=None)
@given(_URLS)
def test_url_segments_fast_path_equals_urlsplit(url: str) -> None:
    try:
        expected = _plain_segments(url)
    except ValueError:  # urlsplit refuses it: so does url_segments (no fast path takes it)
        with pytest.raises(ValueError):
            url_segments(url)
        return
    assert url_segments(url) == expected

"""Which file of a build folder a web server answers for a URL (SPEC "Checking before
submitting" and "What changed"): ``/a/`` is ``a/index.html``; ``/a`` is ``a``, ``a.html`` or
``a/index.html``; never a file outside the folder.

One mapping for everything that reads the build's pages before the deploy: the offline build
checks (``checks.check_build``) and the content fingerprints (``content``, ``manifest``). A
site served under a base path (a GitHub Pages project site: the build is served at
``/repo/``) is recognised once, from all the URLs asked about together.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The usual absolute http(s) URL: an ASCII host without brackets, then its path up to the
# query or fragment, and no tab or line break before them (urlsplit removes those, which
# moves things). Linear: no quantifier can backtrack into another.
_USUAL_URL = re.compile(r"https?://[^/?#\[\]\t\r\n\x80-\U0010ffff]*(/[^?#\t\r\n]*)?")


def url_path(url: str) -> str:
    """``urlsplit(url).path``, read straight off the usual absolute ``http(s)`` URL with one
    C regex match (a plan asks this of every build URL: ``urlsplit`` took 1.8 s of 350,000
    URLs). Exact: anything ``urlsplit`` treats specially (a tab or line break it removes, a
    bracketed or non-ASCII host it checks, a scheme in capitals) does not match, and goes to
    ``urlsplit`` itself; ``tests/test_buildfiles.py`` checks it against ``urlsplit`` on
    generated URLs."""
    match = _USUAL_URL.match(url)
    if match is not None:
        end = match.end()
        if end == len(url) or url[end] in "?#":
            return match.group(1) or ""
    return urlsplit(url).path


def url_segments(url: str) -> tuple[list[str], bool] | None:
    """The URL path's segments (decoded) and whether it ends with "/"; None when it could
    leave the folder."""
    path = unquote(url_path(url)) or "/"
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if ".." in segments or "\\" in path or "\0" in path:
        return None
    return segments, path.endswith("/")


class _Shared:
    """What :func:`base_segments` needs of a set of URL paths, gathered one path at a time
    (a build's million URLs are never held as lists of segments): the leading segments
    they all share, and the shortest and longest path's length."""

    def __init__(self) -> None:
        self.common: list[str] | None = None
        self.shortest = 0
        self.longest = 0

    def add(self, segments: list[str]) -> None:
        if self.common is None:
            self.common = list(segments)
            self.shortest = self.longest = len(segments)
            return
        self.shortest = min(self.shortest, len(segments))
        self.longest = max(self.longest, len(segments))
        common = self.common
        if segments[: len(common)] != common:
            same = 0
            for mine, theirs in zip(common, segments, strict=False):
                if mine != theirs:
                    break
                same += 1
            del common[same:]

    def depth(self, root: Path) -> int:
        """The base path's depth: the leading segments every URL shares that name nothing in
        the build, as long as some URL goes deeper."""
        depth = 0
        common = self.common
        if common is None:
            return 0
        while self.shortest > depth and self.longest > depth + 1 and depth < len(common):
            segment = common[depth]
            here = root.joinpath(*common[:depth])
            if any((here / name).exists() for name in (segment, segment + ".html")):
                break
            depth += 1
        return depth


def base_segments(paths: Iterable[list[str]], root: Path) -> int:
    """How many leading path segments the site adds in front of the build folder (a GitHub
    Pages project site serves the build under ``/repo/``): the leading segments every URL
    shares that name nothing in the build, as long as some URL goes deeper (``/docs/`` alone
    could be a page of the build that is missing, not a base path)."""
    shared = _Shared()
    for path in paths:
        shared.add(path)
    return shared.depth(root)


_isjunction = getattr(os.path, "isjunction", None)  # Python 3.12+


def _is_link(path: str) -> bool:
    """A symbolic link, or (Windows) a junction: either can point out of the folder."""
    return os.path.islink(path) or (_isjunction is not None and _isjunction(path))  # noqa: PTH114


class BuildFiles:
    """The build folder's files for a set of URLs: the base path is worked out once from all
    of them (:func:`base_segments`), then :meth:`file_for` maps each one."""

    def __init__(self, root: Path, urls: Iterable[str]) -> None:
        self.root = root
        shared = _Shared()
        for url in urls:
            parts = url_segments(url)
            if parts is not None:
                shared.add(parts[0])
        depth = shared.depth(root)
        self.base: list[str] = (shared.common or [])[:depth]
        self._root_text = os.fspath(root)
        self._resolved_root: str | None = None
        self._plain_dirs: dict[str, bool] = {}  # folder -> no symlink from the root down

    @property
    def base_path(self) -> str:
        """The base path the site serves the build under (``/repo``), "" when none."""
        return "".join("/" + segment for segment in self.base)

    def file_for(self, url: str) -> Path | None:
        """The file a web server answers for ``url``: ``/a/`` is ``a/index.html``; ``/a`` is
        ``a``, ``a.html`` or ``a/index.html``; None when the build has none, the URL is
        outside the base path, or the file is reached through a link leading out of the
        build folder."""
        found = self.path_for(url)
        return Path(found) if found is not None else None

    def path_for(self, url: str) -> str | None:
        """:meth:`file_for` as a plain path string (what reading every build file wants:
        a Path object per file cost a tenth of a byte-identical rebuild)."""
        parts = url_segments(url)
        if parts is None:
            return None
        segments, trailing = parts
        depth = len(self.base)
        if segments[:depth] != self.base:
            return None
        segments = segments[depth:]
        if trailing or not segments:
            tries = [[*segments, "index.html"]]
        else:
            tries = [segments, [*segments[:-1], segments[-1] + ".html"], [*segments, "index.html"]]
        for names in tries:
            # Plain os calls, not pathlib: a plan asks this for every build URL, and
            # pathlib's objects per try cost seconds at 1M URLs.
            candidate = os.path.join(self._root_text, *names)  # noqa: PTH118
            try:
                mode = os.lstat(candidate).st_mode
            except (OSError, ValueError):
                continue
            link = stat.S_ISLNK(mode)
            is_file = stat.S_ISREG(mode) or (link and os.path.isfile(candidate))  # noqa: PTH113
            if is_file and self._inside(candidate, names, is_link=link):
                return candidate
        return None

    def _inside(self, candidate: str, names: list[str], *, is_link: bool) -> bool:
        """Whether the file really is under the root. The names come from a URL path with no
        ``..``, ``.`` or empty segment, so only a symbolic link can lead out: when neither
        the file nor a folder from the root down (each looked at once per run) is a link,
        it is inside; otherwise its real path decides. (Resolving every file's real path
        cost 25 µs a page, most of the mapping; this costs one lstat per new folder.)"""
        folder = self._root_text
        plain = not is_link
        for name in names[:-1]:
            if not plain:
                break
            folder = os.path.join(folder, name)  # noqa: PTH118
            known = self._plain_dirs.get(folder)
            if known is None:
                known = self._plain_dirs[folder] = not _is_link(folder)
            plain = known
        if plain:
            return True
        if self._resolved_root is None:
            self._resolved_root = os.path.realpath(self._root_text)
        real = os.path.realpath(candidate)
        return Path(real).is_relative_to(self._resolved_root)

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
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

# A URL whose path urlsplit and unquote give back as the regex's group: a scheme, "//", a
# host of plain characters (no brackets, nothing urlsplit removes or checks), a path of
# plain characters without "%" (nothing to decode), then any query or fragment without the
# tab, CR and LF urlsplit would remove. Matching it is a third of urlsplit's cost, paid for
# every build URL (tests/test_buildfiles.py checks it against urlsplit).
_PLAIN_URL = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9.:@-]*"
    r"(/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?"
    r"(?:[?#][^\t\n\r]*)?"
)


def url_segments(url: str) -> tuple[list[str], bool] | None:
    """The URL path's segments (decoded) and whether it ends with "/"; None when it could
    leave the folder."""
    plain = _PLAIN_URL.fullmatch(url)
    path = (plain.group(1) if plain is not None else unquote(urlsplit(url).path)) or "/"
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if ".." in segments or "\\" in path or "\0" in path:
        return None
    return segments, path.endswith("/")


def base_segments(paths: Sequence[list[str]], root: Path) -> int:
    """How many leading path segments the site adds in front of the build folder (a GitHub
    Pages project site serves the build under ``/repo/``): the leading segments every URL
    shares that name nothing in the build, as long as some URL goes deeper (``/docs/`` alone
    could be a page of the build that is missing, not a base path)."""
    depth = 0
    while paths and all(len(p) > depth for p in paths) and any(len(p) > depth + 1 for p in paths):
        segment = paths[0][depth]
        here = root.joinpath(*paths[0][:depth])
        if any(p[depth] != segment for p in paths) or any(
            (here / name).exists() for name in (segment, segment + ".html")
        ):
            break
        depth += 1
    return depth


_isjunction = getattr(os.path, "isjunction", None)  # Python 3.12+


def _is_link(path: str) -> bool:
    """A symbolic link, or (Windows) a junction: either can point out of the folder."""
    return os.path.islink(path) or (_isjunction is not None and _isjunction(path))  # noqa: PTH114


class BuildFiles:
    """The build folder's files for a set of URLs: the base path is worked out once from all
    of them (:func:`base_segments`), then :meth:`file_for` maps each one."""

    def __init__(self, root: Path, urls: Iterable[str]) -> None:
        self.root = root
        self._split = {url: url_segments(url) for url in urls}
        usable = [s[0] for s in self._split.values() if s is not None]
        depth = base_segments(usable, root)
        self.base: list[str] = usable[0][:depth] if depth else []
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
        parts = self._split.get(url) or url_segments(url)
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

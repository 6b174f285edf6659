"""``--fix-lastmod``: the build's sitemap files rewritten so that every ``<lastmod>`` is the
instant its page's content really changed (SPEC "A true lastmod in the deployed sitemap").

Two layers:

- :func:`rewrite_lastmods` is pure: one sitemap document's bytes and ``{url: instant}`` in,
  the new bytes out. Only the text of ``<lastmod>`` elements changes, or the element is added
  right after ``<loc>`` (where the sitemaps.org schema puts it) when an entry has none.
  Nothing is re-serialised: the original bytes are copied around a few exact spans, so every
  other byte stays as it was (declaration, encoding, BOM, comments, whitespace, prefixes,
  extensions such as image, video, news and ``xhtml:link``). gzip stays gzip.
- :func:`fix_build_lastmods` applies that to every sitemap file of a build folder (an index
  and all its children, found and mapped the way the build side is read, by ``sources``),
  then replaces them all or none (:class:`FileSet`).

How the spans are found exactly: a small linear scanner (:class:`_Scanner`) walks the markup
(start and end tags with their attributes, comments, CDATA, processing instructions, a
DOCTYPE without internal subset) and resolves namespaces, character references and CDATA the
way an XML parser does, to find each entry's ``<loc>`` text and its first ``<lastmod>``
element by the same rules ``sitemap.py`` reads them. It works on the document as text:
bytes read as Latin-1 for UTF-8 and other ASCII-based encodings (markup is ASCII, and no
byte of a multi-byte UTF-8 character is), so each text position is a byte position; the
decoded text for UTF-16. Every rewrite is then checked against lxml: the new
document is parsed with ``sitemap.parse_sitemap`` and must read exactly as the old one with
the true lastmods in place, else nothing is written (:class:`RewriteError`).
``tests/test_rewrite_property.py`` checks the scanner against a plain lxml reading of
generated documents, and that the trees differ only in lastmod text. Cost: about 1.3 s of CPU
for a 50,000-URL file of 10 MB with every lastmod changed, the lxml check included.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .errors import BuildSitemapError, RewriteError, SitemapParseError, SitemapWriteError
from .lastmod import instant
from .sitemap import DEFAULT_MAX_BYTES, ParsedSitemap, decompress, is_gzip, parse_sitemap
from .sources import Limits, Side, build_root, map_child_to_file, read_disk_side, read_file

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_NANOS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Corrections:
    """How many page lastmods a rewrite changed, by direction (index entries not counted:
    they follow their children)."""

    back: int = 0  # moved back to when the content really changed (a build-date stamp)
    added: int = 0  # written where there was none (or one that is not a W3C datetime)
    forward: int = 0  # moved forward: the content changed and the generator did not date it

    @property
    def total(self) -> int:
        return self.back + self.added + self.forward

    def __add__(self, other: Corrections) -> Corrections:
        return Corrections(
            self.back + other.back, self.added + other.added, self.forward + other.forward
        )


@dataclass(frozen=True, slots=True)
class Rewritten:
    """One document after :func:`rewrite_lastmods`. ``data`` is the input object itself when
    nothing changed; ``latest`` is the latest lastmod of its entries afterwards (nanoseconds,
    None when no entry has one): what an index's ``<lastmod>`` for this file becomes."""

    data: bytes
    corrections: Corrections
    latest: int | None
    changed: bool


def truncate_to_second(nanos: int) -> int:
    return nanos - nanos % _NANOS


def format_lastmod(nanos: int) -> str:
    """A W3C datetime in UTC with seconds and ``Z``: ``2024-05-01T12:00:00Z``."""
    moment = _EPOCH + timedelta(seconds=nanos // _NANOS)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def rewrite_lastmods(
    data: bytes,
    true_lastmods: Mapping[str, int],
    source: str,
    *,
    before: ParsedSitemap | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Rewritten:
    """``data`` (one sitemap document, plain or gzip) with the ``<lastmod>`` of every entry
    whose loc is in ``true_lastmods`` set to that instant (nanoseconds since the epoch, UTC),
    written as :func:`format_lastmod` writes it: a lastmod that already reads so is left as
    it is (so a second run with the same instants changes nothing), one that names the same
    instant otherwise is reworded (not counted as a correction); entries not in the mapping
    and entries without a loc are left alone. ``before`` is the document as already parsed (by
    the caller's walk of the build), else it is parsed here. Raises
    :class:`SitemapParseError` for a document that is not a readable sitemap and
    :class:`RewriteError` for one this module will not rewrite."""
    if before is None:
        before = parse_sitemap(data, source, max_bytes=max_bytes)
    gzipped = is_gzip(data)
    document = decompress(data, source, max_bytes) if gzipped else data
    text = _Text.of(document, source)
    scanner = _Scanner(text, source)
    edits: list[tuple[int, int, str]] = []
    corrections = Corrections()
    expected: dict[bytes, int] = {}
    for entry in scanner.entries():
        if entry.loc is None:
            continue
        wanted = true_lastmods.get(entry.loc)
        if wanted is None:
            continue
        wanted = truncate_to_second(wanted)
        expected[entry.loc.encode("utf-8")] = wanted
        value = format_lastmod(wanted)
        if entry.lastmod and entry.lastmod_text.strip(_WS) == value:
            continue
        edits.append(entry.edit(value))
        old = instant(entry.lastmod_text.encode("utf-8")) if entry.lastmod else None
        if not entry.is_page or old == wanted:
            continue  # (an index's entries follow their children; the same instant reworded)
        if old is None:
            corrections += Corrections(added=1)
        elif wanted < old:
            corrections += Corrections(back=1)
        else:
            corrections += Corrections(forward=1)
    if not edits:
        return Rewritten(data, corrections, _latest(before), changed=False)
    new_document = text.encode(_apply(text.view, edits))
    new_data = _gzip_like(data, new_document) if gzipped else new_document
    after = _check(before, new_data, expected, source, max_bytes)
    return Rewritten(new_data, corrections, _latest(after), changed=True)


def _apply(view: str, edits: list[tuple[int, int, str]]) -> str:
    edits.sort()
    pieces: list[str] = []
    at = 0
    for start, end, replacement in edits:
        pieces += (view[at:start], replacement)
        at = end
    pieces.append(view[at:])
    return "".join(pieces)


def _gzip_like(original: bytes, document: bytes) -> bytes:
    """``document`` gzipped, keeping the original header's timestamp (bytes 4-7)."""
    mtime = int.from_bytes(original[4:8], "little") if len(original) >= 8 else 0
    return gzip.compress(document, compresslevel=9, mtime=mtime)


def _latest(parsed: ParsedSitemap) -> int | None:
    instants = [moment for moment in map(instant, parsed.entries.values()) if moment is not None]
    return max(instants) if instants else None


def _check(
    before: ParsedSitemap,
    new_data: bytes,
    expected: Mapping[bytes, int],
    source: str,
    max_bytes: int,
) -> ParsedSitemap:
    """The rewritten document as lxml reads it, which must be the old reading with the true
    lastmods in place: the same kind, entries and count, and every other lastmod as it was."""
    try:
        after = parse_sitemap(new_data, source, max_bytes=max_bytes)
    except SitemapParseError as exc:
        raise _not_exact(source, exc.problem) from exc
    if after.kind != before.kind or after.count != before.count:
        raise _not_exact(source, "its entries would change")
    if after.entries.keys() != before.entries.keys():
        raise _not_exact(source, "its locs would change")
    for loc, old in before.entries.items():
        new = after.entries[loc]
        wanted = expected.get(loc)
        if (new != old) if wanted is None else (instant(new) != wanted):
            raise _not_exact(source, f"the lastmod of {loc.decode('utf-8', 'replace')}")
    return after


def _not_exact(source: str, what: str) -> RewriteError:
    return RewriteError(
        source,
        f"could not be rewritten exactly ({what})",
        fix="please report this (with the file); meanwhile run without --fix-lastmod",
    )


# --- the document as text ----------------------------------------------------------------------

# Encodings read through a Latin-1 view of the bytes: markup characters are single ASCII
# bytes in them, and no byte of another character is below 0x80.
_ASCII_BASED = {"utf-8", "ascii", "latin-1", "iso8859-1"} | {
    *(f"iso8859-{n}" for n in range(2, 17)),
    *(f"cp{n}" for n in range(1250, 1259)),
}
_DECLARED_ENCODING = re.compile(r"""<\?xml[^>]*?encoding[ \t\r\n]*=[ \t\r\n]*["']([^"']*)["']""")
# Documents not read through that view, by their first bytes: a byte order mark (kept as it
# is), else how "<?" is written. (libxml2 reads no UTF-32.)
_WIDE = (
    (codecs.BOM_UTF16_LE, "utf-16-le", True),
    (codecs.BOM_UTF16_BE, "utf-16-be", True),
    (b"<\x00?\x00", "utf-16-le", False),
    (b"\x00<\x00?", "utf-16-be", False),
)


@dataclass(frozen=True, slots=True)
class _Text:
    """A document as text to scan (``view``), and the way back to bytes. ``narrow``: the
    view is the bytes read as Latin-1 (one character per byte) and ``codec`` decodes a span
    of it; else the view is the decoded text after ``bom``."""

    view: str
    codec: str
    narrow: bool
    bom: bytes = b""

    @classmethod
    def of(cls, document: bytes, source: str) -> _Text:
        for start, codec, is_bom in _WIDE:
            if document.startswith(start):
                bom = start if is_bom else b""
                try:
                    view = document[len(bom) :].decode(codec, "surrogatepass")
                except UnicodeDecodeError as exc:
                    raise RewriteError(source, f"is not valid {codec.upper()} ({exc})") from exc
                return cls(view, codec, narrow=False, bom=bom)
        view = document.decode("latin-1")
        declared = _DECLARED_ENCODING.match(view.lstrip("\xef\xbb\xbf \t\r\n"))
        name = declared.group(1).strip() if declared else "utf-8"
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            codec = name
        if codec not in _ASCII_BASED:
            raise RewriteError(
                source,
                f"declares the encoding {name!r}",
                cause="--fix-lastmod rewrites sitemaps in UTF-8 (which the protocol requires), "
                "UTF-16 and single-byte encodings only; no sitemap file was changed",
                fix="have the generator write UTF-8, or run without --fix-lastmod",
            )
        return cls(view, codec, narrow=True)

    def decode(self, span: str) -> str:
        """The characters a span of the view stands for."""
        return span.encode("latin-1").decode(self.codec) if self.narrow else span

    def encode(self, view: str) -> bytes:
        if self.narrow:
            return view.encode("latin-1")
        return self.bom + view.encode(self.codec, "surrogatepass")


# --- the scanner ---------------------------------------------------------------------------------

_WS = " \t\r\n"
_NAME = re.compile(r"[^ \t\r\n/>]+")
_ATTRIBUTE = re.compile(
    r"""[ \t\r\n]+([^ \t\r\n=/>]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')"""
)
_TAG_CLOSE = re.compile(r"[ \t\r\n]*(/?)>")
_END_TAG = re.compile(r"</([^ \t\r\n>]+)[ \t\r\n]*>")
_REFERENCE = re.compile(r"&(?:([A-Za-z_][\w.-]*)|#([0-9]+)|#x([0-9A-Fa-f]+));", re.ASCII)
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ENTRY_OF = {"urlset": "url", "sitemapindex": "sitemap"}


@dataclass(slots=True)
class _Element:
    qname: str
    scope: dict[str, str]  # prefix ("" for the default) -> namespace, in force inside it
    role: str = ""  # "root", "entry", "loc", "lastmod" or "" (anything else)


@dataclass(slots=True)
class _Entry:
    """What the rewrite needs of one ``<url>`` (or ``<sitemap>``) element."""

    is_page: bool
    scope: dict[str, str]
    loc: str | None = None  # the trimmed loc text, once its element has ended
    loc_parts: list[str] = field(default_factory=list)
    loc_element: _Element | None = None
    loc_end: int = 0  # where the loc element ends (a missing lastmod goes there)
    indent: str = ""  # the white space written before the loc element
    lastmod: bool = False  # has a lastmod element (the first one counts)
    lastmod_parts: list[str] = field(default_factory=list)
    lastmod_span: tuple[int, int] = (0, 0)  # its content, or the whole tag if self-closing
    lastmod_qname: str = ""
    lastmod_tag: str = ""  # the self-closing tag as written, else ""

    @property
    def lastmod_text(self) -> str:
        return "".join(self.lastmod_parts)

    def edit(self, value: str) -> tuple[int, int, str]:
        """The edit that makes this entry's lastmod ``value``: its content replaced (or the
        self-closing tag opened), or a new element after the loc."""
        start, end = self.lastmod_span
        if self.lastmod and self.lastmod_tag:
            tag = self.lastmod_tag.rstrip(">")[:-1]  # (drops the "/" of "/>")
            return start, end, f"{tag}>{value}</{self.lastmod_qname}>"
        if self.lastmod:
            return start, end, value
        assert self.loc_element is not None
        prefix = self.loc_element.qname.rpartition(":")[0]
        qname = f"{prefix}:lastmod" if prefix else "lastmod"
        namespace = self.loc_element.scope.get(prefix, "")
        declaration = ""
        if self.scope.get(prefix, "") != namespace:
            attribute = f"xmlns:{prefix}" if prefix else "xmlns"
            declaration = f' {attribute}="{_escape_attribute(namespace)}"'
        return self.loc_end, self.loc_end, f"{self.indent}<{qname}{declaration}>{value}</{qname}>"


def _escape_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


class _Scanner:
    """Finds the entries of one sitemap document in its text (see the module docstring).
    Linear in the document: every step moves forward with ``str.find`` or an anchored regex
    whose parts cannot overlap. Assumes a well-formed document (the caller parsed it with
    lxml first) and raises :class:`RewriteError` where it meets anything else."""

    def __init__(self, text: _Text, source: str) -> None:
        self._text = text
        self._view = text.view
        self._source = source
        self._stack: list[_Element] = []
        self._entry: _Entry | None = None
        self._entry_name = ""
        self._root_ns = ""
        self._collect: list[str] | None = None  # where character data goes (in loc/lastmod)
        self._collect_depth = 0

    def entries(self) -> Iterator[_Entry]:
        view = self._view
        pos = 0
        while True:
            lt = view.find("<", pos)
            if lt < 0:
                if self._stack:
                    raise self._error(len(view), "ends inside an element")
                return
            if self._collect is not None and lt > pos:
                self._collect.append(self._characters(view[pos:lt]))
            mark = view[lt + 1 : lt + 2]
            if mark == "/":
                pos, done = self._end_tag(view, lt)
                if done is not None:
                    yield done
            elif mark == "?":
                pos = self._past(view, "?>", lt + 2)
            elif mark != "!":
                pos, done = self._start_tag(view, lt, view[pos:lt])
                if done is not None:
                    yield done
            elif view.startswith("<!--", lt):
                pos = self._past(view, "-->", lt + 4)
            elif view.startswith("<![CDATA[", lt):
                end = self._past(view, "]]>", lt + 9)
                if self._collect is not None:
                    self._collect.append(self._cdata(view[lt + 9 : end - 3]))
                pos = end
            else:
                pos = self._doctype(view, lt)

    # -- markup --

    def _past(self, view: str, terminator: str, start: int) -> int:
        end = view.find(terminator, start)
        if end < 0:
            raise self._error(start, f"has no closing {terminator!r}")
        return end + len(terminator)

    def _doctype(self, view: str, lt: int) -> int:
        if self._stack or not view.startswith("<!DOCTYPE", lt):
            raise self._error(lt, "has markup that is not XML here")
        quote = ""
        for at in range(lt + 9, len(view)):
            char = view[at]
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char == "[":
                raise RewriteError(
                    self._source,
                    "declares a DTD internal subset (<!DOCTYPE ... [ ]>)",
                    fix="remove the DOCTYPE from the sitemap (no sitemap needs one), or run "
                    "without --fix-lastmod",
                )
            elif char == ">":
                return at + 1
        raise self._error(lt, "has an unterminated DOCTYPE")

    def _start_tag(self, view: str, lt: int, before: str) -> tuple[int, _Entry | None]:
        name = _NAME.match(view, lt + 1)
        if name is None:
            raise self._error(lt, "has a '<' that starts no element")
        pos = name.end()
        declarations: dict[str, str] = {}
        while (attribute := _ATTRIBUTE.match(view, pos)) is not None:
            key = attribute.group(1)
            if key == "xmlns" or key.startswith("xmlns:"):
                raw = attribute.group(2) if attribute.group(2) is not None else attribute.group(3)
                declarations[key[6:]] = self._characters(raw, attribute=True)
            pos = attribute.end()
        close = _TAG_CLOSE.match(view, pos)
        if close is None:
            raise self._error(lt, "has a start tag this reader cannot follow")
        end = close.end()
        parent_scope = self._stack[-1].scope if self._stack else {"xml": _XML_NS}
        scope = {**parent_scope, **declarations} if declarations else parent_scope
        element = _Element(name.group(0), scope)
        self._open(element, lt, end, view[lt:end], before)
        if close.group(1):  # <empty/>: it ends here too
            return end, self._close(element, lt, end)
        self._stack.append(element)
        return end, None

    def _end_tag(self, view: str, lt: int) -> tuple[int, _Entry | None]:
        match = _END_TAG.match(view, lt)
        if match is None or not self._stack or self._stack[-1].qname != match.group(1):
            raise self._error(lt, "has an end tag this reader cannot follow")
        element = self._stack.pop()
        return match.end(), self._close(element, lt, match.end())

    def _open(self, element: _Element, lt: int, end: int, tag: str, before: str) -> None:
        depth = len(self._stack)
        if self._collect is not None:
            self._collect_depth += 1
            return
        if depth > 2:
            return  # (inside an extension: nothing here is read)
        namespace, local = self._resolve(element)
        if depth == 0:
            if local not in _ENTRY_OF:
                raise self._error(lt, f"has the root element <{element.qname}>")
            element.role = "root"
            self._root_ns = namespace
            self._entry_name = _ENTRY_OF[local]
            return
        entry = self._entry
        if depth == 1 and local == self._entry_name and self._in_document_ns(namespace):
            element.role = "entry"
            self._entry = _Entry(is_page=self._entry_name == "url", scope=element.scope)
        elif depth == 2 and entry is not None and self._in_document_ns(namespace):
            if local == "loc" and entry.loc_element is None:
                element.role = "loc"
                entry.loc_element = element
                if not before.strip(_WS):
                    entry.indent = _indentation(before)
                self._collect, self._collect_depth = entry.loc_parts, 0
            elif local == "lastmod" and not entry.lastmod:
                element.role = "lastmod"
                entry.lastmod = True
                entry.lastmod_qname = element.qname
                entry.lastmod_span = (end, end)
                if tag.endswith("/>"):
                    entry.lastmod_span, entry.lastmod_tag = (lt, end), tag
                self._collect, self._collect_depth = entry.lastmod_parts, 0

    def _close(self, element: _Element, lt: int, end: int) -> _Entry | None:
        if self._collect is not None and self._collect_depth > 0:
            self._collect_depth -= 1
            return None
        entry = self._entry
        if element.role == "loc" and entry is not None:
            self._collect = None
            entry.loc = "".join(entry.loc_parts).strip(_WS)
            entry.loc_end = end
        elif element.role == "lastmod" and entry is not None:
            self._collect = None
            if not entry.lastmod_tag:
                entry.lastmod_span = (entry.lastmod_span[0], lt)
        elif element.role == "entry":
            self._entry = None
            return entry
        return None

    def _in_document_ns(self, namespace: str) -> bool:
        """sitemap.py's rule: in the root's namespace or in none; any when the root has
        none."""
        return not self._root_ns or namespace in (self._root_ns, "")

    def _resolve(self, element: _Element) -> tuple[str, str]:
        prefix, _, local = element.qname.rpartition(":")
        if prefix and prefix not in element.scope:
            raise RewriteError(self._source, f"uses the undeclared prefix {prefix!r}")
        return element.scope.get(prefix, ""), local

    # -- character data --

    def _characters(self, raw: str, *, attribute: bool = False) -> str:
        """What character data (or an attribute value) written as ``raw`` reads as: decoded,
        line ends normalised, references resolved; in an attribute each literal white-space
        character reads as a space. An ``&`` that starts no reference is literal (as
        ``sitemap.parse_sitemap``'s repair of raw ``&`` reads it)."""
        try:
            text = _newlines(self._text.decode(raw))
            if attribute:
                text = text.replace("\t", " ").replace("\n", " ")
            return _REFERENCE.sub(_referenced, text) if "&" in text else text
        except (ValueError, OverflowError) as exc:  # (UnicodeDecodeError is a ValueError)
            raise RewriteError(self._source, f"cannot be read as XML text ({exc})") from exc

    def _cdata(self, raw: str) -> str:
        try:
            return _newlines(self._text.decode(raw))
        except ValueError as exc:
            raise RewriteError(self._source, f"cannot be read as XML text ({exc})") from exc

    def _error(self, at: int, problem: str) -> RewriteError:
        return RewriteError(
            self._source,
            f"{problem} (at character {at})",
            fix="check that the file is well-formed XML, or run without --fix-lastmod",
        )


def _indentation(space: str) -> str:
    """The white space before a loc from its last line break on, the break written as the
    file writes it (CR LF, LF or CR): what a lastmod added after the loc is indented with."""
    cut = max(space.rfind("\n"), space.rfind("\r"))
    if cut > 0 and space[cut - 1 : cut + 1] == "\r\n":
        cut -= 1
    return space[max(cut, 0) :]


def _newlines(text: str) -> str:
    """XML end-of-line handling: CR LF and a lone CR read as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _referenced(match: re.Match[str]) -> str:
    name, decimal, hexadecimal = match.groups()
    if name is not None:
        if name not in _PREDEFINED:
            raise ValueError(f"undefined entity &{name};")
        return _PREDEFINED[name]
    return chr(int(decimal) if decimal is not None else int(hexadecimal, 16))


# --- the build folder: every file rewritten, all replaced or none ------------------------------

TEMP_SUFFIX = ".indexnow-sync.tmp"


def temp_path(target: Path) -> Path:
    """Where the new content of ``target`` is written before it replaces it: beside it (a
    rename within one folder is atomic), a dot-file (hosts and upload steps that drop
    dot-files will not publish one left by a crash), and always the same name (the next run
    removes what a crash left)."""
    return target.with_name(f".{target.name}{TEMP_SUFFIX}")


class FileSet:
    """New contents for several files, replacing them together or not at all.

    :meth:`stage` writes each new file in full beside its original (:func:`temp_path`,
    fsynced, with the original's permissions) and checks the original may be replaced: a
    read-only file is refused (its mode says it is not to be changed, even by root).
    :meth:`commit` then renames every staged file over its original, one atomic rename each,
    and syncs the folders. When staging fails (read-only, disk full, any write error), every
    temporary file is removed and nothing is replaced. Used as a context manager, an
    exception before :meth:`commit` discards what was staged.

    A crash (kill -9, power loss) leaves each file wholly old or wholly new: while staging
    only temporary files are written, and each rename replaces a whole file. A crash between
    two renames leaves some files new and some old; rewriting is idempotent (a new file
    rewritten again with the same instants is unchanged), so running again completes the
    set, and it removes the temporary files a crash left (:meth:`clear_stale`).

    ``write`` is how bytes reach a file descriptor (``os.write``; a test passes one that
    fails like a full disk).
    """

    def __init__(self, write: Callable[[int, memoryview], int] = os.write) -> None:
        self._write = write
        self._staged: list[tuple[Path, Path]] = []

    def __enter__(self) -> FileSet:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is not None:
            self.discard()

    def stage(self, target: Path, data: bytes) -> None:
        try:
            self._stage(target, data)
        except OSError as exc:
            self.discard()
            raise SitemapWriteError(
                f"{target}: cannot be written ({exc.strerror or exc})",
                cause="no sitemap file was changed: they are replaced only once every new "
                "one is written",
                fix="free space or fix the permissions in the build folder, or run without "
                "--fix-lastmod",
            ) from exc
        except SitemapWriteError:
            self.discard()
            raise

    def _stage(self, target: Path, data: bytes) -> None:
        if target.is_symlink():
            target = target.resolve()  # (the link stays; its target gets the new content)
        info = target.stat()
        if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise SitemapWriteError(
                f"{target}: is read-only",
                cause="--fix-lastmod rewrites the build's sitemap files in place; no sitemap "
                "file was changed",
                fix="make the build's sitemap files writable, or run without --fix-lastmod",
            )
        temp = temp_path(target)
        self.clear_stale(target)
        mode = stat.S_IMODE(info.st_mode)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        self._staged.append((temp, target))  # (listed before writing: a failure removes it)
        try:
            view = memoryview(data)
            while view:
                view = view[self._write(fd, view) :]
            os.fchmod(fd, mode)  # (os.open's mode was narrowed by the umask)
            os.fsync(fd)
        finally:
            os.close(fd)

    def commit(self) -> None:
        """Rename every staged file over its original, in the order staged."""
        for done, (temp, target) in enumerate(self._staged):
            try:
                temp.replace(target)
            except OSError as exc:
                left = self._staged[done:]
                self._staged = left
                self.discard()
                raise SitemapWriteError(
                    f"{target}: cannot be replaced ({exc.strerror or exc})",
                    cause=f"{done} of {done + len(left)} sitemap files were replaced already",
                    fix="fix the cause and run again: the next run completes the set",
                ) from exc
        for folder in dict.fromkeys(target.parent for _, target in self._staged):
            _sync_folder(folder)
        self._staged = []

    def discard(self) -> None:
        for temp, _target in self._staged:
            with contextlib.suppress(OSError):
                temp.unlink()
        self._staged = []

    @staticmethod
    def clear_stale(target: Path) -> None:
        """Remove a temporary file an earlier run left beside ``target`` (killed while
        staging)."""
        with contextlib.suppress(FileNotFoundError):
            temp_path(target).unlink()


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where the platform can sync a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass(frozen=True, slots=True)
class LastmodFix:
    """What ``--fix-lastmod`` did to a build (or, in a dry run, would do)."""

    files: tuple[str, ...]  # the sitemap files rewritten, in the order they were replaced
    corrections: Corrections
    read: int  # sitemap files read


def fix_build_lastmods(
    build: Path,
    true_lastmods: Mapping[str, int],
    limits: Limits | None = None,
    *,
    dry_run: bool = False,
    write: Callable[[int, memoryview], int] = os.write,
) -> LastmodFix:
    """Rewrite every sitemap file of ``build`` (a folder or a sitemap file) so that each
    page's lastmod is its instant in ``true_lastmods`` (URL -> nanoseconds, UTC), and each
    index's lastmod for a child is the latest lastmod in that child. Files are found, walked
    and their children mapped exactly as the build side is read (``sources``). Urlsets are
    rewritten first, then indexes from the deepest up; all are replaced together, children
    before the indexes that list them, or none is (:class:`FileSet`).

    A copy of a rewritten file beside it, gzipped or not (``sitemap.xml.gz`` beside
    ``sitemap.xml``, as MkDocs writes), that the walk does not read is rewritten with it
    while it holds the same document, so the two still agree. ``dry_run``: compute only,
    write nothing."""
    limits = replace(limits or Limits(), key_prefix=b"")  # (page keys: whole URLs)
    cap = limits.max_sitemap_bytes
    side = Side()
    latest: dict[Path, int | None] = {}
    corrections = Corrections()
    changed: list[str] = []
    # Files with a possible copy beside them: (copy, the file's mapping, its new document).
    copies: list[tuple[Path, Mapping[str, int], bytes]] = []

    with FileSet(write) as files:

        def take(path: Path, result: Rewritten, mapping: Mapping[str, int]) -> None:
            nonlocal corrections
            latest[path.resolve()] = result.latest
            corrections += result.corrections
            twin = _twin(path)
            if not dry_run:
                files.clear_stale(path)
                files.clear_stale(twin)
            if twin.is_file():
                copies.append((twin, mapping, decompress(result.data, str(path), cap)))
            if result.changed:
                changed.append(str(path))
                if not dry_run:
                    files.stage(path, result.data)

        urlsets: set[str] = set()
        for doc in read_disk_side(build, limits, side, "--build"):
            urlsets.add(doc.source)
            data = read_file(Path(doc.source), limits)
            result = rewrite_lastmods(data, true_lastmods, doc.source, before=doc, max_bytes=cap)
            take(Path(doc.source), result, true_lastmods)
        root_dir = build_root(build, Path(side.sources[0]))
        for source in reversed(side.sources):  # (each index after its children)
            if source in urlsets:
                continue
            path = Path(source)
            data = read_file(path, limits)
            index = parse_sitemap(data, source, max_bytes=cap)
            children: dict[str, int] = {}
            for raw in index.entries:
                child = raw.decode("utf-8", "replace")
                file = map_child_to_file(child, path, root_dir)
                moment = latest.get(file.resolve()) if file is not None else None
                if moment is not None:
                    children[child] = moment
            result = rewrite_lastmods(data, children, source, before=index, max_bytes=cap)
            take(path, result, children)
        walked = {Path(source).resolve() for source in side.sources}
        for twin, mapping, new_document in copies:
            if twin.resolve() in walked:
                continue  # (read and rewritten on its own)
            # A copy is what, rewritten the same way, gives the same document: so one that
            # a crash left behind (the file new, its copy old) is completed too.
            try:
                copy = rewrite_lastmods(read_file(twin, limits), mapping, str(twin), max_bytes=cap)
                if decompress(copy.data, str(twin), cap) != new_document:
                    continue  # not a copy
            except (SitemapParseError, SitemapWriteError, BuildSitemapError):
                continue  # (not a sitemap this run reads: not a copy either)
            if copy.changed:
                changed.append(str(twin))
                if not dry_run:
                    files.stage(twin, copy.data)
        if not dry_run:
            files.commit()
    return LastmodFix(tuple(changed), corrections, len(side.sources))


def _twin(path: Path) -> Path:
    """``sitemap.xml.gz`` for ``sitemap.xml`` and the other way round."""
    return path.with_name(path.name[:-3] if path.name.endswith(".gz") else f"{path.name}.gz")

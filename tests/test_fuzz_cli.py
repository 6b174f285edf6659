"""Issue 9: a bounded fuzz of the real CLI with mutated sitemap fixtures.

Every fixture sitemap under ``fixtures/`` is mutated (byte flips, truncation, duplicated
entries, entity and character references such as ``&#127;`` inside ``<loc>``, a BOM, gzip
wrapping, namespace changes, renamed tags), then ``indexnow-sync plan --baseline A --build B
--json --out ...`` runs on it in-process. Whatever the input:

- the exit code is 0, 1 or 2, stdout is exactly one JSON object, and no "internal error";
- on success the delta's lists (added, changed, removed, skipped URLs) are disjoint, and
  added/changed/removed hold only absolute http(s) URLs that occur as the text of a ``<loc>``
  in the decoded input, computed here independently with a plain lxml reading. A differ that
  invents URLs fails here.

A fixed seed and a few hundred cases keep it deterministic and well under a minute; a failure
names the case's seed, fixture and mutations so it can be replayed alone.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from lxml import etree

from indexnow_sync.cli import cli
from tests.conftest import FIXTURES

SEED = 20_250_609
CASES = 400
SITE = "https://www.example.com"
SITEMAP_NS = b"http://www.sitemaps.org/schemas/sitemap/0.9"

Mutation = Callable[[bytes, random.Random], bytes]


def _sources() -> list[Path]:
    found = [
        path
        for folder in ("sitemaps", "pairs", "demo")
        for path in sorted((FIXTURES / folder).rglob("*"))
        if path.is_file() and path.suffix in (".xml", ".gz")
    ]
    assert len(found) > 40, "the sitemap fixtures are missing"
    return found


# --- mutations ------------------------------------------------------------------------------

# Inserted at random places, most often inside a <loc>: character references (DEL, controls,
# separators, surrogates, non-characters), entities (known and unknown), raw DEL, CDATA.
INSERTS = [
    b"&#127;",
    b"&#x7F;",
    b"&#x7f;&#x7f;",
    b"&#127;&#127;https://www.example.com/never-listed",
    b"&#127;https://www.example.com/never-listed&#127;",
    b"\x7f",
    b"\x7f\x7fhttps://www.example.com/raw-del",
    b"&#10;https://www.example.com/after-newline",
    b"&#9;",
    b"&#13;",
    b"&#0;",
    b"&#x1F;",
    b"&#xD800;",
    b"&#xFFFE;",
    b"&#x10FFFF;",
    b"&#x85;",
    b"&#xA0;",
    b"&#x2028;",
    b"&#65;",
    b"&amp;",
    b"&lt;loc&gt;https://www.example.com/escaped-tag&lt;/loc&gt;",
    b"&bogus;",
    b"&",
    b"<![CDATA[https://www.example.com/cdata]]>",
    b"<!-- https://www.example.com/comment -->",
    b"<loc>https://www.example.com/nested-loc</loc>",
]
NAMESPACES = [
    b"",
    b"https://www.sitemaps.org/schemas/sitemap/0.9",
    b"http://www.sitemaps.org/schemas/sitemap/0.9/",
    b"http://www.google.com/schemas/sitemap/0.84",
    b"urn:not-a-sitemap",
]
RENAMES = [
    (b"loc", b"LOC"),
    (b"loc", b"link"),
    (b"loc", b"s:loc"),
    (b"lastmod", b"loc"),
    (b"url", b"uri"),
    (b"url", b"sitemap"),
    (b"urlset", b"sitemapindex"),
    (b"sitemapindex", b"urlset"),
    (b"urlset", b"feed"),
]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randint(0, len(data))]


def duplicate_entry(data: bytes, rng: random.Random) -> bytes:
    entries = list(re.finditer(rb"<(url|sitemap)>.*?</\1>", data, re.S))
    if not entries:
        return data
    chosen = rng.choice(entries)
    return data[: chosen.end()] + chosen.group(0) * rng.randint(1, 3) + data[chosen.end() :]


def insert_reference(data: bytes, rng: random.Random) -> bytes:
    token = rng.choice(INSERTS)
    locs = [m.end() for m in re.finditer(rb"<loc>", data)] + [
        m.start() for m in re.finditer(rb"</loc>", data)
    ]
    at = rng.choice(locs) if locs and rng.random() < 0.8 else rng.randint(0, len(data))
    return data[:at] + token + data[at:]


def add_bom(data: bytes, rng: random.Random) -> bytes:
    return b"\xef\xbb\xbf" + b"\n" * rng.randint(0, 2) + data


def gzip_wrap(data: bytes, rng: random.Random) -> bytes:
    return gzip.compress(data, mtime=0)


def change_namespace(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        return re.sub(rb'\s+xmlns="[^"]*"', b"", data, count=1)
    return data.replace(SITEMAP_NS, rng.choice(NAMESPACES))


def rename_tag(data: bytes, rng: random.Random) -> bytes:
    old, new = rng.choice(RENAMES)
    pattern = re.compile(rb"(</?)" + re.escape(old) + rb"(?=[\s>/])")
    if rng.random() < 0.7:
        return pattern.sub(rb"\1" + new, data)
    matches = list(pattern.finditer(data))  # one tag only: unbalanced on purpose
    if not matches:
        return data
    hit = rng.choice(matches)
    return data[: hit.start()] + hit.group(1) + new + data[hit.end() :]


MUTATIONS: list[Mutation] = [
    flip_bytes,
    truncate,
    duplicate_entry,
    insert_reference,
    insert_reference,
    insert_reference,
    add_bom,
    gzip_wrap,
    change_namespace,
    rename_tag,
]


# --- the independent reading --------------------------------------------------------------

_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


def loc_texts(data: bytes) -> set[str]:
    """Every ``<loc>`` text (any namespace) a plain lxml reading finds in a document, trimmed;
    also after escaping bare '&' (which the tool repairs, with a warning)."""
    for _ in range(3):
        if data[:2] != b"\x1f\x8b":
            break
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return set()
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    texts: set[str] = set()
    for document in (data, _BARE_AMP.sub(b"&amp;", data)):
        try:
            root = etree.fromstring(document, parser=parser)
        except etree.XMLSyntaxError:
            continue
        for element in root.iter():
            if isinstance(element.tag, str) and etree.QName(element).localname == "loc":
                text = str(element.xpath("string()"))  # the loc's string value, as XPath
                texts.update({text.strip(), text.strip(" \t\r\n")})
    return texts


def is_absolute_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Case:
    index: int
    build_source: Path
    build_mutations: list[str]
    baseline_source: Path
    baseline_mutations: list[str]
    with_site: bool

    def describe(self) -> str:
        return (
            f"seed {SEED} case {self.index}: build {self.build_source.name} "
            f"{self.build_mutations}, baseline {self.baseline_source.name} "
            f"{self.baseline_mutations}, site={self.with_site}"
        )


def _mutate(data: bytes, rng: random.Random, count: int) -> tuple[bytes, list[str]]:
    names = []
    for _ in range(count):
        mutation = rng.choice(MUTATIONS)
        data = mutation(data, rng)
        names.append(mutation.__name__)
    return data, names


def _problems(case: Case, build: bytes, baseline: bytes, tmp: Path) -> list[str]:
    folder = tmp / f"case{case.index}"
    (folder / "build").mkdir(parents=True)
    (folder / "build" / "sitemap.xml").write_bytes(build)
    (folder / "baseline.xml").write_bytes(baseline)
    args = ["plan", "--baseline", str(folder / "baseline.xml"), "--build", str(folder / "build")]
    args += ["--json", "--out", str(folder / "plan.json")]
    if case.with_site:
        args += ["--site", SITE]
    result = CliRunner().invoke(cli, args, env={"INDEXNOW_KEY": None, "GITHUB_ACTIONS": None})
    problems: list[str] = []
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return [f"raised {type(result.exception).__name__}: {result.exception}"]
    if result.exit_code not in (0, 1, 2):
        problems.append(f"exit code {result.exit_code}")
    if "internal error" in result.stdout + result.stderr:
        problems.append(f"internal error: {result.stderr.strip()[-300:]}")
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return [*problems, f"stdout is not one JSON object: {result.stdout[:200]!r}"]
    if not isinstance(report, dict):
        return [*problems, "stdout is JSON but not an object"]
    if result.exit_code != 0:
        return problems
    lists = {name: list(report[name]) for name in ("added", "changed", "removed")}
    lists["skipped"] = [entry["url"] for entry in report["skipped"]]
    names = list(lists)
    for position, first in enumerate(names):
        for second in names[position + 1 :]:
            both = set(lists[first]) & set(lists[second])
            if both:
                problems.append(f"{first} and {second} share {sorted(both)[:3]}")
    built, before = loc_texts(build), loc_texts(baseline)
    for name, allowed in (("added", built), ("changed", built), ("removed", before)):
        for url in lists[name]:
            if not is_absolute_http(url):
                problems.append(f"{name} holds {url!r}, not an absolute http(s) URL")
            elif url not in allowed:
                problems.append(f"{name} holds {url!r}, which is no <loc> text of its input")
    return problems


def test_the_cli_survives_mutated_sitemaps_and_never_invents_urls(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    sources = _sources()
    originals = {path: path.read_bytes() for path in sources}
    # Plain urlsets make most runs succeed, so the delta checks have something to check;
    # the broken and odd fixtures still come up often enough as builds.
    readable = [
        path
        for path, data in originals.items()
        if loc_texts(data) and b"<urlset" in data and b"<!DOCTYPE" not in data
    ]
    failures: list[str] = []
    for index in range(CASES):
        build_source = rng.choice(readable if rng.random() < 0.7 else sources)
        baseline_source = rng.choice(readable)
        build, build_mutations = _mutate(originals[build_source], rng, rng.randint(1, 2))
        baseline, baseline_mutations = _mutate(
            originals[baseline_source], rng, rng.choice((0, 0, 1))
        )
        case = Case(
            index,
            build_source,
            build_mutations,
            baseline_source,
            baseline_mutations,
            rng.random() < 0.5,
        )
        for problem in _problems(case, build, baseline, tmp_path):
            failures.append(f"{case.describe()}: {problem}")
    if failures:
        pytest.fail(f"{len(failures)} problem(s); first ones:\n" + "\n".join(failures[:15]))

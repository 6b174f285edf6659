"""Each URL checked the way the engines will see it before it is submitted (SPEC "Checking
before submitting"): a pure verdict from one answer, and the runner that fetches the answers.

:func:`page_verdict` takes what one GET returned (status, every header line, the first
256 KiB of the body) and the direction of the change, and says whether to send the URL, or which
``code`` skips it and why. It is a function of values, tested by tables of cases.

Decisions the SPEC leaves open, made here (and in README):

- Engines: the agents checked (``bingbot`` and ``YandexBot`` by default, or ``--robots-agent``)
  are the engines we submit for. A URL is skipped as ``noindex`` only when it is noindex for
  every one of them; noindex for some is sent, with a warning naming them. The same holds for
  robots.txt.
- The HTML head ends where an HTML5 parser ends it (and where Google says it stops reading):
  at ``<body>``, at the first element that does not belong in a head, or at text. ``<meta>``
  and ``<link>`` after that (a canonical in the body) do not count. Inside ``<noscript>`` and
  ``<template>`` nothing counts (a browser with scripting on reads them as text).
- A ``<meta http-equiv="refresh" content="0; url=...">`` to another URL is an instant redirect
  to engines: like a 3xx (``redirect`` for added and changed URLs, "moved" for removed ones).
- A canonical that differs from the URL only by http/https is sent with a warning (engines
  treat both as the same site's pages); an empty ``href`` is no canonical.
- A bot challenge (Cloudflare, Akamai, Imperva, Sucuri, DataDome, PerimeterX, AWS WAF, Vercel)
  is recognised by its headers (e.g. ``cf-mitigated: challenge``) on any status, and by its page
  on a 401/403/429/503; like a 401 or 403 it is code ``status`` and is never retried.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .buildfiles import BuildFiles
from .errors import join_message
from .models import Skipped
from .robots import Agent

if TYPE_CHECKING:
    from .content import Rules
    from .indexnow import RetryPolicy, WaitBudget
    from .web import PrefixResponse, WebClient

CODES = (
    "robots",
    "noindex",
    "canonical",
    "redirect",
    "not_found",
    "status",
    "still_live",
)
DIRECTIONS = ("added", "changed", "removed")

HeaderItems = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class PageVerdict:
    """What one URL's answer means for submitting it.

    ``send`` False comes with a ``code`` (one of :data:`CODES`). ``reason`` names what was found
    (the status, the header, the tag, the target). ``noindex_all`` and ``refused`` feed the
    run-wide guards (preview deploy, bot protection)."""

    url: str
    direction: str
    send: bool
    code: str | None
    reason: str
    status: int | None = None
    warnings: tuple[str, ...] = ()
    noindex_all: bool = False
    refused: bool = False


# --- the head of an HTML page ---------------------------------------------------------------

# Start tags that an HTML5 parser keeps in the head; anything else starts the body.
_HEAD_TAGS = frozenset(
    {"html", "head", "meta", "link", "title", "style", "script", "base", "basefont", "bgsound"}
)
_OPAQUE = frozenset({"noscript", "template"})
_TEXT_TAGS = frozenset({"title", "script", "style"})
_READ_CHUNK = 16 * 1024


@dataclass(frozen=True)
class Head:
    """The ``<meta>`` and ``<link>`` elements of a page's head (attribute names lower case)."""

    metas: tuple[dict[str, str], ...]
    links: tuple[dict[str, str], ...]
    base: str | None


class _HeadReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.base: str | None = None
        self.ended = False
        self._opaque = 0
        self._in_text = ""  # inside <title>, <script> or <style>: their text is not body text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.ended:
            return
        if tag in _OPAQUE:
            self._opaque += 1
            return
        if self._opaque:
            return
        if tag not in _HEAD_TAGS:
            self.ended = True
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            self.metas.append(values)
        elif tag == "link":
            self.links.append(values)
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        if tag in _TEXT_TAGS:
            self._in_text = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _OPAQUE:
            return  # <template/>: nothing inside
        self.handle_starttag(tag, attrs)
        self._in_text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in _OPAQUE and self._opaque:
            self._opaque -= 1
        elif tag == self._in_text:
            self._in_text = ""
        elif tag == "html" or (tag == "body" and not self._opaque):
            self.ended = True

    def handle_data(self, data: str) -> None:
        if not self.ended and not self._opaque and not self._in_text and data.strip():
            self.ended = True  # text starts the body


def read_head(html: str) -> Head:
    """The head of an HTML document, read only as far as the head goes."""
    reader = _HeadReader()
    if html.startswith("\ufeff"):
        html = html[1:]
    for start in range(0, len(html), _READ_CHUNK):
        reader.feed(html[start : start + _READ_CHUNK])
        if reader.ended:
            break
    return Head(tuple(reader.metas), tuple(reader.links), reader.base)


def _charset(content_type_header: str, body: bytes) -> str:
    declared = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type_header, re.IGNORECASE)
    if declared is not None:
        name = declared.group(1)
    else:
        meta = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", body[:4096], re.I)
        name = meta.group(1).decode("ascii", "replace") if meta else "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _decode(body: bytes, content_type_header: str) -> str:
    return body.decode(_charset(content_type_header, body), "replace")


def looks_like_html(content_type: str, body: bytes) -> bool:
    """HTML by its media type, or (with none given) by how it starts."""
    from .content import answer_is_html

    return answer_is_html(content_type, body)


# --- noindex --------------------------------------------------------------------------------

# Directives whose value contains a colon: never read as a "botname:" prefix.
_COLON_DIRECTIVES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)
_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_.-]*)\s*:(.*)$")
_NOINDEX = frozenset({"noindex", "none"})


def _noindex_in(directives: str) -> bool:
    return any(word in _NOINDEX for word in re.split(r"[\s,;]+", directives.lower()))


@dataclass(frozen=True)
class Noindex:
    """Which agents a page is noindex for, and the evidence for each."""

    agents: tuple[Agent, ...]
    evidence: tuple[str, ...]


def find_noindex(headers: HeaderItems, head: Head | None, agents: Sequence[Agent]) -> Noindex:
    """Every ``X-Robots-Tag`` header line and every robots ``<meta>`` in the head, scoped per
    engine: no prefix (and ``<meta name="robots">``) applies to all; ``bingbot:`` and
    ``msnbot:`` to Bing; ``yandex:`` and ``yandexbot:`` to Yandex; any other bot's prefix
    (``googlebot:``) to nobody we submit for."""
    hit: dict[Agent, list[str]] = {}
    evidence: list[str] = []

    def mark(scope: str | None, shown: str) -> None:
        targets = [a for a in agents if scope is None or scope in a.noindex_names]
        for agent in targets:
            hit.setdefault(agent, []).append(shown)
        if targets and shown not in evidence:
            evidence.append(shown)

    for name, value in headers:
        if name.lower() != "x-robots-tag":
            continue
        scope: str | None = None
        for part in value.split(","):
            prefix = _PREFIX.match(part)
            if prefix and prefix.group(1).lower() not in _COLON_DIRECTIVES:
                scope = prefix.group(1).lower()
                part = prefix.group(2)
            if _noindex_in(part):
                mark(scope, f"X-Robots-Tag: {value.strip()}")
    for meta in head.metas if head else ():
        meta_name = meta.get("name", "").strip().lower()
        if meta_name != "robots" and not any(meta_name in a.noindex_names for a in agents):
            continue
        if _noindex_in(meta.get("content", "")):
            shown = f'<meta name="{meta.get("name", "")}" content="{meta.get("content", "")}">'
            mark(None if meta_name == "robots" else meta_name, shown)
    return Noindex(tuple(a for a in agents if a in hit), tuple(evidence))


# --- canonical and redirects ----------------------------------------------------------------

_LINK_VALUE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL_PARAM = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;,]+))""", re.IGNORECASE)
_UNRESERVED_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def link_header_canonicals(headers: HeaderItems) -> list[str]:
    """``Link: <url>; rel="canonical"`` targets, as written, from every ``Link`` line."""
    found = []
    for name, value in headers:
        if name.lower() != "link":
            continue
        for match in _LINK_VALUE.finditer(value):
            rel = _REL_PARAM.search(match.group(2))
            rels = (rel.group(1) or rel.group(2) or rel.group(3)).lower().split() if rel else []
            if "canonical" in rels:
                found.append(match.group(1).strip())
    return found


def comparable(url: str) -> str:
    """A URL in a form where two spellings of the same address are equal: scheme and host
    lower case, default port and fragment dropped, empty path as "/", percent-escapes upper
    case and non-ASCII characters escaped. Nothing else: ``/a`` and ``/a/`` stay different."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"

    def escape(text: str) -> str:
        text = quote(text, safe="/%:@!$&'()*+,;=-._~?")
        return _UNRESERVED_ESCAPE.sub(lambda m: m.group(0).upper(), text)

    return urlunsplit((scheme, netloc, escape(parts.path or "/"), escape(parts.query), ""))


def _refresh_target(head: Head | None, base: str) -> str | None:
    """The target of an instant (0 s) meta refresh, resolved; None if there is none."""
    for meta in head.metas if head else ():
        if meta.get("http-equiv", "").strip().lower() != "refresh":
            continue
        content = meta.get("content", "")
        match = re.match(r"\s*(\d+)(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(.*)$", content, re.I)
        if match is None or int(match.group(1)) != 0:
            continue
        target = str(match.group(2)).strip().strip("'\"")
        if target:
            return urljoin(base, target)
    return None


# --- the verdict ----------------------------------------------------------------------------

_CHALLENGE_HEADERS: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("cf-mitigated", lambda v: "challenge" in v.lower(), "Cloudflare"),
    ("x-vercel-mitigated", lambda v: "challenge" in v.lower(), "Vercel"),
    ("x-amzn-waf-action", lambda v: v.strip().lower() in ("challenge", "captcha"), "AWS WAF"),
    ("x-datadome", lambda v: True, "DataDome"),
    ("x-sucuri-block", lambda v: True, "Sucuri"),
)
_CHALLENGE_PAGES: tuple[tuple[bytes, str], ...] = (
    (b"/cdn-cgi/challenge-platform/", "Cloudflare"),
    (b"<title>just a moment...</title>", "Cloudflare"),
    (b"attention required! | cloudflare", "Cloudflare"),
    (b"_incapsula_resource", "Imperva Incapsula"),
    (b"incapsula incident id", "Imperva Incapsula"),
    (b"sucuri website firewall", "Sucuri"),
    (b"captcha-delivery.com", "DataDome"),
    (b"px-captcha", "PerimeterX"),
    (b"vercel security checkpoint", "Vercel"),
    (b"errors.edgesuite.net", "Akamai"),
)
_CHALLENGE_STATUSES = frozenset({401, 403, 429, 503})


def detect_challenge(status: int, headers: HeaderItems, body: bytes) -> str | None:
    """The bot-protection service whose challenge this answer is, or None."""
    for name, value in headers:
        for header, matches, service in _CHALLENGE_HEADERS:
            if name.lower() == header and matches(value):
                return service
    if status in _CHALLENGE_STATUSES:
        sample = body[:32768].lower()
        for marker, service in _CHALLENGE_PAGES:
            if marker in sample:
                return service
    return None


def _header(headers: HeaderItems, name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), "")


def page_verdict(
    url: str,
    direction: str,
    status: int,
    headers: HeaderItems,
    body: bytes,
    agents: Sequence[Agent],
) -> PageVerdict:
    """Whether to send ``url`` given one GET's answer (redirects not followed, body cut at
    256 KiB). ``direction`` is ``added``, ``changed`` or ``removed``."""
    removed = direction == "removed"

    def skip(
        code: str, reason: str, *, noindex_all: bool = False, refused: bool = False
    ) -> PageVerdict:
        return PageVerdict(
            url, direction, False, code, reason, status, noindex_all=noindex_all, refused=refused
        )

    def send(reason: str, warnings: Iterable[str] = ()) -> PageVerdict:
        return PageVerdict(url, direction, True, None, reason, status, tuple(warnings))

    service = detect_challenge(status, headers, body)
    if service is not None:
        return skip(
            "status",
            f"HTTP {status}: a {service} bot challenge answered the checker instead of the page "
            "(this says nothing about what engines' crawlers get)",
            refused=True,
        )
    if status in (401, 403):
        return skip(
            "status",
            f"HTTP {status}: the site refuses the checker (login or bot protection?)",
            refused=True,
        )
    if 300 <= status < 400:
        location = _header(headers, "Location").strip()
        target = urljoin(url, location) if location else ""
        shown = f"redirects ({status}) to {target}" if target else f"answers {status}"
        if removed:
            if target:
                return send(f"moved: {shown}")
            return skip("status", f"{shown} without a Location: neither gone nor moved")
        if target:
            return skip("redirect", f"{shown}: submit the target instead")
        return skip("redirect", f"{shown} without a Location")
    if status in (404, 410):
        if removed:
            return send(f"gone: HTTP {status}")
        return skip("not_found", f"HTTP {status}: the page is not there (yet?)")
    if not 200 <= status < 300:
        return skip("status", f"HTTP {status}")

    content_type_header = _header(headers, "Content-Type")
    content_type = content_type_header.split(";", 1)[0].strip().lower()
    html = looks_like_html(content_type, body)
    head = read_head(_decode(body, content_type_header)) if html else None
    base = urljoin(url, head.base) if head and head.base else url

    refresh = _refresh_target(head, base)
    if refresh is not None and comparable(refresh) != comparable(url):
        if removed:
            return send(f"moved: an instant meta refresh to {refresh}")
        return skip(
            "redirect",
            f"an instant <meta http-equiv=refresh> to {refresh}: submit the target instead",
        )
    if removed:
        return skip(
            "still_live",
            f"HTTP {status}: it left the sitemap but the page is still there "
            "(a sitemap bug, or remove the page)",
        )

    warnings: list[str] = []
    noindex = find_noindex(headers, head, agents)
    evidence = "; ".join(noindex.evidence)
    if agents and len(noindex.agents) == len(agents):
        return skip("noindex", f"noindex ({evidence})", noindex_all=True)
    if noindex.agents:
        names = ", ".join(a.name for a in noindex.agents)
        warnings.append(f"{url} is noindex for {names} only ({evidence}); sent for the others")

    declared = link_header_canonicals(headers)
    if head is not None:
        for link in head.links:
            if "canonical" in link.get("rel", "").lower().split():
                declared.append(link.get("href", "").strip())
    targets: dict[str, str] = {}
    for href in declared:
        if href:  # an empty href names no canonical
            resolved = urljoin(base, href)
            targets.setdefault(comparable(resolved), resolved)
    if len(targets) > 1:
        shown = ", ".join(targets.values())
        warnings.append(f"{url} declares canonicals that disagree ({shown}): treated as none")
    elif targets:
        key, target = next(iter(targets.items()))
        mine = comparable(url)
        if key != mine:
            if key.split(":", 1)[1] == mine.split(":", 1)[1]:
                warnings.append(
                    f"{url} declares {target} as canonical (another scheme): sent anyway; "
                    "make the canonical use the scheme the site is served on"
                )
            else:
                return skip("canonical", f"its canonical is {target}: submit that URL instead")
    return send(f"HTTP {status}", warnings)


# --- the runner: fetch, judge, guard --------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a page must hold to be the build's (SPEC "Live means the build's content"): the
    build's fingerprint, the before side's (a live page showing it is a stale copy: not live
    yet), and the rules (``--ignore``) both were made with. The whole answer is read, up to
    ``max_bytes``, to fingerprint it."""

    build: str
    before: str | None
    rules: Rules
    max_bytes: int


@dataclass(frozen=True)
class Candidate:
    """A URL about to be submitted, why it is in the delta, and what its page must hold."""

    url: str
    direction: str  # "added", "changed", "removed" (or "listed" for a URL list: like added)
    expected: Expected | None = None


@dataclass(frozen=True)
class Answer:
    """One URL's GET after retries: the answer, or why there is none."""

    response: PrefixResponse | None
    problem: str = ""  # no answer: what happened
    attempts: int = 1


def fetch_page(
    client: WebClient,
    url: str,
    policy: RetryPolicy,
    budget: WaitBudget,
    *,
    max_bytes: int,
) -> Answer:
    """One GET of a page the way the checks make it (redirects not followed, at most
    ``max_bytes`` read), retried on 408/425/429/5xx and dropped connections within the run's
    budget; a bot challenge is never retried."""
    from .errors import FetchError
    from .indexnow import parse_retry_after, retryable_status
    from .web import get_prefix

    attempts = 0
    while True:
        attempts += 1
        try:
            response = get_prefix(client, url, max_bytes=max_bytes, redirects=0)
        except FetchError as exc:
            if exc.reason in ("timeout", "connection") and budget.before_retry(
                policy, attempts, None
            ):
                continue
            return Answer(None, exc.inline.removeprefix(f"{url}: "), attempts)
        status = response.status
        if (
            retryable_status(status)
            and detect_challenge(status, response.header_items, response.body) is None
        ):
            value = response.header("Retry-After")
            retry_after = parse_retry_after(value, policy.wall_clock()) if value else None
            if budget.before_retry(policy, attempts, retry_after):
                continue
        return Answer(response, attempts=attempts)


def _fetch_verdict(
    client: WebClient,
    candidate: Candidate,
    agents: Sequence[Agent],
    policy: RetryPolicy,
    budget: WaitBudget,
) -> PageVerdict:
    """The verdict on one GET (:func:`fetch_page`, 256 KiB read; the whole page when its
    content is compared with the build's)."""
    from .web import PAGE_MAX_BYTES

    url, direction, expected = candidate.url, candidate.direction, candidate.expected
    limit = PAGE_MAX_BYTES if expected is None else max(expected.max_bytes, PAGE_MAX_BYTES)
    answer = fetch_page(client, url, policy, budget, max_bytes=limit)
    response, attempts = answer.response, answer.attempts
    if response is None:
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        return PageVerdict(url, direction, False, "status", f"no answer{tries}: {answer.problem}")
    verdict = page_verdict(
        url, direction, response.status, response.header_items, response.body, agents
    )
    if attempts > 1 and verdict.code == "status":
        verdict = replace(verdict, reason=f"{verdict.reason} (after {attempts} attempts)")
    if expected is not None and verdict.send and not response.truncated:
        verdict = _by_content(verdict, response, expected)
    return verdict


def _by_content(verdict: PageVerdict, response: PrefixResponse, expected: Expected) -> PageVerdict:
    """A page that passed the checks, compared with the build's content: the build's (live),
    the before side's (a stale copy: not live yet), or neither (the server or a CDN rewrites
    it: sent, with a warning)."""
    from .content import fingerprint, made_as_html, page_part

    html = made_as_html(expected.build)
    live = page_part(fingerprint(response.body, verdict.url, html=html, rules=expected.rules))
    if live == page_part(expected.build):
        return verdict
    if expected.before is not None and live == page_part(expected.before):
        return replace(
            verdict,
            send=False,
            code="stale",
            reason=f"HTTP {verdict.status} with the previous content (a cached copy?)",
            warnings=(),
        )
    seen = (
        "neither the build's nor the previous one"
        if expected.before is not None
        else "not the build's (and the previous content is not known)"
    )
    note = (
        f"{verdict.url}: the live page's content is {seen} (does the server or a CDN "
        "rewrite pages, e.g. e-mail obfuscation or injected markup?): sent anyway; "
        "--ignore SELECTOR leaves such parts out"
    )
    return replace(verdict, warnings=(*verdict.warnings, note))


def check_pages(
    client: WebClient,
    candidates: Sequence[Candidate],
    agents: Sequence[Agent],
    *,
    concurrency: int = 8,
    policy: RetryPolicy | None = None,
    budget: WaitBudget | None = None,
) -> list[PageVerdict]:
    """One verdict per candidate, in order: at most ``concurrency`` GETs at once (the work is
    waiting on the network, so threads suffice). Callable again with the URLs that were not
    live yet (their verdicts say ``not_found`` or ``still_live``)."""
    from .indexnow import RetryPolicy, WaitBudget

    policy = policy or RetryPolicy()
    budget = budget or WaitBudget(policy.max_wait_total)
    if not candidates:
        return []
    workers = max(1, min(concurrency, len(candidates)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
        return list(
            pool.map(lambda c: _fetch_verdict(client, c, agents, policy, budget), candidates)
        )


def guard_problem(verdicts: Sequence[PageVerdict]) -> str | None:
    """Why the run must stop although no single URL is wrong: every checked page (3 or more)
    refused the checker, or every one is noindex. None when neither holds."""
    if len(verdicts) < 3:
        return None
    if all(v.refused for v in verdicts):
        return join_message(
            f"all {len(verdicts)} checked pages answered 401, 403 or a bot challenge; nothing "
            "was sent",
            "the site's bot protection refuses the checker, which says nothing about what "
            "engines' crawlers get",
            "allow the User-Agent 'indexnow-sync/' through the protection, or use "
            "--check robots (robots.txt only, no page requests)",
        )
    if all(v.noindex_all for v in verdicts):
        return join_message(
            f"all {len(verdicts)} checked pages are noindex; nothing was sent",
            "the host looks like a preview or staging deploy (platforms mark those with "
            "X-Robots-Tag: noindex)",
            "point --site at the production host, or fix the noindex",
        )
    return None


@dataclass
class CheckResult:
    """The checks' outcome for a list of candidates: what to send, what is skipped and why."""

    send: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verdicts: list[PageVerdict] = field(default_factory=list)
    robots_files: list[str] = field(default_factory=list)  # robots.txt URLs read
    guard: str | None = None


MAX_URL_WARNINGS = 20


def run_checks(
    client: WebClient,
    candidates: Sequence[Candidate],
    agents: Sequence[Agent],
    *,
    mode: str,
    concurrency: int = 8,
    policy: RetryPolicy | None = None,
    budget: WaitBudget | None = None,
    secret: str | None = None,
    progress: Callable[[str], None] | None = None,
    settle: Callable[[Sequence[Candidate], list[PageVerdict]], list[PageVerdict]] | None = None,
    robots_read: Mapping[str, PrefixResponse] | None = None,
    site: str | None = None,
) -> CheckResult:
    """robots.txt (``mode`` ``robots`` or ``pages``), then one GET per remaining URL
    (``pages``). Raises :class:`RobotsError` when a robots.txt is unreachable: the site's
    own (``site``'s scheme); one of the other scheme, which only some URLs bring in (an
    ``https://`` URL in a list for an ``http://`` site), costs only those URLs, skipped with
    code ``robots`` (engines read it as "disallow everything", RFC 9309). A URL that
    contains ``secret`` (the key: a sitemap listing the key file) is never requested.
    ``settle`` (waiting for the deploy) gets the pages' first verdicts and returns the final
    ones, after checking again those that were not live yet."""
    from .errors import RobotsError
    from .indexnow import RetryPolicy, WaitBudget
    from .robots import fetch_robots, judge, robots_url

    policy = policy or RetryPolicy()
    budget = budget or WaitBudget(policy.max_wait_total)
    result = CheckResult()
    url_warnings: list[str] = []
    if mode == "off" or not candidates:
        result.send = [c.url for c in candidates]
        return result

    remaining: list[Candidate] = []
    for candidate in candidates:
        if secret and secret in candidate.url:
            result.skipped.append(
                Skipped(
                    candidate.url,
                    "contains the IndexNow key (the key file?): not requested, not submitted",
                    "invalid",
                )
            )
        else:
            remaining.append(candidate)

    files = {}
    unreachable: dict[str, str] = {}  # robots.txt of another scheme than the site's -> why
    for origin in dict.fromkeys(robots_url(c.url) for c in remaining):
        known = (robots_read or {}).get(origin)
        try:
            fetched = fetch_robots(client, origin, policy=policy, budget=budget, known=known)
        except RobotsError as exc:
            if site is None or urlsplit(origin).scheme == urlsplit(site).scheme:
                raise
            unreachable[origin] = exc.what.removesuffix("; nothing was submitted")
            continue
        files[origin] = fetched
        result.robots_files.append(origin)
        result.warnings.extend(fetched.warnings)
        if progress is not None:
            rules = fetched.status is not None and 200 <= fetched.status < 300
            progress(f"{origin}: HTTP {fetched.status} ({'rules' if rules else 'allows all'})")
    allowed: list[Candidate] = []
    for candidate in remaining:
        if robots_url(candidate.url) in unreachable:
            source = "the URL list" if candidate.direction == "listed" else "the sitemap"
            reason = (
                f"{unreachable[robots_url(candidate.url)]}: engines read that as 'disallow "
                f"everything' (RFC 9309); the site is {site}, only {source} brings in this "
                f"{urlsplit(candidate.url).scheme}:// URL"
            )
            result.skipped.append(Skipped(candidate.url, reason, "robots"))
            continue
        robots = judge(candidate.url, files[robots_url(candidate.url)].rules, agents)
        if robots.blocked_for_all:
            result.skipped.append(Skipped(candidate.url, robots.describe(), "robots"))
            continue
        if robots.blocked:
            url_warnings.append(f"{candidate.url}: {robots.describe()} only; sent for the others")
        allowed.append(candidate)

    if mode == "pages":
        if progress is not None and allowed:
            progress(
                f"checking {len(allowed)} page(s): one GET each, {concurrency} at a time, "
                "redirects not followed"
            )
        verdicts = check_pages(
            client, allowed, agents, concurrency=concurrency, policy=policy, budget=budget
        )
        if settle is not None:
            verdicts = settle(allowed, verdicts)
        result.verdicts = verdicts
        result.guard = guard_problem(verdicts)
        for verdict in verdicts:
            url_warnings.extend(verdict.warnings)
            if verdict.send:
                result.send.append(verdict.url)
            else:
                code = verdict.code or "status"
                result.skipped.append(Skipped(verdict.url, verdict.reason, code))
    else:
        result.send = [c.url for c in allowed]

    result.warnings.extend(url_warnings[:MAX_URL_WARNINGS])
    if len(url_warnings) > MAX_URL_WARNINGS:
        result.warnings.append(
            f"... and {len(url_warnings) - MAX_URL_WARNINGS} more warnings about single pages"
        )
    return result


# --- the build, before the deploy -----------------------------------------------------------

_HTML_SUFFIXES = (".html", ".htm")


@dataclass(frozen=True)
class BuildCheck:
    """Problems found in the build: each as a code and reason per URL (nothing is skipped for
    them: the live check decides), and the warnings that report them."""

    findings: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    pages_read: int = 0


def check_build(
    root: Path,
    urls: Sequence[str],
    agents: Sequence[Agent],
    *,
    mode: str,
    limit: int = 10_000,
) -> BuildCheck:
    """The build's robots.txt and HTML files checked offline, the way :func:`run_checks`
    checks the live site, for the URLs about to be submitted (at most ``limit`` files read)."""
    from .robots import judge, read_robots_file

    findings: list[Skipped] = []
    notes: list[str] = []
    files = BuildFiles(root, urls)

    robots_file = root / "robots.txt"
    if robots_file.is_file() and mode in ("pages", "robots"):
        if files.base:
            notes.append(
                f"{robots_file} is served at {files.base_path}/robots.txt, where engines do "
                "not look (they read robots.txt only at the host's root): not checked"
            )
        else:
            rules, odd = read_robots_file(robots_file)
            notes.extend(f"{robots_file} {note}" for note in odd)
            for url in urls:
                blocked = judge(url, rules, agents)
                if blocked.blocked_for_all:
                    findings.append(Skipped(url, f"the build's {blocked.describe()}", "robots"))
                elif blocked.blocked:
                    notes.append(f"{url}: the build's {blocked.describe()} only")

    read = 0
    if mode == "pages":
        for url in urls:
            if read >= limit:
                continue
            file = files.file_for(url)
            if file is None:
                continue  # not a page of this build (or generated elsewhere): not checked
            read += 1
            with file.open("rb") as handle:
                body = handle.read(256 * 1024)
            content_type = "text/html" if file.suffix.lower() in _HTML_SUFFIXES else ""
            headers = [("Content-Type", content_type)]
            verdict = page_verdict(url, "added", 200, headers, body, agents)
            notes.extend(verdict.warnings)
            if not verdict.send and verdict.code is not None:
                findings.append(Skipped(url, f"{file}: {verdict.reason}", verdict.code))
        if read >= limit and len(urls) > limit:
            notes.append(f"only the first {limit} pages of the build were checked (--max-urls)")

    warnings = [
        f"build check: {finding.url}: {finding.reason}" for finding in findings[:MAX_URL_WARNINGS]
    ]
    if len(findings) > MAX_URL_WARNINGS:
        warnings.append(
            f"build check: ... and {len(findings) - MAX_URL_WARNINGS} more problems "
            "(all in the JSON report and the plan file)"
        )
    warnings.extend(f"build check: {note}" for note in notes[:MAX_URL_WARNINGS])
    if len(notes) > MAX_URL_WARNINGS:
        warnings.append(f"build check: ... and {len(notes) - MAX_URL_WARNINGS} more warnings")
    return BuildCheck(tuple(findings), tuple(warnings), read)

"""robots.txt as the engines read it: RFC 9309 status rules around one fetch per origin, the
rules evaluated by Protego, per engine agent (SPEC "Checking before submitting").

Protego parses and matches (longest match wins, Allow wins a tie, ``*`` and ``$``); it does not
fetch, so the status rules are ours (RFC 9309 section 2.3.1):

- 2xx: the rules apply. An HTML page served as robots.txt (an SPA fallback) holds no rules:
  everything is allowed, with a warning. A UTF-8 BOM is dropped; CR, LF and CRLF all end lines.
  Only the first 500 KiB are read (the RFC's minimum, and what Google reads); a longer file is
  cut at its last complete line, with a warning.
- 3xx: same-host redirects are followed (at most 5); a longer chain, or one that leaves the
  host, counts as "unavailable" (RFC 9309 allows that reading): everything allowed, with a
  warning naming the target.
- 4xx (except 429): unavailable, everything allowed.
- 5xx, 429, a timeout or no connection: engines assume the whole site is disallowed, so the run
  stops (:class:`~indexnow_sync.errors.RobotsError`, exit 1, nothing sent). They are retried
  first, within the run's retry budget. Google treats 429 like a 5xx, and so do we.

Agents. Protego picks the group whose product token is the longest found in the name asked
for, else ``*``. That is right for most crawlers; two engines add rules of their own:

- Bing (``bingbot``): a ``bingbot`` group replaces ``*``; without one, bingbot still obeys a
  ``msnbot`` group (its predecessor's token, which Bing kept honouring), then ``*``.
- Yandex (``YandexBot``): "any group whose User-agent contains Yandex" (case-insensitive), the
  most specific first: a group naming ``YandexBot`` (also spelt ``Yandex Bot``), else the
  groups naming ``Yandex`` generically, else ``*``. Groups naming another Yandex robot
  (``YandexImages``, ``YandexMobileBot``...) are for that robot, as Yandex's own example shows.
  Tokens are compared with case, spaces and punctuation ignored, and a ``/version`` dropped.

When several groups are equally specific (rare: ``Yandex`` and ``yandex/1.0``), their rules
are combined into one group, as RFC 9309 says (the longest match across them decides).

Work is linear in the file's size: the file is read once into record groups (here, not by
Protego, whose own reading copies every rule into every User-agent of a shared group); the
groups an agent obeys are chosen once, and their rules handed to Protego once per agent, so
each URL costs one match over the rules that apply to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from protego import Protego

from .errors import RobotsError

if TYPE_CHECKING:
    from pathlib import Path

    from .indexnow import RetryPolicy, WaitBudget
    from .web import PrefixResponse, WebClient

ROBOTS_MAX_BYTES = 500 * 1024
ROBOTS_MAX_REDIRECTS = 5
DEFAULT_AGENTS = ("bingbot", "YandexBot")

_BOM = "\ufeff"
_TOKEN = re.compile(r"[a-z0-9_-]*")

# The directives as Protego spells them (its misspellings of Disallow included).
_USER_AGENT = frozenset({"user-agent", "useragent", "user agent"})
_ALLOW = frozenset({"allow"})
_DISALLOW = frozenset({"disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw"})
# Site-wide: they neither belong to a group nor end one.
_SITE_WIDE = frozenset({"sitemap", "sitemaps", "site-map", "host"})
_DIRECTIVES = (
    _USER_AGENT
    | _ALLOW
    | _DISALLOW
    | _SITE_WIDE
    | {"crawl-delay", "crawl delay", "request-rate", "request rate", "visit-time", "visit time"}
)


# --- agents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agent:
    """A crawler whose view we check: its robots.txt name and the names that address it in
    ``X-Robots-Tag`` prefixes and ``<meta name>`` (all lower case)."""

    name: str  # as given, e.g. "bingbot"; shown in messages
    engine: str  # "Bing", "Yandex", or the name for an agent we know nothing special about
    noindex_names: frozenset[str] = field(default_factory=frozenset)
    fallback_tokens: tuple[str, ...] = ()  # groups obeyed before "*" when the agent has none
    yandex_rules: bool = False


def make_agents(names: Iterable[str]) -> tuple[Agent, ...]:
    """The agents for ``--robots-agent`` names (each once, case-insensitively)."""
    agents: dict[str, Agent] = {}
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        lowered = name.lower()
        if lowered in ("bingbot", "msnbot"):
            agent = Agent(name, "Bing", frozenset({"bingbot", "msnbot"}), ("msnbot",))
        elif "yandex" in lowered:
            agent = Agent(name, "Yandex", frozenset({"yandex", "yandexbot"}), yandex_rules=True)
        else:
            agent = Agent(name, name, frozenset({lowered}))
        agents.setdefault(lowered, agent)
    return tuple(agents.values())


# --- parsing --------------------------------------------------------------------------------


def _strip_comment(line: str) -> str:
    cut = line.find("#")
    return (line if cut < 0 else line[:cut]).strip()


def _directive(line: str) -> tuple[str, str] | None:
    """A line's (field in lower case, value): ``field: value``, or ``field value`` for a
    known field (``Disallow /x``, ``User agent foo``, as Protego reads them too); an unknown
    ``field: value`` is returned as it is (it ends a run of User-agent lines); None when the
    line is no directive at all."""
    field, colon, value = line.partition(":")
    name = field.strip().lower()
    if colon and name in _DIRECTIVES:
        return name, value.strip()
    words = line.split()
    for count in (1, 2):
        candidate = " ".join(words[:count]).lower()
        if candidate in _DIRECTIVES:
            return candidate, " ".join(words[count:])
    return (name, value.strip()) if colon else None


@dataclass
class _Group:
    """One record group: its User-agent values (lower case) and its rules, in file order."""

    agents: list[str] = field(default_factory=list)
    rules: list[tuple[str, str]] = field(default_factory=list)  # ("Allow"|"Disallow", pattern)


def _record_groups(text: str) -> list[_Group]:
    """The file's record groups (RFC 9309 2.1), in one pass: User-agent lines in a row open a
    group, which holds the Allow and Disallow lines up to the next User-agent line that
    follows another directive (Sitemap and Host belong to no group and end none). Lines
    before any User-agent, and empty values, are ignored."""
    groups: list[_Group] = []
    current: _Group | None = None
    previous: str | None = None
    for raw in text.splitlines():
        line = _strip_comment(raw)
        found = _directive(line) if line else None
        if found is None:
            continue
        name, value = found
        if name in _USER_AGENT and previous is not None and previous not in _USER_AGENT:
            current = None
        if name not in _SITE_WIDE:
            previous = name
        if not value:
            continue
        if name in _USER_AGENT:
            if current is None:
                current = _Group()
                groups.append(current)
            current.agents.append(value.lower())
        elif current is not None and (name in _ALLOW or name in _DISALLOW):
            current.rules.append(("Allow" if name in _ALLOW else "Disallow", value))
    return groups


def _path(url: str) -> str:
    """A URL's path and query, percent-escapes decoded: what a rule is compared with."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if "?" in url.split("#", 1)[0]:
        path += "?" + parts.query
    return unquote(path)


def _rule_matches(pattern: str, path: str) -> bool:
    """Whether a rule's pattern (``*`` any run of characters, a final ``$`` the end; escapes
    decoded) matches ``path``: each piece between ``*`` found left to right, no backtracking."""
    pattern = unquote(pattern)
    anchored = pattern.endswith("$")
    pieces = (pattern[:-1] if anchored else pattern).split("*")
    if not path.startswith(pieces[0]):
        return False
    position = len(pieces[0])
    if len(pieces) == 1:
        return not anchored or position == len(path)
    for piece in pieces[1:-1]:
        found = path.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    last = pieces[-1]
    if anchored:
        return len(path) - len(last) >= position and path.endswith(last)
    return path.find(last, position) >= 0


def _product_token(value: str) -> str:
    """RFC 9309 product token of a User-agent value: its leading run of ``a-z0-9_-``."""
    match = _TOKEN.match(value.lower())
    return match.group(0) if match else ""


def _named_token(value: str) -> str:
    """The token a User-agent value names when it is one token, maybe with a ``/version``
    (``bingbot``, ``bingbot/2.0``); "" for anything else (``*``, ``MSNBot Media``,
    ``Bing Bot``: a different robot, or a typo no crawler matches)."""
    name = value.split("/", 1)[0].strip()
    return name if name and _product_token(name) == name else ""


def _compact(value: str) -> str:
    """A value with case, spaces and punctuation ignored and any ``/version`` dropped."""
    return re.sub(r"[^a-z0-9]", "", value.lower().split("/", 1)[0])


@dataclass(frozen=True)
class RobotsDecision:
    """One URL for one agent: allowed or not, and the group and rule that decided."""

    allowed: bool
    group: str  # the User-agent value of the group applied, "" when none applies
    rule: str  # e.g. "Disallow: /private/", "" when no rule matched


class RobotsRules:
    """The parsed rules of one robots.txt (possibly none: allow everything)."""

    def __init__(self, text: str) -> None:
        self._groups = _record_groups(text)
        # User-agent value -> the groups that name it (Protego also files a value with a
        # "*" inside under the value without it).
        self._named: dict[str, list[int]] = {}
        for index, group in enumerate(self._groups):
            for value in group.agents:
                stripped = value.replace("*", "") if value != "*" else ""
                for name in (value, stripped):
                    if name:
                        indexes = self._named.setdefault(name, [])
                        if not indexes or indexes[-1] != index:
                            indexes.append(index)
        self._chosen: dict[Agent, tuple[str, ...]] = {}
        self._parsers: dict[tuple[str, ...], tuple[Protego, list[tuple[str, str, str]]]] = {}

    @classmethod
    def allow_all(cls) -> RobotsRules:
        return cls("")

    def groups_for(self, agent: Agent) -> tuple[str, ...]:
        """The User-agent values of the groups ``agent`` obeys; ``("*",)`` or ``()``."""
        if agent not in self._chosen:
            self._chosen[agent] = self._choose(agent)
        return self._chosen[agent]

    def _choose(self, agent: Agent) -> tuple[str, ...]:
        values = list(self._named)
        if agent.yandex_rules:
            specific = [v for v in values if "yandex" in v and _compact(v) == "yandexbot"]
            # "Yandex", or Yandex named inside a longer value; not another Yandex robot.
            generic = [
                v
                for v in values
                if "yandex" in v
                and (_compact(v) == "yandex" or not _compact(v).startswith("yandex"))
            ]
            chosen = specific or generic
        else:
            wanted = [_product_token(agent.name), *agent.fallback_tokens]
            chosen = []
            for token in wanted:
                chosen = [v for v in values if _named_token(v) == token]
                if chosen:
                    break
            if not chosen:
                # Protego's own reading for names we know nothing special about: the groups
                # whose token is found in the name, the longest.
                asked = agent.name.lower()
                found = [v for v in values if _named_token(v) and _named_token(v) in asked]
                longest = max((len(_named_token(v)) for v in found), default=0)
                chosen = [v for v in found if len(_named_token(v)) == longest]
        if chosen:
            return tuple(chosen)
        return ("*",) if "*" in self._named else ()

    def _parser(self, groups: tuple[str, ...]) -> tuple[Protego, list[tuple[str, str, str]]]:
        """Protego over the rules of ``groups`` combined (each record group once, in file
        order), and those rules as (group value, kind, pattern); made once per set."""
        if groups not in self._parsers:
            named: dict[int, str] = {}  # record group -> the first value chosen that names it
            for value in groups:
                for index in self._named.get(value, ()):
                    named.setdefault(index, value)
            rules: list[tuple[str, str, str]] = []
            for index in sorted(named):
                value = named[index]
                rules.extend((value, kind, pattern) for kind, pattern in self._groups[index].rules)
            text = "".join(f"{kind}: {pattern}\n" for _value, kind, pattern in rules)
            self._parsers[groups] = (Protego.parse("User-agent: *\n" + text), rules)
        return self._parsers[groups]

    def decide(self, url: str, agent: Agent) -> RobotsDecision:
        groups = self.groups_for(agent)
        if not groups:
            return RobotsDecision(True, "", "")
        parser, rules = self._parser(groups)
        if parser.can_fetch(url, "indexnow-sync"):
            return RobotsDecision(True, groups[0], "")
        group, rule = self._deciding_rule(url, rules)
        return RobotsDecision(False, group or groups[0], rule)

    @staticmethod
    def _deciding_rule(url: str, rules: list[tuple[str, str, str]]) -> tuple[str, str]:
        """The group and the longest Disallow that matches ``url`` (for the message only:
        Protego decided); ("", "") when none is found."""
        path = _path(url)
        best = ("", "")
        for group, kind, pattern in rules:
            if kind == "Disallow" and len(pattern) > len(best[1]) and _rule_matches(pattern, path):
                best = (group, pattern)
        return (best[0], f"Disallow: {best[1]}") if best[1] else ("", "")


def parse_robots(body: bytes, content_type: str = "") -> tuple[RobotsRules, list[str]]:
    """Rules from a robots.txt body (already cut to the size limit) and what was odd about it.

    The warnings do not name the file; the caller prefixes its URL or path."""
    notes: list[str] = []
    text = body.decode("utf-8", "replace")
    if text.startswith(_BOM):
        text = text[1:]
    head = text.lstrip()[:512].lower()
    if content_type == "text/html" or head.startswith(("<!doctype html", "<html", "<head")):
        notes.append(
            "is an HTML page, not a robots.txt (an SPA fallback?): engines find no rules in it, "
            "so everything is allowed; serve a real robots.txt, or none (404)"
        )
        return RobotsRules.allow_all(), notes
    return RobotsRules(text), notes


def read_robots_file(path: Path) -> tuple[RobotsRules, list[str]]:
    """A robots.txt on disk (a build's), read like a fetched one: at most 500 KiB."""
    with path.open("rb") as handle:
        body = handle.read(ROBOTS_MAX_BYTES + 1)
    return parse_robots(cut_to_limit(body), "")


def cut_to_limit(body: bytes, limit: int = ROBOTS_MAX_BYTES) -> bytes:
    """The first ``limit`` bytes, ending at the last complete line (a rule cut in half is
    worse than none)."""
    if len(body) <= limit:
        return body
    return _to_last_line_end(body[:limit])


def whole_lines(response: PrefixResponse) -> bytes:
    """A robots.txt answer's body; one cut at the size limit (``truncated``) ends at its last
    complete line: the body is exactly the limit long then, and its last line may be half a
    rule (``Disallow: /`` of ``Disallow: /private``)."""
    return _to_last_line_end(response.body) if response.truncated else response.body


def _to_last_line_end(head: bytes) -> bytes:
    end = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return head[: end + 1] if end >= 0 else b""


# --- per URL --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RobotsVerdict:
    """One URL against every agent: blocked for all (skip), for some (warn), or none."""

    url: str
    blocked: tuple[tuple[Agent, RobotsDecision], ...]
    agents: int

    @property
    def blocked_for_all(self) -> bool:
        return self.agents > 0 and len(self.blocked) == self.agents

    def describe(self) -> str:
        parts = []
        for agent, decision in self.blocked:
            where = f"group 'User-agent: {decision.group}'"
            rule = f", {decision.rule}" if decision.rule else ""
            parts.append(f"{agent.name} ({where}{rule})")
        return "robots.txt disallows it for " + ", ".join(parts)


def judge(url: str, rules: RobotsRules, agents: Sequence[Agent]) -> RobotsVerdict:
    """The verdict for one URL under one robots.txt."""
    blocked = []
    for agent in agents:
        decision = rules.decide(url, agent)
        if not decision.allowed:
            blocked.append((agent, decision))
    return RobotsVerdict(url, tuple(blocked), len(agents))


# --- fetching -------------------------------------------------------------------------------


def robots_url(url: str) -> str:
    """The robots.txt that governs ``url``: per scheme, host and port (RFC 9309)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}/robots.txt"


@dataclass(frozen=True)
class FetchedRobots:
    """A robots.txt as fetched: the rules in force and what to tell the user."""

    url: str
    status: int | None
    rules: RobotsRules
    warnings: tuple[str, ...] = ()


def interpret(url: str, response: PrefixResponse) -> FetchedRobots:
    """RFC 9309 status rules for an answer (redirects already followed where allowed).

    Raises :class:`RobotsError` for a 5xx or 429 (the caller retries those first)."""
    status = response.status
    if 200 <= status < 300:
        rules, notes = parse_robots(whole_lines(response), response.content_type)
        warnings = [f"{url} {note}" for note in notes]
        if response.truncated:
            warnings.append(
                f"{url} is larger than {ROBOTS_MAX_BYTES // 1024} KiB: only its first "
                f"{ROBOTS_MAX_BYTES // 1024} KiB are read, as engines do; keep it smaller"
            )
        return FetchedRobots(url, status, rules, tuple(warnings))
    if 300 <= status < 400:
        target = response.header("Location").strip() or "(no Location)"
        return FetchedRobots(
            url,
            status,
            RobotsRules.allow_all(),
            (
                f"{url} redirects ({status}) to {target} after {response.redirects} redirect(s): "
                "only up to 5 redirects on the same host are followed, so it counts as "
                "unavailable and everything is allowed; serve robots.txt on the site's own host",
            ),
        )
    if _to_retry(status):
        raise _unhealthy(url, f"answered {status}")
    return FetchedRobots(url, status, RobotsRules.allow_all())


def _unhealthy(url: str, what: str, *, fix: str = "") -> RobotsError:
    return RobotsError(
        f"{url} {what}; nothing was submitted",
        cause="engines treat an unreachable robots.txt as 'disallow everything' (RFC 9309)",
        fix=fix or "retry when the site is healthy, or use --check off to submit without checking",
    )


def wait_to_retry(
    policy: RetryPolicy,
    budget: WaitBudget,
    attempts: int,
    retry_after: float | None,
    *,
    failed: str,
    on_wait: Callable[[str], None] | None,
) -> bool:
    """:meth:`WaitBudget.next_wait` for a GET of the checks (a robots.txt, a page), saying so
    first: ``on_wait`` gets a progress line naming what ``failed`` and the wait (``GET URL
    answered 503: retrying in 100 s (attempt 2 of 5)``), as a POST's retries do. False, and no
    line, when the request has no attempts or the run no waiting time left."""
    from .indexnow import _in_seconds

    delay = budget.next_wait(policy, attempts, retry_after)
    if isinstance(delay, str):
        return False
    if on_wait is not None:
        on_wait(
            f"{failed}: retrying in {_in_seconds(delay)} "
            f"(attempt {attempts + 1} of {policy.max_attempts})"
        )
    return budget.wait(delay, policy, strict=retry_after is not None)


def retry_transport(
    policy: RetryPolicy,
    budget: WaitBudget,
    attempts: int,
    url: str,
    reason: str,
    on_wait: Callable[[str], None] | None,
) -> bool:
    """:func:`wait_to_retry` after a GET of ``url`` that failed for ``reason`` (a
    :class:`FetchError`'s): only a timeout or a failed connection is worth another attempt."""
    if reason not in ("timeout", "connection"):
        return False
    failed = what_failed(url, None, reason)
    return wait_to_retry(policy, budget, attempts, None, failed=failed, on_wait=on_wait)


def what_failed(url: str, status: int | None, reason: str = "") -> str:
    """``GET URL answered 503``, ``GET URL timed out``, ``GET URL could not be reached``."""
    if status is not None:
        return f"GET {url} answered {status}"
    return f"GET {url} {'timed out' if reason == 'timeout' else 'could not be reached'}"


def _to_retry(status: int) -> bool:
    """A robots.txt answer that says "unavailable" (RFC 9309: 5xx, and 429 as engines read it)."""
    return status == 429 or status >= 500


def fetch_robots(
    client: WebClient,
    url: str,
    *,
    policy: RetryPolicy,
    budget: WaitBudget,
    known: PrefixResponse | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> FetchedRobots:
    """GET one robots.txt with RFC 9309 semantics, retrying 429/5xx/transport failures under
    ``policy`` and the run's shared ``budget`` (``on_wait``: a progress line before each
    wait). Raises :class:`RobotsError` when it stays unreachable. ``known``: its answer read
    moments ago (live discovery), used instead of a GET unless it is one to retry: robots.txt
    is fetched once per host."""
    from .errors import FetchError
    from .indexnow import parse_retry_after
    from .web import get_prefix

    if known is not None and not _to_retry(known.status):
        return interpret(url, known)
    attempts = 0
    while True:
        attempts += 1
        try:
            response = get_prefix(
                client, url, max_bytes=ROBOTS_MAX_BYTES, redirects=ROBOTS_MAX_REDIRECTS
            )
        except FetchError as exc:
            if not retry_transport(policy, budget, attempts, url, exc.reason, on_wait):
                detail = exc.what.removeprefix(f"{url}: ")
                raise _unhealthy(url, f"could not be read: {detail}", fix=exc.fix) from exc
            continue
        if _to_retry(response.status):
            value = response.header("Retry-After")
            retry_after = parse_retry_after(value, policy.wall_clock()) if value else None
            failed = what_failed(url, response.status)
            if wait_to_retry(policy, budget, attempts, retry_after, failed=failed, on_wait=on_wait):
                continue
        return interpret(url, response)

"""One validated, frozen :class:`Config` from flags, ``INDEXNOW_*`` environment and a YAML file.

Precedence (SPEC "Config"): command line > environment > config file > defaults. The file is
``--config FILE``, else ``INDEXNOW_CONFIG``, else ``indexnow.yml`` or ``.indexnow.yml`` in the
working folder. Its keys
mirror the long options; unknown keys and wrong types are errors naming the key and the file;
relative paths in it are relative to the file's folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_NAMES = ("indexnow.yml", ".indexnow.yml")


@dataclass(frozen=True)
class Config:
    site: str | None = None
    build: Path | None = None
    live: str | None = None
    baseline: Path | None = None
    key: str | None = None
    key_location: str | None = None
    # None: not said, the default chain (indexnow, then bing, then yandex). Otherwise the
    # names or URLs given, comma-separated, tried in that order (one: no fallback).
    endpoint: str | None = None
    # None: not said. Removed URLs are then sent when the page check shows them gone or moved
    # (--check pages), and not at all with --check robots|off; False: never; True: always.
    include_removed: bool | None = None
    dry_run: bool = False
    max_urls: int = 10_000
    timeout: float = 20.0
    max_sitemap_bytes: int = 50 * 1024 * 1024
    check: str = "pages"
    check_concurrency: int = 8
    robots_agent: tuple[str, ...] = ("bingbot", "YandexBot")
    wait: float = 0.0  # seconds to wait for the deploy to be live (0: look once)
    # What decides "changed" (SPEC "What changed"): content fingerprints where both sides
    # have them, else lastmod ("content"); or lastmod alone, as before ("lastmod").
    changed_by: str = "content"
    ignore: tuple[str, ...] = ()  # CSS selectors of volatile parts, left out of fingerprints
    fingerprints: str = "indexnow-fingerprints.json"  # the manifest's name in the build; "off"
    # Rewrite the build's sitemaps so each <lastmod> says when its content really changed
    # (SPEC "A true lastmod in the deployed sitemap"); plan and sync, before the deploy.
    fix_lastmod: bool = False
    config_file: Path | None = None
    # Where each value given came from, for messages about it: field -> "--live",
    # "INDEXNOW_LIVE" or "indexnow.yml: live". A field not in it has its default.
    given_as: Mapping[str, str] = dataclass_field(default_factory=dict, compare=False, hash=False)
    # What reading the config found odd but not wrong (both indexnow.yml and .indexnow.yml).
    warnings: tuple[str, ...] = dataclass_field(default=(), compare=False)

    def named(self, field_name: str) -> str:
        """How the user named an option (``--live`` when it came from the command line or is
        not set)."""
        return self.given_as.get(field_name, "--" + field_name.replace("_", "-"))

    def source(self, field_name: str) -> str:
        """Where a value came from, as a message names it: ``--site`` (the command line, or
        not set), ``environment INDEXNOW_SITE`` or ``indexnow.yml: key 'site'`` (the file as
        found)."""
        named = self.named(field_name)
        if named.startswith("--"):
            return named
        if ": " in named:  # (given_as: "indexnow.yml: site")
            file = self.config_file if self.config_file is not None else named.partition(": ")[0]
            return f"{file}: key '{named.partition(': ')[2]}'"
        return f"environment {named}"

    def blame(self, field_name: str) -> str:
        """The start of a message about a value: ``--site`` (the value follows) or, from the
        environment or the config file, its :meth:`source` and a colon, as the errors about
        the other keys begin (``cx.yml: key 'max-urls': ...``)."""
        where = self.source(field_name)
        return where if where.startswith("--") else f"{where}:"

    @property
    def by_content(self) -> bool:
        """Whether content fingerprints decide (``--changed-by content``, the default)."""
        return self.changed_by == "content"

    @property
    def manifest_name(self) -> str | None:
        """The fingerprint manifest's file name in the build folder; None with
        ``--fingerprints off`` (nothing written, no live manifest read)."""
        return None if self.fingerprints == "off" else self.fingerprints

    @property
    def sends_removed(self) -> bool:
        """Whether removed URLs are candidates at all (SPEC: removed URLs are submitted only
        when they are really gone): by default only when the page check can verify it."""
        if self.include_removed is None:
            return self.check == "pages"
        return self.include_removed


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


# Larger limits than these mean "no limit", and beyond them the C layers overflow.
_MAX_WHOLE_NUMBER = 10**18
_MAX_SECONDS = 3600.0


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        digits = value.strip().lstrip("-").lstrip("0")
        result = int(value.strip()) if len(digits) <= 19 else _MAX_WHOLE_NUMBER + 1
    else:
        raise ValueError("expected a whole number")
    if result < 1:
        raise ValueError("expected a number of at least 1")
    if result > _MAX_WHOLE_NUMBER:
        raise ValueError(f"expected a number of at most {_MAX_WHOLE_NUMBER}")
    return result


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number of seconds")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("expected a number of seconds") from None


def _to_float(value: Any) -> float:
    result = _seconds(value)
    if not 0 < result <= _MAX_SECONDS:  # also refuses nan and inf
        raise ValueError(f"expected a number of seconds above 0 and at most {_MAX_SECONDS:g}")
    return result


MAX_WAIT = 6 * 3600.0  # a GitHub Actions job's own limit: waiting longer is a mistake


def _to_wait(value: Any) -> float:
    """Seconds to wait for the deploy: 0 (look once) up to 6 hours."""
    result = _seconds(value)
    if not 0 <= result <= MAX_WAIT:  # also refuses nan and inf
        raise ValueError(f"expected a number of seconds from 0 to {MAX_WAIT:g} (6 hours)")
    return result


def _to_str(value: Any) -> str:
    if isinstance(value, Path) or (isinstance(value, int) and not isinstance(value, bool)):
        value = str(value)  # YAML reads an all-digit key as a number
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError("expected a non-empty string")


def _to_path(value: Any) -> Path:
    text = _to_str(value)
    if "\0" in text:
        raise ValueError("a path cannot contain a NUL character")
    return Path(text)


def _to_site(value: Any) -> str:
    from .urls import normalize_site

    return normalize_site(_to_str(value))


def _to_url(value: Any) -> str:
    from .urls import http_url_problem

    url = _to_str(value)
    problem = http_url_problem(url)
    if problem is not None:
        raise ValueError(f"{problem}; give a full URL such as https://example.com/path")
    return url


def _to_endpoint(value: Any) -> str:
    """Names (checked when they are used) or URLs (checked here), one or several to fall back
    on: ``indexnow,bing`` (flag, environment, action input) or a YAML list."""
    if isinstance(value, list):
        parts = [_to_str(item) for item in value]
    else:
        from .urls import split_url_list  # (a comma inside a URL stays in it)

        parts = split_url_list(_to_str(value))
    if not parts or not all(parts):
        raise ValueError("expected names or URLs separated by single commas (indexnow,bing)")
    return ",".join(_to_url(p) if "/" in p or ":" in p else p for p in parts)


CHECK_MODES = ("pages", "robots", "off")
MAX_CHECK_CONCURRENCY = 64


def _to_check(value: Any) -> str:
    text = _to_str(value).lower() if not isinstance(value, bool) else ("pages" if value else "off")
    if text not in CHECK_MODES:
        raise ValueError(f"expected one of {', '.join(CHECK_MODES)}")
    return text


def _to_concurrency(value: Any) -> int:
    number = _to_int(value)
    if number > MAX_CHECK_CONCURRENCY:
        raise ValueError(f"expected a number from 1 to {MAX_CHECK_CONCURRENCY}")
    return number


class _ItemError(ValueError):
    """One item of a list value is wrong: the message names it (or its place), and
    ``shown`` is what the error adds of it (instead of the whole list's type)."""

    def __init__(self, message: str, *, shown: str = "") -> None:
        super().__init__(message)
        self.shown = shown


def _items(value: Any, split: Callable[[str], list[str]], many: str, one: str) -> tuple[str, ...]:
    """A list's items, or one string's (``split``), without blanks and repeats; at least one.
    ``many`` and ``one`` say what they are, for the message; an item that is not a string is
    named by its place."""
    items = split(value) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"expected a list of {many}")
    texts = []
    for place, item in enumerate(items, 1):
        if not str(item).strip():
            continue
        try:
            texts.append(_to_str(item))
        except ValueError as exc:
            raise _ItemError(f"item {place}: {exc}", shown=_got(item)) from None
    names = tuple(dict.fromkeys(texts))
    if not names:
        raise ValueError(f"expected at least one {one}")
    return names


def _to_agents(value: Any) -> tuple[str, ...]:
    """A list of robots.txt agent names, or one string of comma-separated names."""
    names = _items(
        value,
        lambda text: text.split(","),
        "user-agent names, e.g. [bingbot, YandexBot]",
        "user-agent name, e.g. bingbot",
    )
    for name in names:
        if any(char in name for char in "\r\n#:"):
            raise ValueError(f"{name!r} is not a user-agent name")
    return names


CHANGED_BY = ("content", "lastmod")


def _to_changed_by(value: Any) -> str:
    text = _to_str(value).lower()
    if text not in CHANGED_BY:
        raise ValueError(f"expected one of {', '.join(CHANGED_BY)}")
    return text


def _to_selectors(value: Any) -> tuple[str, ...]:
    """CSS selectors: a list, or one string with one selector per line (a comma inside a
    line is CSS's own "or": ``.a, .b``)."""
    selectors = _items(
        value,
        str.splitlines,
        "CSS selectors, e.g. ['.built-at', '#related']",
        "CSS selector, e.g. .built-at",
    )
    from .content import selector_problem

    for selector in selectors:
        problem = selector_problem(selector)
        if problem is not None:
            raise _ItemError(problem)  # (it names the selector)
    return selectors


# The manifest's name is a file in the build folder and the last part of its URL: no folder,
# nothing a URL path would escape or cut (space, %, ?, #).
_FILE_NAME = re.compile(r"[A-Za-z0-9._~+-]{1,255}")


def _to_fingerprints(value: Any) -> str:
    """The manifest's file name in the build folder, or ``off``."""
    if isinstance(value, bool) and not value:
        return "off"
    text = _to_str(value)
    if text.lower() in ("off", "false", "no", "none"):
        return "off"
    if not _FILE_NAME.fullmatch(text) or text in (".", ".."):
        raise ValueError(
            "expected a file name of letters, digits and . _ ~ + - (the manifest goes into "
            "the build folder, beside the sitemap, and its name ends its URL), e.g. "
            "indexnow-fingerprints.json, or off"
        )
    if not text.lower().endswith(_MANIFEST_SUFFIXES):
        raise _ValueWithCause(
            "is not a name ending in .json or .json.gz",
            cause="the manifest is served from the build folder by that name: any other name "
            "is a file the site serves as something else (index.html the home page, "
            "{key}.txt the key file, robots.txt), which the manifest would replace once "
            "deployed",
            fix="name it NAME.json (gzipped: NAME.json.gz), e.g. indexnow-fingerprints.json "
            "(the default), or off",
        )
    return text


# The manifest is JSON (gzipped when its name ends in .gz): a name no server hands out as a
# page, the key file, robots.txt or a sitemap.
_MANIFEST_SUFFIXES = (".json", ".json.gz")


class _ValueWithCause(ValueError):
    """A value refused with the cause on a line of its own (:func:`_bad_value`)."""

    def __init__(self, problem: str, *, cause: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.cause = cause


def _to_key(value: Any) -> str:
    """The key exactly as given: a newline around it is a mistake to fix where the key is
    stored (``echo KEY > file``, a secret pasted with Enter), not to strip silently, because
    the same value also names and fills the key file (``printf '%s' "$INDEXNOW_KEY" > ...``)."""
    key = _to_str(value)
    if isinstance(value, str) and value != key:
        where = "ends" if value.startswith(key) else "starts"
        around = value[len(key) :] if where == "ends" else value[: len(value) - len(value.lstrip())]
        if "\n" in around or "\r" in around:
            raise ValueError(
                f"the key {where} with a newline; set it without: e.g. "
                'INDEXNOW_KEY="$(cat key.txt)" (the $(...) drops a final newline), or save the '
                "secret again without pressing Enter after the key"
            )
        what = "a space" if set(around) == {" "} else "whitespace"
        slip = '" $KEY"' if where == "starts" else '"$KEY "'
        place = "before" if where == "starts" else "after"
        raise ValueError(
            f"the key {where} with {what}; remove it {place} the key: "
            f'--key "$KEY", not --key {slip}'
        )
    return key


# option name (as on the command line, without --) -> (Config field, converter, is a path)
OPTIONS: dict[str, tuple[str, Callable[[Any], Any], bool]] = {
    "site": ("site", _to_site, False),
    "build": ("build", _to_path, True),
    "live": ("live", _to_url, False),
    "baseline": ("baseline", _to_path, True),
    "key": ("key", _to_key, False),
    "key-location": ("key_location", _to_url, False),
    "endpoint": ("endpoint", _to_endpoint, False),
    "include-removed": ("include_removed", _to_bool, False),
    "dry-run": ("dry_run", _to_bool, False),
    "max-urls": ("max_urls", _to_int, False),
    "timeout": ("timeout", _to_float, False),
    "max-sitemap-bytes": ("max_sitemap_bytes", _to_int, False),
    "check": ("check", _to_check, False),
    "check-concurrency": ("check_concurrency", _to_concurrency, False),
    "robots-agent": ("robots_agent", _to_agents, False),
    "wait": ("wait", _to_wait, False),
    "changed-by": ("changed_by", _to_changed_by, False),
    "ignore": ("ignore", _to_selectors, False),
    "fingerprints": ("fingerprints", _to_fingerprints, False),
    "fix-lastmod": ("fix_lastmod", _to_bool, False),
}


def _got(value: Any) -> str:
    """`` (got VALUE)`` for an error message: scalars shown (cut at 200 characters), other
    YAML values only named, since a YAML alias bomb expands without bound when printed."""
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, (str, int, float, bool)):
        return f" (got a {type(value).__name__})"
    text = (
        repr(value) if not isinstance(value, int) or value.bit_length() < 600 else "a huge number"
    )
    return f" (got {text[:200]}{'…' if len(text) > 200 else ''})"


def env_name(option: str) -> str:
    return "INDEXNOW_" + option.upper().replace("-", "_")


CONFIG_ENV = "INDEXNOW_CONFIG"


def find_config_file(
    explicit: Path | None, cwd: Path, environ: Mapping[str, str] | None = None
) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"--config {explicit}: no such file")
        return explicit
    from_env = (environ or {}).get(CONFIG_ENV, "").strip()
    if from_env:
        path = Path(from_env)
        path = path if path.is_absolute() else cwd / path
        if not path.is_file():
            raise ConfigError(f"environment {CONFIG_ENV} {from_env}: no such file")
        return path
    for name in CONFIG_NAMES:
        candidate = cwd / name
        if candidate.is_file():
            return candidate
    return None


def _ignored_twin(file: Path | None, cwd: Path) -> tuple[str, ...]:
    """A warning when the working folder holds both config names and ``file`` is the one
    found there: the other is not read, which its author would not guess."""
    if file is None or file.parent != cwd or file.name != CONFIG_NAMES[0]:
        return ()
    twin = cwd / CONFIG_NAMES[1]
    if not twin.is_file():
        return ()
    return (
        f"{cwd} holds both {CONFIG_NAMES[0]} and {CONFIG_NAMES[1]}: only {CONFIG_NAMES[0]} is "
        f"read, {CONFIG_NAMES[1]} is ignored (merge them into one, or pass --config)",
    )


# A config file is a few lines; anything this big is the wrong file.
_MAX_CONFIG_BYTES = 1 << 20


def read_config_file(path: Path) -> dict[str, Any]:
    import yaml  # only when a config file exists: keeps start-up fast

    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    if len(data) > _MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: is larger than 1 MiB; is it really the config file?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: is not valid YAML{where}; fix the syntax") from exc
    except RecursionError:
        raise ConfigError(f"{path}: is nested too deeply to be a config file") from None
    except ValueError as exc:  # a value YAML cannot build, e.g. an int of 5,000 digits
        raise ConfigError(f"{path}: holds a value that cannot be read ({exc})") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: must be a mapping of option: value (e.g. 'site: https://...')")
    return loaded


# The live side to compare the build with: one choice, made by the strongest source that makes it.
_SOURCE_FIELDS = ("live", "baseline")


def _merge_layer(merged: dict[str, Any], layer: dict[str, Any], both: str) -> None:
    """``layer`` (the file, the environment or the flags) over the weaker ones in ``merged``.
    A layer naming the live sitemap or a baseline replaces that choice whole; naming both is
    refused (``both`` says where)."""
    named = [field for field in _SOURCE_FIELDS if field in layer]
    if len(named) == 2:
        raise ConfigError(
            f"{both} are alternatives (the live sitemap, or a saved one): give only one"
        )
    if named:
        for field in _SOURCE_FIELDS:
            merged.pop(field, None)
    merged.update(layer)


def load_config(
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    cwd: Path,
    *,
    config_path: Path | None = None,
) -> Config:
    """Merge the three sources. ``flags`` holds only options given on the command line
    (option name -> value, already typed by click). Every known key is accepted from the
    file, also by commands that do not use it: one config is shared by all commands."""
    values: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    layer: dict[str, Any] = {}
    file = find_config_file(config_path, cwd, environ)
    if file is not None:
        for raw_key, raw_value in read_config_file(file).items():
            key = str(raw_key)
            if key not in OPTIONS:
                raise _unknown_key(file, key)
            field, convert, is_path = OPTIONS[key]
            if raw_value is None:
                continue
            try:
                value = convert(raw_value)
            except ValueError as exc:
                shown = "" if key == "key" else _shown(exc, raw_value)
                raise _bad_value(f"{file}: key '{raw_key}'", exc, shown) from None
            if is_path and not value.is_absolute():
                value = (file.parent / value).resolve()
            layer[field] = value
            given_as[field] = f"{file.name}: {raw_key}"
        _merge_layer(values, layer, f"{file}: keys 'live' and 'baseline'")
    layer = {}
    for option, (field, convert, _is_path) in OPTIONS.items():
        name = env_name(option)
        if name in environ and environ[name].strip() != "":
            try:
                layer[field] = convert(environ[name])
            except ValueError as exc:
                shown = "" if option == "key" else _shown(exc, environ[name])
                raise _bad_value(f"environment {name}", exc, shown) from None
            given_as[field] = name
    _merge_layer(values, layer, "environment INDEXNOW_LIVE and INDEXNOW_BASELINE")
    layer = {}
    for option, value in flags.items():
        if value is None:
            continue
        field, convert, _is_path = OPTIONS[option]
        try:
            layer[field] = convert(value)
        except ValueError as exc:
            shown = "" if option == "key" else _shown(exc, value)
            raise _bad_value(f"--{option}", exc, shown) from None
        given_as[field] = f"--{option}"
    _merge_layer(values, layer, "--live and --baseline")
    twin = () if config_path is not None or environ.get(CONFIG_ENV, "").strip() else None
    warnings = twin if twin is not None else _ignored_twin(file, cwd)
    config = Config(config_file=file, given_as=given_as, warnings=warnings)
    known_fields = {f.name for f in fields(Config)}
    return replace(config, **{k: v for k, v in values.items() if k in known_fields})


def _unknown_key(file: Path, key: str) -> ConfigError:
    """A key that is no long option: with the one meant when it is close (``key_location``:
    keys are spelt as the options are, with ``-``)."""
    from difflib import get_close_matches

    dashed = key.replace("_", "-")
    close = [dashed] if dashed in OPTIONS else get_close_matches(key, OPTIONS, n=1)
    return ConfigError(
        f"{file}: unknown key '{key}'",
        cause=f"known keys: {', '.join(sorted(OPTIONS))}",
        fix=f"did you mean '{close[0]}'?" if close else "",
    )


def _shown(exc: ValueError, value: Any) -> str:
    """What an error shows of the value: the wrong item's own (a list's type says nothing)."""
    return exc.shown if isinstance(exc, _ItemError) else _got(value)


def _bad_value(where: str, exc: ValueError, shown: str) -> ConfigError:
    """A converter's ValueError as a ConfigError naming where the value came from. The
    converters word their messages "what is wrong; how to write it": the second part is the
    fix, on a line of its own."""
    problem, _, fix = str(exc).partition("; ")
    cause = exc.cause if isinstance(exc, _ValueWithCause) else ""
    return ConfigError(f"{where}: {problem}{shown}", cause=cause, fix=fix)


def raw_file_value(option: str, explicit: Path | None, cwd: Path) -> Any:
    """The config file's raw value for ``option``, or None; never raises. For the CLI to
    learn the key (a secret to keep out of every message) when loading the config failed."""
    try:
        file = find_config_file(explicit, cwd)
        values = read_config_file(file) if file is not None else {}
    except Exception:  # any failure means: not known
        return None
    for raw_key, value in values.items():
        if str(raw_key).replace("_", "-") == option:
            return value
    return None

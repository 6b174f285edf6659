"""Pure URL rules shared by every layer: what "the site's host" means (SPEC: --site), and
which URLs given as options are usable at all.

"On the site's host" = same hostname and port; http and https count as the same host, each
with its own default port. The IndexNow ``host`` field is the hostname, plus ``:port`` only
for a non-default port; an IPv6 literal keeps its brackets there (``[::1]:8766``), as in a URL.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# What browsers refuse in a host (the WHATWG URL standard's forbidden host code points, C0
# controls, space, DEL), plus '%': a percent-escaped host name is legal there but no site
# uses one, and it would be a different string from the host engines compare with.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORBIDDEN_IN_HOST = re.compile(r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|]")


def host_key(url: str) -> tuple[str, int | None] | None:
    """(hostname, non-default port or None) of an absolute http(s) URL; None if it is not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if port == _DEFAULT_PORTS[parts.scheme.lower()]:
        port = None
    return parts.hostname.lower(), port


def authority_prefix(url: str) -> str:
    """``scheme://authority`` plus possibly more: enough to decide the URL's host.

    Cutting at the first '/' after '//' keeps the whole authority (it ends at '/', '?' or '#'
    and anything after it does not change the parsed host), so a host decision can be cached
    per prefix instead of parsing every URL.
    """
    start = url.find("//")
    end = url.find("/", start + 2) if start >= 0 else -1
    return url if end < 0 else url[:end]


def same_host(url: str, other: str) -> bool:
    """True when both are absolute http(s) URLs on the same host (scheme may differ)."""
    key = host_key(url)
    return key is not None and key == host_key(other)


def host_label(key: tuple[str, int | None]) -> str:
    """``host[:port]`` of a :func:`host_key`, an IPv6 literal in brackets as in a URL."""
    hostname, port = key
    if ":" in hostname:
        hostname = f"[{hostname}]"
    return hostname if port is None else f"{hostname}:{port}"


def request_host(url: str) -> str:
    """The IndexNow ``host`` field for a URL: hostname, with ``:port`` only when non-default."""
    key = host_key(url)
    if key is None:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return host_label(key)


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL (default port dropped), or None."""
    key = host_key(url)
    if key is None:
        return None
    return f"{urlsplit(url).scheme.lower()}://{host_label(key)}"


def host_problem(hostname: str) -> str | None:
    """Why a URL's host (as ``urlsplit`` gives it: lower case, no brackets) is not one a
    browser or an engine would accept, or None. Underscores are allowed, as browsers do."""
    if not hostname:
        return "has no host name"
    if ":" in hostname:
        try:
            ipaddress.IPv6Address(hostname)
        except ValueError:
            return f"has an invalid IPv6 address [{hostname}]"
        return None
    if _FORBIDDEN_IN_HOST.search(hostname):
        return "has a space or another character that is not allowed in a host name"
    name = hostname.removesuffix(".")  # "example.com." is the same host, fully qualified
    labels = name.split(".")
    if not all(labels):
        return "has an empty label in its host name (a leading dot or two dots in a row)"
    if len(name) > 253 or any(len(label) > 63 for label in labels):
        return "has a host name that is too long (at most 253 characters, 63 per label)"
    for label in labels:
        if not label.isascii():
            try:
                label.encode("idna")
            except UnicodeError:
                return f"has an invalid international host name label {label!r}"
    return None


def http_url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable absolute http(s) URL (bad scheme, port or host), or None."""
    if _CONTROL.search(url):  # urlsplit would silently drop tabs and newlines
        return "contains a tab, newline or another control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return "is not an absolute http(s) URL"
    if port == 0:
        return "has an invalid port 0"
    # Python 3.10's urlsplit accepts any text in brackets (3.11 checks it): a bracketed
    # host must be an IPv6 address.
    if parts.netloc.rpartition("@")[2].startswith("[") and ":" not in (parts.hostname or ""):
        return f"has an invalid IPv6 address [{parts.hostname}]"
    return host_problem(parts.hostname or "")


def normalize_site(site: str) -> str:
    """``scheme://host[:port]`` of a --site value, without path or trailing slash.

    Raises ValueError with a message a user can act on (the caller names the value).
    """
    value = site.strip()
    shape = "the site's base URL, scheme://host[:port], such as https://example.com"
    problem = http_url_problem(value)
    fix = f"it must be {shape}"
    if problem is not None and "://" not in value and _a_host_without_scheme(value):
        fix = f"give it with its scheme: https://{value} (or http://, for a site without TLS)"
    elif problem is None:
        parts = urlsplit(value)
        if "@" in parts.netloc:
            problem = "has a user name or password: give only scheme://host[:port]"
        elif parts.path not in ("", "/") or "?" in value or "#" in value:
            problem = "has a path, query or fragment"
            host = f"{parts.scheme.lower()}://{parts.netloc}"
            folder = parts.path.rstrip("/")
            if folder and "?" not in value and "#" not in value:
                fix = (
                    f"the host only: {host}; a site under {folder}/ (GitHub Pages project "
                    f'site) needs --key-location {host}{folder}/"$INDEXNOW_KEY".txt'
                )
    if problem is not None:
        raise ValueError(f"{problem}; {fix}")
    parts = urlsplit(value)
    host = host_label((parts.hostname or "", None))
    port = "" if parts.port is None else f":{parts.port}"
    return f"{parts.scheme.lower()}://{host}{port}"


def _a_host_without_scheme(value: str) -> bool:
    """Whether ``value`` reads as a host (and port) given without its scheme: a host name
    whose last label is not a number (``5``, ``2.5`` are no host names), or an IP address."""
    if http_url_problem(f"https://{value}") is not None:
        return False
    hostname = urlsplit(f"https://{value}").hostname or ""
    if ":" in hostname:
        return True  # (an IPv6 address: checked above)
    try:
        ipaddress.IPv4Address(hostname)
    except ValueError:
        return not hostname.removesuffix(".").rpartition(".")[2].isdigit()
    return True


def folder_of(url: str) -> str:
    """The folder a URL is in, ending with '/': the scope of a key file at that URL."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return path[: path.rfind("/") + 1]


def in_folder(url: str, folder: str) -> bool:
    """True when the URL's path lies under ``folder`` (a path ending with '/')."""
    path = urlsplit(url).path or "/"
    return path.startswith(folder)


def split_url_list(text: str) -> list[str]:
    """Names and URLs separated by commas (``--endpoint indexnow,https://h/ep``), stripped. A
    comma after a URL stays in it (``https://h/ep?x=1,2``, ``?r=a:b,c:d``) unless what follows
    it is empty, shaped like a name (a letter, then letters, digits, ``-``, ``_``) or starts
    an http(s) URL: that is the next item."""
    parts: list[str] = []
    for piece in text.split(","):
        part = piece.strip()
        if parts and _continues_url(parts[-1], part):
            parts[-1] += "," + piece.rstrip()
        else:
            parts.append(part)
    return parts


def _continues_url(before: str, part: str) -> bool:
    if not before.lower().startswith(("http://", "https://")) or not part:
        return False
    if part.lower().startswith(("http://", "https://")):
        return False
    name = part.isascii() and part[0].isalpha() and part.replace("-", "").replace("_", "").isalnum()
    return not name

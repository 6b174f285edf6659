"""Pure URL rules shared by every layer: what "the site's host" means (SPEC: --site).

"On the site's host" = same hostname and port; http and https count as the same host, each
with its own default port. The IndexNow ``host`` field is the hostname, plus ``:port`` only
for a non-default port.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


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


def request_host(url: str) -> str:
    """The IndexNow ``host`` field for a URL: hostname, with ``:port`` only when non-default."""
    key = host_key(url)
    if key is None:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    hostname, port = key
    return hostname if port is None else f"{hostname}:{port}"


def normalize_site(site: str) -> str:
    """``scheme://host[:port]`` of a --site value, without path or trailing slash.

    Raises ValueError with a message a user can act on.
    """
    value = site.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"--site must look like https://example.com (got {site!r})")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise ValueError(f"--site has an invalid port: {site!r}") from exc
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"--site is the site's base URL, scheme://host[:port], without a path (got {site!r})"
        )
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def folder_of(url: str) -> str:
    """The folder a URL is in, ending with '/': the scope of a key file at that URL."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return path[: path.rfind("/") + 1]


def in_folder(url: str, folder: str) -> bool:
    """True when the URL's path lies under ``folder`` (a path ending with '/')."""
    path = urlsplit(url).path or "/"
    return path.startswith(folder)

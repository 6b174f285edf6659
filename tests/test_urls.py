"""urls.py: what "the site's host" means (SPEC: --site) and what a --site value may be.

Expected values are written out from SPEC: same hostname and port, http and https count as
the same host (each with its own default port), the request's ``host`` field carries
``:port`` only for a non-default port, and --site is ``scheme://host[:port]``.
"""

from __future__ import annotations

import pytest

from indexnow_sync.urls import (
    authority_prefix,
    folder_of,
    host_key,
    host_problem,
    http_url_problem,
    in_folder,
    normalize_site,
    request_host,
    same_host,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a", ("example.com", None)),
        ("http://example.com/a", ("example.com", None)),
        ("https://EXAMPLE.Com/A", ("example.com", None)),
        ("HTTPS://example.com", ("example.com", None)),
        ("https://example.com:443/", ("example.com", None)),  # https's default port
        ("http://example.com:80/", ("example.com", None)),  # http's default port
        ("http://example.com:443/", ("example.com", 443)),  # not http's default
        ("https://example.com:80/", ("example.com", 80)),  # not https's default
        ("https://example.com:8443/x", ("example.com", 8443)),
        ("http://127.0.0.1:8000/", ("127.0.0.1", 8000)),
        ("https://user:pw@example.com/", ("example.com", None)),
    ],
)
def test_host_key_is_hostname_and_non_default_port(
    url: str, expected: tuple[str, int | None]
) -> None:
    assert host_key(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https:///k.txt",  # a scheme and no host: must not crash
        "http://",
        "/relative/path",
        "example.com/a",
        "ftp://example.com/a",
        "mailto:someone@example.com",
        "https://example.com:99999/",  # port out of range
        "https://example.com:port/",
        "",
    ],
)
def test_host_key_is_none_for_anything_but_an_absolute_http_url(url: str) -> None:
    assert host_key(url) is None


def test_same_host_ignores_the_scheme_but_not_the_port_or_subdomain() -> None:
    assert same_host("http://example.com/a", "https://example.com/b")
    assert same_host("https://example.com:443/", "https://EXAMPLE.com")
    assert not same_host("https://example.com/", "https://www.example.com/")
    assert not same_host("https://example.com/", "https://example.com:8443/")
    assert not same_host("/a", "/a")  # two relative URLs are not "on a host"
    assert not same_host("https:///a", "https:///a")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.com/a", "www.example.com"),
        ("https://Example.COM:443/a", "example.com"),
        ("http://example.com:80", "example.com"),
        ("http://127.0.0.1:8000/a", "127.0.0.1:8000"),
        ("https://example.com:8443/", "example.com:8443"),
    ],
)
def test_request_host_adds_the_port_only_when_not_the_default(url: str, expected: str) -> None:
    assert request_host(url) == expected


@pytest.mark.parametrize("url", ["/relative", "ftp://example.com/", "https:///k.txt"])
def test_request_host_refuses_what_has_no_host(url: str) -> None:
    with pytest.raises(ValueError, match=r"not an absolute http\(s\) URL"):
        request_host(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a/b?q=1", "https://example.com"),
        ("https://example.com", "https://example.com"),
        ("https://example.com:8443/", "https://example.com:8443"),
        ("/relative/path", "/relative/path"),
        ("https://example.com/a//b", "https://example.com"),
        ("//example.com/x", "//example.com"),
        ("https:///k.txt", "https://"),  # an empty authority
    ],
)
def test_authority_prefix_is_cut_at_the_first_slash_after_the_authority(
    url: str, expected: str
) -> None:
    assert authority_prefix(url) == expected


# --- --site -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("https://example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("  https://example.com/  ", "https://example.com"),
        ("HTTPS://Example.COM", "https://example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
    ],
)
def test_normalize_site_gives_scheme_host_and_port(site: str, expected: str) -> None:
    assert normalize_site(site) == expected


@pytest.mark.parametrize(
    "site",
    [
        "ftp://example.com",
        "example.com",
        "https://",
        "https://example.com/blog",
        "https://example.com/?q",
        "https://example.com?q=1",
        "https://example.com/#f",
        "https://example.com#f",
        "https://example.com:99999",
        "https://example.com:http",
    ],
)
def test_normalize_site_refuses_anything_but_a_base_url(site: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_site(site)
    # The fix names the form, or (a host without its scheme, a path) the very value to give.
    problem, fix = str(caught.value).split("; ", 1)
    assert "scheme://host[:port]" in fix or "port" in problem or "https://example.com" in fix


# --- key file scope ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/key.txt", "/"),
        ("https://example.com/catalog/key.txt", "/catalog/"),
        ("https://example.com/a/b/key.txt", "/a/b/"),
        ("https://example.com/catalog/", "/catalog/"),
        ("https://example.com", "/"),
    ],
)
def test_folder_of_is_the_folder_a_key_file_authorises(url: str, expected: str) -> None:
    assert folder_of(url) == expected


def test_in_folder_compares_paths_under_the_folder() -> None:
    assert in_folder("https://example.com/catalog/x", "/catalog/")
    assert in_folder("https://example.com/catalog/", "/catalog/")
    assert not in_folder("https://example.com/help/x", "/catalog/")
    assert not in_folder("https://example.com/catalogue/x", "/catalog/")
    assert in_folder("https://example.com", "/")
    assert not in_folder("https://example.com", "/catalog/")


# --- host names a browser or an engine would refuse (WHATWG forbidden host code points) ------


@pytest.mark.parametrize("char", ["\x7f", ">", "<", "^", "|", "\\", "%", " ", "\x00"])
def test_a_host_name_with_a_forbidden_character_is_refused(char: str) -> None:
    problem = host_problem(f"exa{char}mple.com")
    assert problem == "has a space or another character that is not allowed in a host name"
    assert host_problem("example.com") is None


def test_a_control_character_anywhere_in_a_url_is_refused() -> None:
    for url in ("https://example.com/a\x7fb", "https://example.com/a\tb"):
        assert http_url_problem(url) == "contains a tab, newline or another control character"
    assert http_url_problem("https://example.com/a~b") is None


@pytest.mark.parametrize(
    ("hostname", "refused"),
    [
        # DNS limits (RFC 1035): 63 characters per label, 253 in all (no final dot).
        ("a" * 63 + ".example", False),
        ("a" * 64 + ".example", True),
        (".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61]), False),  # 253
        (".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 62]), True),  # 254
        ("www.example.com.", False),  # fully qualified: the same host
        ("www..example.com", True),
        ("", True),
        # International names: a label IDNA can encode is a host; one it cannot is not.
        ("bücher.example", False),
        ("xn--bcher-kva.example", False),
        ("\u200d.example", True),  # a zero-width joiner alone
        ("a\ufffcb.example", True),  # U+FFFC, prohibited by IDNA
    ],
    ids=[
        "label-63",
        "label-64",
        "name-253",
        "name-254",
        "final-dot",
        "empty-label",
        "empty",
        "idn",
        "punycode",
        "zwj-alone",
        "u-fffc",
    ],
)
def test_host_names_are_held_to_dns_and_idna_rules(hostname: str, refused: bool) -> None:
    assert (host_problem(hostname) is not None) is refused


def test_a_site_with_an_international_host_name_is_accepted() -> None:
    assert normalize_site("https://Bücher.example/") == "https://bücher.example"
    with pytest.raises(ValueError, match="international host name label"):
        normalize_site("https://a\ufffcb.example")

"""Key format, key-file URL and scope, and the exact-match check against a real local site."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexnow_sync.errors import ConfigError, KeyCheckError, KeyFormatError
from indexnow_sync.keyfile import (
    KINDS,
    check_hosted_key_file,
    check_local_key_file,
    diagnose_kind,
    display_url,
    filter_in_scope,
    fix_for,
    key_file_url,
    key_scope,
    require_ok,
    shorten_key,
    validate_key,
)
from indexnow_sync.models import KeyCheck
from indexnow_sync.web import WebClient
from tests.siteserver import SiteServer, site_server  # noqa: F401

KEY = "3f9a0b1c2d3e4f5a6b7c8d9e0f1a4c8d"
OTHER = "0000aaaa1111bbbb2222cccc3333dddd"
SPA_PAGE = b"<!doctype html><html><head><title>App</title></head><body><div id=app></div>"


def assert_key_hidden(*texts: str | None) -> None:
    for text in texts:
        assert KEY not in (text or "")


def hidden_check(check: KeyCheck) -> KeyCheck:
    assert_key_hidden(check.url, check.problem, check.fix)
    assert (check.kind is None) == check.ok
    assert check.kind is None or check.kind in KINDS  # the documented vocabulary
    return check


# --- key format -----------------------------------------------------------------------------


def test_valid_keys_pass_unchanged() -> None:
    assert validate_key(KEY) == KEY
    assert validate_key("abcd-EFG-1234") == "abcd-EFG-1234"
    assert validate_key("a" * 8) == "a" * 8
    assert validate_key("Z" * 128) == "Z" * 128


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("abc123", "6 characters long"),
        ("a" * 129, "129 characters long"),
        (KEY + "\n", "a newline as the last character"),
        ("abcd efgh1234", "a space as character 5"),
        ("abcd_efgh1234", "a character outside a-z, A-Z, 0-9 and '-' as character 5"),
    ],
)
def test_bad_keys_are_refused_saying_which_rule_without_the_key(key: str, expected: str) -> None:
    with pytest.raises(KeyFormatError) as caught:
        validate_key(key)
    message = str(caught.value)
    assert expected in message
    assert "8 to 128 characters" in message
    assert key.strip() not in message
    assert caught.value.exit_code == 2


def test_shortened_key_shows_only_its_ends() -> None:
    assert shorten_key(KEY) == "3f9a…4c8d"
    assert display_url(f"https://example.com/{KEY}.txt", KEY) == "https://example.com/3f9a…4c8d.txt"
    # A short key never shows more than half of itself.
    assert shorten_key("abcdefgh") == "ab…gh"
    assert shorten_key("0123456789abcde") == "01…de"  # 15 characters: 2 and 2
    assert shorten_key("0123456789abcdef") == "0123…cdef"  # 16: 4 and 4
    assert shorten_key("abcd") == "…"


@pytest.mark.parametrize("secret", ["abcde", "abcdef", "abcdefg"])
def test_a_secret_shorter_than_a_valid_key_is_not_shown_at_all(secret: str) -> None:
    # An invalid 5-7 character value (refused as a key, but still scrubbed from every line)
    # once showed 2 and 2 of its characters: more than half of it.
    assert shorten_key(secret) == "…"


# --- where the key file lives, and its scope -------------------------------------------------


def test_key_file_url_defaults_to_the_site_root() -> None:
    assert key_file_url("https://example.com", KEY, None) == f"https://example.com/{KEY}.txt"
    assert key_file_url("https://example.com/", KEY, None) == f"https://example.com/{KEY}.txt"


def test_key_location_on_the_same_host_is_used_as_given() -> None:
    location = "http://example.com/keys/indexnow.txt"  # http vs https: the same host
    assert key_file_url("https://example.com", KEY, location) == location


@pytest.mark.parametrize(
    "location",
    [f"https://cdn.example.com/{KEY}.txt", f"https://www.example.com/{KEY}.txt", f"/{KEY}.txt"],
)
def test_key_location_elsewhere_is_a_config_error_without_the_key(location: str) -> None:
    with pytest.raises(ConfigError) as caught:
        key_file_url("https://example.com/", KEY, location)
    message = str(caught.value)
    shown = location.replace(KEY, "3f9a…4c8d")
    if location.startswith("/"):
        assert "such as https://example.com/indexnow/KEY.txt" in message
        assert message.endswith(f"(got {shown})")
    else:
        assert message.startswith(f"--key-location {shown} is not on the site's host example.com: ")
    assert_key_hidden(message)


def test_scope_is_the_key_files_folder() -> None:
    assert key_scope(None) == "/"
    assert key_scope("https://example.com/k.txt") == "/"
    assert key_scope("https://example.com/catalog/k.txt") == "/catalog/"


def test_filter_keeps_site_urls_once_and_names_why_others_are_skipped() -> None:
    urls = [
        "https://example.com/a",
        "http://example.com/b",  # http and https mix on one host
        "https://example.com/a",  # duplicate
        "https://www.example.com/c",
        "https://example.com:8443/d",
        "/relative",
        "https://EXAMPLE.com:443/e",  # the same host, spelled differently
        "https://example.com",
    ]
    kept, skipped = filter_in_scope(urls, "https://example.com", None)
    assert kept == [
        "https://example.com/a",
        "http://example.com/b",
        "https://EXAMPLE.com:443/e",
        "https://example.com",
    ]
    reasons = {s.url: s.reason for s in skipped}
    assert "www.example.com" in reasons["https://www.example.com/c"]
    assert "example.com:8443" in reasons["https://example.com:8443/d"]
    assert "not an absolute" in reasons["/relative"]


def test_filter_drops_urls_outside_the_key_folder() -> None:
    urls = ["https://example.com/catalog/x", "https://example.com/help/y", "https://example.com/"]
    kept, skipped = filter_in_scope(
        urls, "https://example.com", "https://example.com/catalog/key.txt"
    )
    assert kept == ["https://example.com/catalog/x"]
    assert [s.url for s in skipped] == ["https://example.com/help/y", "https://example.com/"]
    assert all("/catalog/" in s.reason for s in skipped)


# Each URL's fate under a key file in /catalog/ and under one at the root, written out by hand.
SCOPE_CASES = {
    "https://example.com/catalog/a": ("kept", "kept"),
    "http://example.com/catalog/b": ("kept", "kept"),
    "https://EXAMPLE.com/catalog/c": ("kept", "kept"),
    "https://example.com:443/catalog/d": ("kept", "kept"),
    "http://example.com:80/catalog/": ("kept", "kept"),
    "https://example.com/catalogue/e": ("outside", "kept"),
    "https://example.com/help/f": ("outside", "kept"),
    "https://example.com/catalog": ("outside", "kept"),
    "https://example.com": ("outside", "kept"),
    "https://example.com?catalog/x": ("outside", "kept"),
    "https://www.example.com/catalog/g": ("host", "host"),
    "https://example.com:8443/catalog/h": ("host", "host"),
    "https://example.com.evil.test/catalog/i": ("host", "host"),
    "ftp://example.com/catalog/j": ("invalid", "invalid"),
    "/catalog/k": ("invalid", "invalid"),
    "https:///catalog/l": ("invalid", "invalid"),
}


@settings(max_examples=200, deadline=None)
@given(urls=st.lists(st.sampled_from(sorted(SCOPE_CASES)), max_size=12))
def test_filter_in_scope_keeps_exactly_the_urls_the_key_authorises(urls: list[str]) -> None:
    for column, location in enumerate(["https://example.com/catalog/key.txt", None]):
        kept, skipped = filter_in_scope(urls, "https://example.com", location)
        once = list(dict.fromkeys(urls))
        assert kept == [u for u in once if SCOPE_CASES[u][column] == "kept"]
        assert [s.url for s in skipped] == [u for u in once if SCOPE_CASES[u][column] != "kept"]
        words = {"outside": "outside /catalog/", "host": "not on the site's host example.com"}
        words["invalid"] = "not an absolute http(s) URL"
        for item in skipped:
            assert words[SCOPE_CASES[item.url][column]] in item.reason


def test_filter_on_a_site_with_a_port() -> None:
    site = "http://127.0.0.1:8000"
    urls = ["http://127.0.0.1:8000/a", "http://127.0.0.1/b", "http://127.0.0.1:8001/c"]
    kept, skipped = filter_in_scope(urls, site, None)
    assert kept == ["http://127.0.0.1:8000/a"]
    assert [s.reason for s in skipped] == [
        "on host 127.0.0.1, not on the site's host 127.0.0.1:8000",
        "on host 127.0.0.1:8001, not on the site's host 127.0.0.1:8000",
    ]


# --- the hosted key file ------------------------------------------------------------------


@pytest.fixture
def client() -> WebClient:
    return WebClient(timeout=2.0)


@pytest.mark.parametrize(
    ("body", "status", "content_type", "kind", "problem", "fix"),
    [
        (KEY + "\n", 200, None, "trailing_newline", "ends with a newline", "without a newline"),
        (KEY + "\r\n", 200, None, "crlf", "Windows line ending (\\r\\n)", "without a line ending"),
        ("\ufeff" + KEY, 200, None, "bom", "byte order mark (BOM)", "without BOM"),
        (" " + KEY + "  ", 200, None, "whitespace", "starts with whitespace", "no spaces"),
        (SPA_PAGE, 200, "text/html; charset=utf-8", "html", "HTML page", "SPA's index.html"),
        (SPA_PAGE, 200, "text/plain", "html", "HTML page", "SPA's index.html"),
        ("Not Found", 200, "text/html", "html", "HTML page (text/html)", "SPA's index.html"),
        ("<p>x</p>", 200, "text/html; charset=utf-8", "html", "page (text/html),", "SPA's"),
        ("", 200, None, "empty", "is empty", "write the key into the file"),
        (OTHER, 200, None, "wrong_key", "different key of the same length", "INDEXNOW_KEY"),
        (KEY.upper(), 200, None, "wrong_key", "different upper/lower case", "INDEXNOW_KEY"),
        ("not found", 404, None, "not_found", "was not found (HTTP 404)", "deploy the key file"),
        ("gone", 410, None, "not_found", "was not found (HTTP 410)", "deploy the key file"),
        ("oops", 500, None, "server_error", "HTTP 500", "retry"),
        ("busy", 503, None, "server_error", "HTTP 503", "retry"),
        ("nope", 403, None, "status", "HTTP 403", "HTTP 200"),
    ],
)
def test_hosted_key_file_problems_are_diagnosed_with_a_fix(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
    body: bytes | str,
    status: int,
    content_type: str | None,
    kind: str,
    problem: str,
    fix: str,
) -> None:
    site_server.route(f"/{KEY}.txt", body, status=status, content_type=content_type)
    url = key_file_url(site_server.base_url, KEY, None)
    check = hidden_check(check_hosted_key_file(client, url, KEY))
    assert (check.ok, check.local_only) == (False, False)
    assert check.kind == kind
    assert problem in (check.problem or "")
    assert fix in (check.fix or "")
    assert check.url == f"{site_server.base_url}/3f9a…4c8d.txt"


def test_exact_key_passes(site_server: SiteServer, client: WebClient) -> None:  # noqa: F811
    site_server.route(f"/{KEY}.txt", KEY)
    check = hidden_check(
        check_hosted_key_file(client, key_file_url(site_server.base_url, KEY, None), KEY)
    )
    assert check.ok
    assert check.problem is None
    assert not check.local_only
    require_ok(check)  # does not raise


def test_redirect_within_the_host_is_followed(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
) -> None:
    site_server.route(f"/{KEY}.txt", redirect_to=f"/keys/{KEY}.txt", status=301)
    site_server.route(f"/keys/{KEY}.txt", KEY)
    check = check_hosted_key_file(client, key_file_url(site_server.base_url, KEY, None), KEY)
    assert check.ok


def test_redirect_to_another_host_names_that_host(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
) -> None:
    elsewhere = site_server.url(f"/{KEY}.txt", host="localhost")
    site_server.route(f"/keys/{KEY}.txt", redirect_to=elsewhere, status=302)
    url = site_server.url(f"/keys/{KEY}.txt")
    check = hidden_check(check_hosted_key_file(client, url, KEY))
    assert not check.ok
    assert check.problem == f"redirects to another host localhost:{site_server.port}"
    assert "site's own host" in (check.fix or "")
    assert site_server.hits(f"/{KEY}.txt") == 0  # the other host was never asked


def test_spa_fallback_after_redirect_mentions_where_it_went(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
) -> None:
    site_server.route(f"/{KEY}.txt", redirect_to="/", status=302)
    site_server.route("/", SPA_PAGE, content_type="text/html")
    check = hidden_check(
        check_hosted_key_file(client, key_file_url(site_server.base_url, KEY, None), KEY)
    )
    assert not check.ok
    assert "HTML page" in (check.problem or "")
    assert "after a redirect to /" in (check.problem or "")


def test_unreachable_site_is_a_failed_check_not_an_exception(client: WebClient) -> None:
    with SiteServer() as server:
        url = key_file_url(server.base_url, KEY, None)
    check = hidden_check(check_hosted_key_file(client, url, KEY))  # server is closed now
    assert not check.ok
    assert "could not be fetched" in (check.problem or "")


def test_slow_key_file_times_out_as_a_failed_check(site_server: SiteServer) -> None:  # noqa: F811
    site_server.route(f"/{KEY}.txt", KEY, delay=5.0)
    url = key_file_url(site_server.base_url, KEY, None)
    check = hidden_check(check_hosted_key_file(WebClient(timeout=0.2), url, KEY))
    assert not check.ok
    assert "timed out" in (check.problem or "")


def test_require_ok_raises_the_problem_then_the_fix_on_its_own_line(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
) -> None:
    site_server.route(f"/{KEY}.txt", KEY + "\n")
    check = check_hosted_key_file(client, key_file_url(site_server.base_url, KEY, None), KEY)
    with pytest.raises(KeyCheckError) as caught:
        require_ok(check)
    message = str(caught.value)
    assert message.splitlines() == [
        f"key file {site_server.base_url}/3f9a…4c8d.txt ends with a newline (\\n)",
        f"fix: {check.fix}",
    ]
    assert check.fix is not None and check.fix.startswith("write the file without a newline: ")
    assert_key_hidden(message)


def test_a_missing_hosted_key_file_says_the_key_may_differ_and_how_to_check(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
) -> None:
    # Issue 19: "was not found (HTTP 404)" alone sent users to deploy a file that was
    # deployed, under the name of another key. Before the fix: no cause, no verify-key.
    site_server.route(f"/{KEY}.txt", "nope", status=404)
    check = check_hosted_key_file(client, key_file_url(site_server.base_url, KEY, None), KEY)
    assert check.kind == "not_found" and check.cause is not None
    assert "the key given (INDEXNOW_KEY, --key) is not the one" in check.cause
    assert "indexnow-sync verify-key --key-location URL-OF-THAT-FILE" in check.cause
    with pytest.raises(KeyCheckError) as caught:
        require_ok(check)
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("was not found (HTTP 404)")
    assert lines[-1].startswith("fix: deploy the key file at that address")
    assert all(len(line) < 160 for line in lines)


# --- the key file in the build folder ------------------------------------------------------


def test_local_key_file_with_newline_is_caught_before_deploy(tmp_path: Path) -> None:
    path = tmp_path / f"{KEY}.txt"
    path.write_bytes(KEY.encode() + b"\n")
    check = hidden_check(check_local_key_file(path, KEY))
    assert not check.ok
    assert check.local_only
    assert check.problem == "ends with a newline (\\n)"
    assert (check.fix or "").endswith(
        f'printf \'%s\' "$INDEXNOW_KEY" > {tmp_path}/"$INDEXNOW_KEY".txt'
    )


def test_local_key_file_exact_passes(tmp_path: Path) -> None:
    path = tmp_path / f"{KEY}.txt"
    path.write_bytes(KEY.encode())
    check = hidden_check(check_local_key_file(path, KEY))
    assert check.ok
    assert check.local_only


def test_missing_local_key_file_is_reported(tmp_path: Path) -> None:
    check = hidden_check(check_local_key_file(tmp_path / f"{KEY}.txt", KEY))
    assert (check.ok, check.kind, check.local_only) == (False, "missing_local", True)
    assert check.problem == "does not exist"
    assert check.url == f"{tmp_path}/3f9a…4c8d.txt"
    assert (check.fix or "").endswith(f'> {tmp_path}/"$INDEXNOW_KEY".txt')


def test_local_key_file_over_1_mib_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / f"{KEY}.txt"
    path.write_bytes(b"k" * (1024 * 1024 + 1))
    check = hidden_check(check_local_key_file(path, KEY))
    assert (check.ok, check.kind, check.local_only) == (False, "too_large", True)
    assert check.url == f"{tmp_path}/3f9a…4c8d.txt"
    assert (check.fix or "").endswith(f'> {tmp_path}/"$INDEXNOW_KEY".txt')
    assert "1 MiB" in (check.problem or "")


def test_local_key_file_of_exactly_1_mib_is_read_and_judged(tmp_path: Path) -> None:
    path = tmp_path / f"{KEY}.txt"
    path.write_bytes(b"k" * (1024 * 1024))
    check = hidden_check(check_local_key_file(path, KEY))
    assert (check.ok, check.kind) == (False, "other_content")


def test_unreadable_local_key_file_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / f"{KEY}.txt"
    path.mkdir()  # a folder where the file should be: reading it fails
    check = hidden_check(check_local_key_file(path, KEY))
    assert (check.ok, check.kind, check.local_only) == (False, "missing_local", True)
    assert check.problem == "cannot be read (Is a directory)"
    assert check.url == f"{tmp_path}/3f9a…4c8d.txt"
    assert (check.fix or "").endswith(f'> {tmp_path}/"$INDEXNOW_KEY".txt')


@pytest.mark.parametrize(
    ("body", "kind", "problem"),
    [
        (b"\n", "empty", "contains only whitespace (1 bytes)"),
        (KEY.encode() + b" extra", "other_content", "contains the key plus other text"),
        (b"<!doctype html><title>App</title>", "html", "is an HTML page (no content type)"),
    ],
)
def test_local_key_file_problems_have_their_kind(
    tmp_path: Path, body: bytes, kind: str, problem: str
) -> None:
    path = tmp_path / f"{KEY}.txt"
    path.write_bytes(body)
    check = hidden_check(check_local_key_file(path, KEY))
    assert (check.ok, check.kind, check.local_only) == (False, kind, True)
    assert (check.problem or "").startswith(problem)
    assert check.url == f"{tmp_path}/3f9a…4c8d.txt"
    assert f'> {tmp_path}/"$INDEXNOW_KEY".txt' in (check.fix or "")


# --- the diagnosis, kind by kind (a pure function of what was fetched) ----------------------

URL = f"https://example.com/{KEY}.txt"


def diagnosis(
    body: bytes, *, status: int = 200, content_type: str = "text/plain", final_url: str = URL
) -> tuple[str, str] | None:
    return diagnose_kind(
        body,
        KEY,
        status=status,
        content_type=content_type,
        final_url=final_url,
        requested_url=URL,
    )


@pytest.mark.parametrize(
    ("body", "kind", "problem"),
    [
        (KEY + "\n", "trailing_newline", "ends with a newline (\\n)"),
        (KEY + "\r\n", "crlf", "ends with a Windows line ending (\\r\\n)"),
        (KEY + " ", "whitespace", "ends with whitespace ( )"),
        (KEY + "\n\n", "whitespace", "ends with whitespace (\\n\\n)"),
        (KEY + "\t", "whitespace", "ends with whitespace (\\t)"),
        (" " + KEY, "whitespace", "starts with whitespace ( )"),
        (
            "\t" + KEY + "\n",
            "whitespace",
            "starts with whitespace (\\t) and ends with a newline (\\n)",
        ),
        ("\ufeff" + KEY, "bom", "starts with a UTF-8 byte order mark (BOM)"),
        (
            "\ufeff" + KEY + "\r\n",
            "bom",
            "starts with a UTF-8 byte order mark (BOM) and ends with a Windows line ending "
            "(\\r\\n)",
        ),
    ],
)
def test_whitespace_and_bom_kinds_are_told_apart(body: str, kind: str, problem: str) -> None:
    assert diagnosis(body.encode()) == (kind, problem)


@pytest.mark.parametrize(
    ("body", "content_type", "problem_start"),
    [
        (b"Not Found", "text/html", "is an HTML page (text/html)"),
        (b"Not Found", "TEXT/HTML; charset=utf-8", "is an HTML page (TEXT/HTML)"),
        (b"<p>gone</p>", "application/xhtml+xml", "is an HTML page (application/xhtml+xml)"),
        (b"\n<!DOCTYPE html><html><body>404</body></html>", "text/plain", "is an HTML page"),
        (b"\r\n  <html><body>app</body></html>", "", "is an HTML page (no content type)"),
        (b"\xef\xbb\xbf<!doctype html>", "text/plain", "is an HTML page"),
        (b"<HEAD><title>x</title></HEAD>", "text/plain", "is an HTML page"),
        (b"<body>x</body>", "application/octet-stream", "is an HTML page"),
    ],
)
def test_html_pages_are_recognised(body: bytes, content_type: str, problem_start: str) -> None:
    found = diagnosis(body, content_type=content_type)
    assert found is not None
    assert found[0] == "html"
    assert found[1].startswith(problem_start)


@pytest.mark.parametrize(
    ("status", "kind", "problem"),
    [
        (404, "not_found", "was not found (HTTP 404)"),
        (410, "not_found", "was not found (HTTP 410)"),
        (500, "server_error", "could not be read: the server answered HTTP 500"),
        (503, "server_error", "could not be read: the server answered HTTP 503"),
        (499, "status", "answered HTTP 499 instead of 200"),
        (300, "status", "answered HTTP 300 instead of 200"),
        (403, "status", "answered HTTP 403 instead of 200"),
        (304, "status", "answered HTTP 304 instead of 200"),
        (199, "status", "answered HTTP 199 instead of 200"),
    ],
)
def test_statuses_other_than_2xx_have_their_kind(status: int, kind: str, problem: str) -> None:
    # Even when the body happens to be the key: only a 2xx answer counts.
    assert diagnosis(KEY.encode(), status=status) == (kind, problem)


@pytest.mark.parametrize("status", [200, 203, 299])
def test_any_2xx_with_exactly_the_key_passes(status: int) -> None:
    assert diagnosis(KEY.encode(), status=status) is None


@pytest.mark.parametrize(
    ("body", "kind", "problem"),
    [
        (b"", "empty", "is empty (0 bytes)"),
        (b" \r\n", "empty", "contains only whitespace (3 bytes)"),
        (KEY.upper().encode(), "wrong_key", "holds the key with different upper/lower case"),
        (OTHER.encode(), "wrong_key", "holds a different key of the same length (32 characters"),
        (b"abcdefgh", "wrong_key", "holds a different key (8 characters; the configured key"),
        (b"a" * 128, "wrong_key", "holds a different key (128 characters;"),
        (b"abcdefg", "other_content", "does not contain the key (7 bytes of other content)"),
        (b"a" * 129, "other_content", "does not contain the key (129 bytes of other content)"),
        (b"key=" + KEY.encode(), "other_content", "contains the key plus other text (36 bytes"),
        (KEY.encode() + b"\x00", "other_content", "contains the key plus other text (33 bytes"),
        (b"\xff\xfe k\xe9y", "other_content", "does not contain the key (6 bytes of other"),
    ],
)
def test_content_problems_have_their_kind(body: bytes, kind: str, problem: str) -> None:
    found = diagnosis(body)
    assert found is not None
    assert found[0] == kind
    assert found[1].startswith(problem)


def test_a_redirect_is_named_in_the_problem() -> None:
    moved = f"https://example.com/keys/{KEY}.txt"
    assert diagnosis(KEY.encode() + b"\n", final_url=moved) == (
        "trailing_newline",
        "ends with a newline (\\n) (after a redirect to /keys/3f9a…4c8d.txt)",
    )
    assert diagnosis(b"", status=404, final_url="https://example.com") == (
        "not_found",
        "was not found (HTTP 404) (after a redirect to /)",
    )
    assert diagnosis(KEY.encode(), final_url=moved) is None
    assert diagnosis(b"", status=404, final_url="") == ("not_found", "was not found (HTTP 404)")


def test_the_kinds_a_check_reports_are_documented() -> None:
    assert set(KINDS) == {
        "trailing_newline",
        "crlf",
        "whitespace",
        "bom",
        "html",
        "empty",
        "wrong_key",
        "other_content",
        "not_found",
        "server_error",
        "status",
        "redirect_off_host",
        "too_many_redirects",
        "too_large",
        "timeout",
        "unreachable",
        "missing_local",
        "under_base_path",
    }


def test_every_kind_has_its_own_fix() -> None:
    fallback = fix_for("no-such-kind", "WRITE-COMMAND")
    assert fallback.endswith("WRITE-COMMAND")
    fixes = {kind: fix_for(kind, "WRITE-COMMAND") for kind in KINDS}
    assert fallback not in fixes.values()
    assert len(set(fixes.values())) == len(KINDS)
    assert fixes["trailing_newline"].endswith("WRITE-COMMAND")


# --- hosted failures that are not about the body -------------------------------------------


def test_redirect_to_a_non_http_target_is_an_off_host_redirect(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
) -> None:
    site_server.route(f"/{KEY}.txt", redirect_to=f"ftp://files.example.com/{KEY}.txt", status=301)
    check = hidden_check(
        check_hosted_key_file(client, key_file_url(site_server.base_url, KEY, None), KEY)
    )
    assert (check.ok, check.kind) == (False, "redirect_off_host")
    assert check.problem == "redirects to another host"
    assert "ftp://files.example.com/3f9a…4c8d.txt" in (check.cause or "")


@pytest.mark.parametrize(
    ("location_path", "file_in_fix"),
    [
        ("/keys/indexnow-key.txt", "BUILD_DIR/keys/indexnow-key.txt"),
        (f"/keys/{KEY}.txt", 'BUILD_DIR/keys/"$INDEXNOW_KEY".txt'),
        ("/keys/KEYFIX", "BUILD_DIR/keys/KEYFIX"),
    ],
)
def test_the_fix_writes_the_key_file_where_the_key_location_points(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
    location_path: str,
    file_in_fix: str,
) -> None:
    site_server.route(location_path, KEY + "\n")
    url = key_file_url(site_server.base_url, KEY, site_server.url(location_path))
    check = hidden_check(check_hosted_key_file(client, url, KEY))
    assert check.kind == "trailing_newline"
    assert (check.fix or "").endswith(f"printf '%s' \"$INDEXNOW_KEY\" > {file_in_fix}")


def test_endless_redirects_are_their_own_kind(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
) -> None:
    site_server.route(f"/{KEY}.txt", redirect_to="/a", status=302)
    site_server.route("/a", redirect_to="/b", status=302)
    site_server.route("/b", redirect_to="/a", status=302)
    check = hidden_check(
        check_hosted_key_file(client, key_file_url(site_server.base_url, KEY, None), KEY)
    )
    assert (check.ok, check.kind, check.problem) == (
        False,
        "too_many_redirects",
        "redirects too many times",
    )


def test_hosted_key_file_over_1_mib_is_too_large(
    site_server: SiteServer,  # noqa: F811
    client: WebClient,
) -> None:
    site_server.route(f"/{KEY}.txt", b"k" * (1024 * 1024 + 1))
    check = hidden_check(
        check_hosted_key_file(client, key_file_url(site_server.base_url, KEY, None), KEY)
    )
    assert (check.ok, check.kind) == (False, "too_large")
    assert "1 MiB" in (check.problem or "")
    assert (check.fix or "").endswith('> BUILD_DIR/"$INDEXNOW_KEY".txt')


def test_unreachable_and_slow_sites_have_their_kinds(site_server: SiteServer) -> None:  # noqa: F811
    with SiteServer() as server:
        closed = key_file_url(server.base_url, KEY, None)
    unreachable = check_hosted_key_file(WebClient(timeout=2.0), closed, KEY)
    assert (unreachable.ok, unreachable.kind, unreachable.local_only) == (
        False,
        "unreachable",
        False,
    )
    assert unreachable.url == f"{server.base_url}/3f9a…4c8d.txt"
    # Short: the URL, then "could not be fetched"; what the transport saw is the cause, and
    # its fix the one fix (review of issue 19: they were one 200-character line, then a
    # second, different fix).
    assert unreachable.problem == "could not be fetched"
    assert (unreachable.cause or "").startswith("the connection was refused")
    assert server.base_url not in (unreachable.cause or "")  # the URL is not said twice
    assert unreachable.fix == "check the URL's host and port, and that the server is running"
    site_server.route(f"/{KEY}.txt", KEY, delay=3.0)
    url = key_file_url(site_server.base_url, KEY, None)
    slow = check_hosted_key_file(WebClient(timeout=0.2), url, KEY)
    assert (slow.ok, slow.kind) == (False, "timeout")

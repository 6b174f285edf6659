"""sources.py, the disk side: build-folder discovery, index children mapped to files, limits."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from indexnow_sync.errors import BuildSitemapError
from indexnow_sync.sources import (
    BUILD_NAMES,
    Limits,
    Side,
    find_build_sitemap,
    map_child_to_file,
    merge,
    read_disk_side,
    read_sitemap_file,
    robots_sitemaps,
)

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITE = "https://site.example"


def urlset(*paths: str) -> str:
    body = "".join(f"<url><loc>{SITE}{p}</loc></url>" for p in paths)
    return f'<urlset xmlns="{NS}">{body}</urlset>'


def index(*children: str) -> str:
    body = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
    return f'<sitemapindex xmlns="{NS}">{body}</sitemapindex>'


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def read(path: Path, limits: Limits | None = None) -> tuple[set[str], Side]:
    side = Side()
    urls = merge(read_disk_side(path, limits or Limits(), side, "--build"))
    return {loc.decode() for loc in urls}, side


# --- discovery --------------------------------------------------------------------------------


def test_folder_discovery_follows_the_documented_order(tmp_path: Path) -> None:
    assert BUILD_NAMES == (
        "sitemap-index.xml",
        "sitemap_index.xml",
        "sitemap.xml",
        "sitemap.xml.gz",
    )
    for name in reversed(BUILD_NAMES):
        (tmp_path / name).write_bytes(b"x")
        # each newly written name wins over those later in the order
        assert find_build_sitemap(tmp_path) == tmp_path / name


def test_gzip_only_build_is_found_and_read(tmp_path: Path) -> None:
    write(tmp_path, {"sitemap.xml.gz": gzip.compress(urlset("/a", "/b").encode())})
    urls, _ = read(tmp_path)
    assert urls == {f"{SITE}/a", f"{SITE}/b"}


def test_a_file_is_used_as_given(tmp_path: Path) -> None:
    write(tmp_path, {"custom-name.xml": urlset("/x")})
    assert find_build_sitemap(tmp_path / "custom-name.xml") == tmp_path / "custom-name.xml"
    assert read(tmp_path / "custom-name.xml")[0] == {f"{SITE}/x"}


def test_folder_without_a_sitemap_names_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html></html>")
    with pytest.raises(BuildSitemapError) as caught:
        find_build_sitemap(tmp_path)
    assert str(tmp_path) in str(caught.value)
    assert "sitemap-index.xml" in str(caught.value) and "sitemap.xml.gz" in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_path_is_a_build_error(tmp_path: Path) -> None:
    with pytest.raises(BuildSitemapError, match="no such file or folder"):
        find_build_sitemap(tmp_path / "dist")


def test_a_malformed_build_sitemap_is_a_build_error_naming_the_file(tmp_path: Path) -> None:
    write(tmp_path, {"sitemap.xml": "<!doctype html><html></html>"})
    with pytest.raises(BuildSitemapError) as caught:
        read(tmp_path)
    assert str(tmp_path / "sitemap.xml") in str(caught.value)
    assert "HTML" in str(caught.value)


# --- index children ---------------------------------------------------------------------------


def test_index_children_given_as_public_urls_map_to_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sitemap-index.xml": index(f"{SITE}/sitemap-0.xml", f"{SITE}/blog/sitemap-1.xml"),
            "sitemap-0.xml": urlset("/", "/about/"),
            "blog/sitemap-1.xml": urlset("/blog/", "/about/"),
        },
    )
    urls, side = read(tmp_path)
    assert urls == {f"{SITE}/", f"{SITE}/about/", f"{SITE}/blog/"}
    assert side.sources == [
        str(tmp_path / "sitemap-index.xml"),
        str(tmp_path / "sitemap-0.xml"),
        str(tmp_path / "blog" / "sitemap-1.xml"),
    ]


def test_children_under_a_base_path_map_to_files(tmp_path: Path) -> None:
    # GitHub Pages project site: served at https://user.github.io/repo/, built into dist/
    write(
        tmp_path,
        {
            "sitemap-index.xml": index("https://user.github.io/repo/sitemap-0.xml"),
            "sitemap-0.xml": urlset("/repo/"),
        },
    )
    urls, _ = read(tmp_path)
    assert urls == {f"{SITE}/repo/"}


def test_relative_child_locs_resolve_against_the_index_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sitemap.xml": index("en/sitemap.xml", "/fr/sitemap.xml"),
            "en/sitemap.xml": urlset("/en/"),
            "fr/sitemap.xml": urlset("/fr/"),
        },
    )
    assert read(tmp_path)[0] == {f"{SITE}/en/", f"{SITE}/fr/"}


def test_map_child_to_file_never_leaves_the_build_folder(tmp_path: Path) -> None:
    build = tmp_path / "build"
    write(tmp_path, {"secret.xml": urlset("/s"), "build/sitemap.xml": index()})
    assert map_child_to_file("../secret.xml", build / "sitemap.xml", build) is None
    assert map_child_to_file(f"{SITE}/../secret.xml", build / "sitemap.xml", build) is None


def test_missing_child_names_the_child_and_the_expected_path(tmp_path: Path) -> None:
    write(tmp_path, {"sitemap-index.xml": index(f"{SITE}/sitemap-0.xml", f"{SITE}/sitemap-9.xml")})
    write(tmp_path, {"sitemap-0.xml": urlset("/")})
    with pytest.raises(BuildSitemapError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert f"{SITE}/sitemap-9.xml" in message
    assert str(tmp_path / "sitemap-9.xml") in message
    assert caught.value.exit_code == 2


def test_nested_index_is_followed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sitemap-index.xml": index(f"{SITE}/pages.xml", f"{SITE}/blog/sitemap-index.xml"),
            "pages.xml": urlset("/"),
            "blog/sitemap-index.xml": index(f"{SITE}/blog/posts.xml"),
            "blog/posts.xml": urlset("/blog/post/"),
        },
    )
    assert read(tmp_path)[0] == {f"{SITE}/", f"{SITE}/blog/post/"}


def test_index_depth_is_bounded(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sitemap-index.xml": index(f"{SITE}/l1.xml"),
            "l1.xml": index(f"{SITE}/l2.xml"),
            "l2.xml": index(f"{SITE}/l3.xml"),
            "l3.xml": urlset("/deep"),
        },
    )
    assert read(tmp_path, Limits(max_depth=3))[0] == {f"{SITE}/deep"}
    with pytest.raises(BuildSitemapError, match="deeper than 2 levels"):
        read(tmp_path, Limits(max_depth=2))


def test_child_count_is_bounded(tmp_path: Path) -> None:
    children = {f"s{i}.xml": urlset(f"/p{i}") for i in range(5)}
    write(tmp_path, {"sitemap-index.xml": index(*(f"{SITE}/{n}" for n in children)), **children})
    assert len(read(tmp_path, Limits(max_children=5))[0]) == 5
    with pytest.raises(BuildSitemapError) as caught:
        read(tmp_path, Limits(max_children=4))
    assert "lists 5 sitemaps" in str(caught.value)
    assert str(tmp_path / "sitemap-index.xml") in str(caught.value)


def test_total_file_count_is_bounded(tmp_path: Path) -> None:
    children = {f"s{i}.xml": urlset(f"/p{i}") for i in range(5)}
    write(tmp_path, {"sitemap-index.xml": index(*(f"{SITE}/{n}" for n in children)), **children})
    with pytest.raises(BuildSitemapError, match="more than 3 sitemap files"):
        read(tmp_path, Limits(max_files=3))


def test_a_cycle_is_read_once_with_a_warning(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sitemap-index.xml": index(f"{SITE}/a.xml", f"{SITE}/b.xml"),
            "a.xml": index(f"{SITE}/b.xml", f"{SITE}/pages.xml"),
            "b.xml": index(f"{SITE}/a.xml"),
            "pages.xml": urlset("/", "/x"),
        },
    )
    urls, side = read(tmp_path)
    assert urls == {f"{SITE}/", f"{SITE}/x"}
    assert any("again" in w for w in side.warnings)
    assert sorted(side.sources) == sorted(set(side.sources))


def test_a_self_listing_index_is_read_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "sitemap_index.xml": index(f"{SITE}/sitemap_index.xml", f"{SITE}/sitemap-1.xml"),
            "sitemap-1.xml": urlset("/"),
        },
    )
    urls, side = read(tmp_path)
    assert urls == {f"{SITE}/"}
    assert side.sources.count(str(tmp_path / "sitemap_index.xml")) == 1


def test_a_url_in_two_build_files_keeps_its_latest_lastmod(tmp_path: Path) -> None:
    def one(lastmod: str) -> str:
        entry = f"<url><loc>{SITE}/a</loc><lastmod>{lastmod}</lastmod></url>"
        return f'<urlset xmlns="{NS}">{entry}</urlset>'

    write(
        tmp_path,
        {
            "sitemap-index.xml": index(f"{SITE}/s0.xml", f"{SITE}/s1.xml", f"{SITE}/s2.xml"),
            "s0.xml": one("2024-05-01"),
            "s1.xml": one("2024-06-01"),
            "s2.xml": one("2024-05-15"),
        },
    )
    merged = merge(read_disk_side(tmp_path, Limits(workers=1), Side(), "--build"))
    assert merged == {f"{SITE}/a".encode(): b"2024-06-01"}


def test_parse_warnings_reach_the_side(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"sitemap.xml": f'<urlset xmlns="{NS}"><url><loc>{SITE}/?a=1&b=2</loc></url></urlset>'},
    )
    urls, side = read(tmp_path)
    assert urls == {f"{SITE}/?a=1&b=2"}
    assert any("unescaped '&'" in w for w in side.warnings)


def test_demo_folders_read_through_their_index(fixtures_dir: Path) -> None:
    live, _ = read(fixtures_dir / "demo" / "live")
    build, _ = read(fixtures_dir / "demo" / "build")
    assert len(live) == 9
    assert len(build) == 12
    assert "/docs/draft/" in build


# --- robots.txt -------------------------------------------------------------------------------


def test_robots_sitemap_lines_any_case_any_group_once_each() -> None:
    robots = (
        "User-agent: *\nDisallow: /admin\n"
        "Sitemap: https://site.example/sitemap-index.xml\n"
        "\nUser-agent: Googlebot\n  sitemap:https://site.example/news.xml  \n"
        "SITEMAP : https://site.example/sitemap-index.xml\r\n"
        "# Sitemap: https://site.example/commented.xml\n"
    )
    assert robots_sitemaps(robots) == [
        "https://site.example/sitemap-index.xml",
        "https://site.example/news.xml",
    ]


def test_a_robots_txt_of_blank_lines_is_read_in_linear_time() -> None:
    # "^\\s*sitemap" (multi-line) let every line start scan all the blank lines after it:
    # 40 s for these 60,000 lines before, and 500 KiB of them took minutes. The bound is
    # generous: the reading takes milliseconds.
    robots = " \n" * 60_000 + "Sitemap: https://site.example/s.xml\n" + " \n" * 60_000
    started = time.monotonic()
    assert robots_sitemaps(robots) == ["https://site.example/s.xml"]
    assert time.monotonic() - started < 10.0


def test_an_oversized_build_file_names_the_limit_in_force(tmp_path: Path) -> None:
    # With --max-sitemap-bytes 1000 the message said "larger than 0 MiB, the sitemap
    # protocol's limit": neither the limit given nor the protocol's.
    path = tmp_path / "sitemap.xml"
    path.write_text(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "<url><loc>https://ex.com/p</loc></url>" * 100
        + "</urlset>",
        encoding="utf-8",
    )
    with pytest.raises(BuildSitemapError) as caught:
        read_sitemap_file(path, Limits(max_sitemap_bytes=1000))
    message = caught.value.message
    assert str(path) in message
    assert "1000 bytes" in message and "--max-sitemap-bytes" in message
    assert " than 0 MiB" not in message

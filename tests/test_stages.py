"""The stages of a run take plain values, not a Config: each is called here with only what its
signature names (issue 17), on files in a temporary folder, without the network."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from indexnow_sync.delta import Sides, compute_delta, find_build
from indexnow_sync.errors import KeyCheckError, TooManyUrlsError, UsageError
from indexnow_sync.gates import deadline_for
from indexnow_sync.keycheck import KeyFile, check_key_file, record_key_check
from indexnow_sync.outcome import Outcome
from indexnow_sync.send import cap
from indexnow_sync.web import WebClient

KEY = "0123456789abcdef0123456789abcdef"
SITE = "https://example.com"


def sitemap(path: Path, entries: dict[str, str]) -> Path:
    urls = "".join(
        f"<url><loc>{loc}</loc><lastmod>{m}</lastmod></url>" for loc, m in entries.items()
    )
    path.write_text(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + urls + "</urlset>",
        encoding="utf-8",
    )
    return path


def no_live_site() -> AbstractContextManager[WebClient]:
    raise AssertionError("a baseline run must not open a client for the live site")


def test_the_delta_from_sides_alone(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    before = sitemap(tmp_path / "old.xml", {f"{SITE}/a": "2024-01-01", f"{SITE}/b": "2024-01-01"})
    sitemap(
        tmp_path / "build" / "sitemap.xml",
        {f"{SITE}/a": "2024-01-01", f"{SITE}/b": "2024-02-01", f"{SITE}/c": "2024-02-01"},
    )
    sides = Sides(SITE, tmp_path / "build", before, None, 1 << 20)
    read = compute_delta(sides, no_live_site)
    assert (read.delta.added, read.delta.changed, read.delta.removed) == (
        (f"{SITE}/c",),
        (f"{SITE}/b",),
        (),
    )
    assert read.before["kind"] == "baseline"
    assert read.after["count"] == 3


def test_a_site_no_build_url_is_on_is_refused(tmp_path: Path) -> None:
    before = sitemap(tmp_path / "old.xml", {})
    build = sitemap(tmp_path / "new.xml", {"https://www.example.com/a": "2024-01-01"})
    with pytest.raises(UsageError, match=r"--site https://www\.example\.com"):
        compute_delta(Sides(SITE, build, before, None, 1 << 20), no_live_site)


def test_find_build_keeps_a_given_path_and_says_what_to_pass_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_build(tmp_path / "anything") == tmp_path / "anything"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="pass --build PATH"):
        find_build(None)
    (tmp_path / "public").mkdir()
    sitemap(tmp_path / "public" / "sitemap.xml", {})
    assert find_build(None) == Path("public")


def test_the_build_key_file_before_the_deploy(tmp_path: Path) -> None:
    target = KeyFile(KEY, None, SITE, tmp_path)
    missing = check_key_file(target)
    assert missing.check is None
    assert "no key file" in missing.warnings[0]
    assert KEY not in missing.warnings[0]  # shortened, never the key itself

    (tmp_path / f"{KEY}.txt").write_text(KEY, encoding="ascii")
    passed = check_key_file(target)
    assert passed.check is not None and passed.check.ok
    assert passed.check.fix == "the hosted one is checked by 'submit' after the deploy"

    (tmp_path / f"{KEY}.txt").write_text(KEY + "\n", encoding="ascii")
    failed = check_key_file(target)
    assert failed.check is not None and not failed.check.ok
    with pytest.raises(KeyCheckError, match="no plan was written") as raised:
        record_key_check(Outcome("plan", SITE, False), failed, note="no plan was written")
    assert raised.value.outcome.key_check == failed.check  # type: ignore[attr-defined]


def test_waiting_needs_page_checks_and_a_dry_run_looks_once() -> None:
    assert deadline_for(0.0, "off", False, None) is None
    with pytest.raises(UsageError, match="--wait needs --check pages"):
        deadline_for(60.0, "robots", False, None)
    dry = deadline_for(60.0, "pages", True, None)
    assert dry is not None and dry.seconds == 0.0
    real = deadline_for(60.0, "pages", False, None)
    assert real is not None and real.seconds == 60.0


def test_the_cap_keeps_the_outcome_for_the_report() -> None:
    outcome = Outcome("submit", SITE, False)
    cap(["u"] * 3, 3, outcome)
    with pytest.raises(TooManyUrlsError, match="more than --max-urls 2") as raised:
        cap(["u"] * 3, 2, outcome)
    assert raised.value.outcome is outcome  # type: ignore[attr-defined]

"""Extraction is exact on every input (issue 9, item 1): ``plan`` never reports a URL that is
not a ``<loc>`` of its input, whatever characters the values hold. End to end through the CLI
here; the property test against a plain lxml reading is in ``test_sitemap_property.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexnow_sync.cli import cli

E = "https://ex.com"
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
DEL_REFS = ["&#127;", "&#x7F;", "&#0127;", "&#x007f;"]


def write_urlset(path: Path, entries: Sequence[tuple[str, str | None]]) -> None:
    items = "".join(
        f"<url><loc>{loc}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"
        for loc, lastmod in entries
    )
    path.write_text(f'<urlset xmlns="{NS}">{items}</urlset>', encoding="utf-8")


def plan(tmp_path: Path, old: Path, new: Path) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "plan.json"
    args = ["plan", "--baseline", str(old), "--build", str(new), "--out", str(out), "--json"]
    result = CliRunner().invoke(cli, args, env={"INDEXNOW_KEY": None})
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(lines[0])
    assert "internal error" not in result.stderr, result.stderr
    return result.exit_code, report


def delta_urls(report: dict[str, Any]) -> set[str]:
    return {url for kind in ("added", "changed", "removed") for url in report[kind]}


@pytest.mark.parametrize("ref", DEL_REFS)
@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("side", ["build", "baseline"])
def test_plan_never_invents_a_url_from_a_del_reference_in_a_loc(
    tmp_path: Path, ref: str, count: int, side: str
) -> None:
    # One odd loc: the odd count used to be an internal error, the even one an invented URL.
    odd = f"{E}/b{ref * count}{E}/never-listed"
    plain = [(f"{E}/a", "2024-05-01"), (f"{E}/c", "2024-05-01")]
    old, new = tmp_path / "old.xml", tmp_path / "new.xml"
    write_urlset(old, plain + ([(odd, "2024-05-02")] if side == "baseline" else []))
    write_urlset(
        new, [(f"{E}/a", "2024-06-01"), *plain[1:]] + ([(odd, "2024-05-02")] * (side == "build"))
    )
    code, report = plan(tmp_path, old, new)
    assert code == 0, report
    assert delta_urls(report) == {f"{E}/a"}
    assert report["changed"] == [f"{E}/a"]
    assert report["added"] == report["removed"] == []
    # The odd URL is in the delta of one side, and skipped: it holds a control character.
    assert [s["url"] for s in report["skipped"]] == [
        f"{E}/b{chr(127) * count}{E}/never-listed".encode("unicode_escape").decode()
    ]


@pytest.mark.parametrize("ref", DEL_REFS)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_plan_never_invents_a_url_from_a_del_reference_in_a_lastmod(
    tmp_path: Path, ref: str, count: int
) -> None:
    old, new = tmp_path / "old.xml", tmp_path / "new.xml"
    write_urlset(old, [(f"{E}/a", "2024-05-01"), (f"{E}/b", "2024-05-01")])
    write_urlset(
        new,
        [(f"{E}/a", f"2024-05-01{ref * count}{E}/never-listed"), (f"{E}/b", "2024-06-01")],
    )
    code, report = plan(tmp_path, old, new)
    assert code == 0, report
    assert delta_urls(report) == {f"{E}/b"}
    assert report["changed"] == [f"{E}/b"]
    # The whole text is a lastmod: not a W3C datetime, so treated as absent (with a warning).
    assert any("not W3C datetimes" in w for w in report["warnings"]), report["warnings"]

"""Rendering of the known history: tables, CSV, JSON, chart PNG and the HTML page read back by Chromium."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy.engine import Engine

from bot.reporting.charts import render_chart
from bot.reporting.formats import section_map, to_csv, to_json
from bot.reporting.html import render_html
from desk.business_hours import DeskHours
from store.reports import Report, ReportRange, build_report
from tests.bot.reporting.history import NOW, SINCE, UNTIL, build_history

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def report(engine: Engine) -> Report:
    build_history(engine)
    return build_report(
        engine, ReportRange(SINCE, UNTIL, "week"), hours=DeskHours(), target_hours=7.0, now=NOW
    )


def test_sections_carry_japanese_labels_and_values(report: Report) -> None:
    s = section_map(report)
    assert ["問い合わせ件数", "7"] in s["summary"].rows
    assert s["volume_intent"].rows[-1] == ["2026-05-04週", "パスワード再設定", "0", "2", "-2 (-100%)"]
    assert s["response_times"].rows[-1][:5] == ["全体", "7", "5", "1.0時間", "7.1時間"]
    assert s["reroutes"].rows == [
        ["マイページのログイン", "その他", "1"],
        ["マイページのログイン", "パスワード再設定", "1"],
    ]
    assert s["queue"].rows[1] == ["未割り当て", "1", "2026-05-07 09:00", "12.0時間"]


def test_csv_has_every_section_readable_by_a_spreadsheet(report: Report) -> None:
    text = to_csv(report)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["# 概要"]
    i = rows.index(["# 件数の推移（チャネル別）"])
    assert rows[i + 1] == ["期間", "区分", "件数", "前期間", "増減"]
    assert rows[i + 2] == ["2026-04-27週", "メール", "3", "1", "+2 (+200%)"]


def test_json_keeps_raw_numbers(report: Report) -> None:
    data = json.loads(to_json(report))
    overall = data["response_times"][-1]
    assert overall["intent"] == "_all"
    assert overall["first_response_p90"] == pytest.approx(7.1)
    assert overall["within_target_share"] == pytest.approx(4 / 6)
    assert data["volume_total"][1] == {
        "bucket": "2026-05-04",
        "key": "_all",
        "count": 3,
        "previous": 4,
        "change": -1,
        "change_ratio": -0.25,
    }
    assert data["most_edited"] == ["other", "password_reset"]
    assert data["intake"]["by_kind"] == {"auto_reply": 1, "bounce": 1, "inquiry": 7}


def test_chart_is_a_png_with_the_expected_series(report: Report) -> None:
    chart = render_chart(report)
    assert chart.png.startswith(PNG_MAGIC)
    assert len(chart.png) > 20_000  # two panels with text, not an empty canvas
    assert chart.buckets == ["2026-04-27週", "2026-05-04週"]
    assert chart.trend == {
        "その他": [1, 2],
        "請求金額・料金明細": [1, 1],
        "パスワード再設定": [2, 0],
        "全体": [4, 3],
    }
    assert chart.response["パスワード再設定"] == (6.25, pytest.approx(9.65))


def test_html_is_self_contained(report: Report) -> None:
    page = render_html(report, render_chart(report))
    tree = HTMLParser(page)
    assert tree.css_first("img#chart").attributes["src"].startswith("data:image/png;base64,")
    for node in tree.css("script, link, img"):
        src = node.attributes.get("src") or node.attributes.get("href") or ""
        assert not src.startswith(("http:", "https:", "//"))


def test_html_escapes_customer_text(engine: Engine) -> None:
    from sqlmodel import Session

    from store.models import Inquiry
    from tests.bot.reporting.history import jst

    with Session(engine) as s:
        s.add(
            Inquiry(
                channel="email",
                external_id="<x>",
                received_at=jst(5, 7, 10),
                subject="<script>alert(1)</script>",
            )
        )
        s.commit()
    r = build_report(engine, ReportRange(SINCE, UNTIL, "week"), hours=DeskHours(), target_hours=7.0, now=NOW)
    page = render_html(r, None)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium package is not installed")
def test_html_page_loads_in_headless_chromium_with_its_tables(report: Report, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(report, render_chart(report)), encoding="utf-8")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    tree = HTMLParser(dom)
    rows = [[td.text(strip=True) for td in tr.css("td")] for tr in tree.css("table#reroutes tbody tr")]
    assert rows == [
        ["マイページのログイン", "その他", "1"],
        ["マイページのログイン", "パスワード再設定", "1"],
    ]
    queue = [[td.text(strip=True) for td in tr.css("td")] for tr in tree.css("table#queue tbody tr")]
    assert queue[-1] == ["合計", "3", "2026-04-10 16:00", "111.0時間"]
    assert tree.css_first("img#chart") is not None

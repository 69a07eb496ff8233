"""The managers' report counts ``other`` inquiries per reason, with Japanese labels, in every format."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Engine

from bot.reporting.formats import section_map, to_csv, to_json
from bot.reporting.html import render_html
from desk.business_hours import DeskHours
from store.db import session_scope
from store.models import Inquiry, InquiryStatus
from store.reports import ReportRange, build_report
from tests.bot.reporting.history import JST, NOW, SINCE, UNTIL, build_history

# (day in the second week of the history, reason) of extra "other" inquiries
OTHERS = [
    (dt.date(2026, 5, 4), "sales"),
    (dt.date(2026, 5, 5), "sales"),
    (dt.date(2026, 5, 5), "phishing"),
    (dt.date(2026, 5, 6), "complaint"),
    (dt.date(2026, 5, 7), "out_of_scope"),
    (dt.date(2026, 4, 28), "sales"),  # the week before
]


def _add_others(engine: Engine) -> None:
    with session_scope(engine) as session:
        for n, (day, reason) in enumerate(OTHERS):
            session.add(
                Inquiry(
                    channel="email",
                    external_id=f"<other-{n}@example.com>",
                    received_at=dt.datetime.combine(day, dt.time(10, 0), tzinfo=JST),
                    status=InquiryStatus.DRAFTED,
                    primary_intent="other",
                    intents=[{"intent": "other", "score": 0.8}],
                    other_reason=reason,
                )
            )


def test_the_report_counts_other_inquiries_per_reason_in_every_format(engine: Engine) -> None:
    build_history(engine)
    _add_others(engine)
    report = build_report(
        engine, ReportRange(SINCE, UNTIL, "week"), hours=DeskHours(), target_hours=7.0, now=NOW
    )
    week = dt.date(2026, 5, 4)
    counts = {r.key: (r.count, r.previous) for r in report.other_reasons if r.bucket == week}
    assert counts["sales"] == (2, 1) and counts["phishing"] == (1, 0)
    assert counts["complaint"] == (1, 0) and counts["out_of_scope"] == (1, 0)

    section = section_map(report)["other_reasons"]
    assert section.title == "「その他」の内訳（理由別）"
    rows = {(row[0], row[1]): row[2] for row in section.rows}
    assert rows[("2026-05-04週", "営業・勧誘")] == "2"
    assert rows[("2026-05-04週", "フィッシングの疑い")] == "1"
    assert rows[("2026-05-04週", "窓口へのご不満")] == "1"
    assert rows[("2026-05-04週", "手続き外のご用件")] == "1"
    assert not any(row[1] in ("sales", "phishing", "complaint", "out_of_scope") for row in section.rows)

    assert "「その他」の内訳（理由別）" in to_csv(report) and "営業・勧誘" in to_csv(report)
    data = json.loads(to_json(report))
    assert {"bucket": "2026-05-04", "key": "sales", "count": 2, "previous": 1}.items() <= next(
        r for r in data["other_reasons"] if r["key"] == "sales" and r["bucket"] == "2026-05-04"
    ).items()
    page = render_html(report, None)
    assert 'id="other_reasons"' in page and "フィッシングの疑い" in page

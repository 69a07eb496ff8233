"""Outage incidents in the terminal: ``madoguchi review`` lists the active ones (approval is on Slack's card)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.table import Table
from sqlmodel import Session, col, select

from bot.cli.common import console

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.settings import Settings

STATUS_JA = {"open": "承認待ち", "approved": "承認済み", "closed": "終了"}


def print_incidents(engine: Engine, settings: Settings) -> int:
    """Print the active outage incidents (area, utility, customers, first/latest report); returns how many."""
    from desk import incidents
    from desk.rules.areas import area
    from store.models import Incident, Inquiry

    tz = ZoneInfo(settings.timezone)
    with Session(engine) as session:
        rows = session.exec(
            select(Incident)
            .where(col(Incident.status).in_(list(incidents.ACTIVE)))
            .order_by(col(Incident.first_report_at))
        ).all()
        if not rows:
            return 0
        table = Table(title=f"停電の障害 {len(rows)} 件（返信は Slack の障害カードから一括で承認します）")
        for column in ("障害", "エリア", "電力会社", "お客さま", "最初の報告", "最新の報告", "状態"):
            table.add_column(column)
        for incident in rows:
            members = incidents.members(session, incident.id or 0)
            keys = set()
            for m in members:
                inquiry = session.get(Inquiry, m.inquiry_id)
                if inquiry is not None:
                    keys.add(incidents.customer_key(inquiry.customer_id, inquiry.sender))
            waiting = sum(1 for m in members if m.late and m.outbox_id is None)
            status = STATUS_JA.get(incident.status, incident.status)
            table.add_row(
                f"#{incident.id}",
                area(incident.grid_area).name,
                incident.utility,
                f"{len(keys)}社（{len(members)}件）",
                incident.first_report_at.astimezone(tz).strftime("%m/%d %H:%M"),
                incident.latest_report_at.astimezone(tz).strftime("%m/%d %H:%M"),
                status + (f"・追加 {waiting} 件が送信待ち" if waiting else ""),
            )
    console.print(table)
    return len(rows)

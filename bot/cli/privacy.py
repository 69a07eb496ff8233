"""``madoguchi privacy export | erase`` and ``madoguchi audit export``: what APPI asks of a business holding
personal data (disclosure, deletion), and the append-only audit log as CSV for a period."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.cli.common import console, fail, load_settings, print_json
from bot.cli.db import store

privacy_app = typer.Typer(
    help="個人情報: お客さまの保有データの開示（JSON）と削除 (export / erase personal data).",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="監査ログ: 期間を指定してCSVで出力 (export the audit log).", no_args_is_help=True
)


def _day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        fail(
            f"{option} の日付「{value}」は存在しないか、形式が正しくありません（例: 2026-04-01）。",
            as_json=False,
        )


@privacy_app.command("export")
def export_cmd(
    ctx: typer.Context,
    customer_no: Annotated[str, typer.Argument(help="お客さま番号（8桁）")],
) -> None:
    """Everything held about one customer, as JSON on standard output."""
    from store.privacy import export_customer

    settings = load_settings(ctx)
    with store(settings) as engine, engine.connect() as conn:
        data = export_customer(conn, customer_no.strip())
    if data is None:
        fail(f"お客さま番号「{customer_no}」は登録されていません。", as_json=False)
    print_json(data)


@privacy_app.command("erase")
def erase_cmd(
    ctx: typer.Context,
    before: Annotated[
        str | None,
        typer.Option("--before", help="この日付より前に受け付けた問い合わせを削除（YYYY-MM-DD）。"),
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", help="このお客さま番号の問い合わせを削除。")
    ] = None,
    actor: Annotated[str, typer.Option("--actor", help="監査ログに残す実行者名。")] = "cli",
) -> None:
    """Erase the personal data of old inquiries (--before) or of one customer (--customer); counts stay."""
    from store.privacy import customer_inquiry_ids, erase, expired_inquiry_ids, record

    if (before is None) == (customer is None):
        fail("--before か --customer のどちらか一方を指定してください。", as_json=False)
    settings = load_settings(ctx)
    now = dt.datetime.now(dt.UTC)
    with store(settings) as engine, engine.begin() as conn:
        if before is not None:
            cutoff = dt.datetime.combine(_day(before, "--before"), dt.time(), ZoneInfo(settings.timezone))
            ids = expired_inquiry_ids(conn, cutoff)
            detail = {"reason": "before", "before": cutoff.isoformat()}
        else:
            found = customer_inquiry_ids(conn, (customer or "").strip())
            if found is None:
                fail(f"お客さま番号「{customer}」は登録されていません。", as_json=False)
            ids, detail = found, {"reason": "customer_request"}
        erasure = erase(conn, ids, now=now)
        record(conn, actor=f"cli:{actor}", erasure=erasure, **detail)
    console.print(
        f"問い合わせ {erasure.inquiries} 件の個人情報を削除しました"
        f"（メッセージ {erasure.messages} 件、返信案 {erasure.drafts} 件、送信記録 {erasure.outbox} 件）。"
        "件数・所要時間などの集計値は残しています。"
    )


@audit_app.command("export")
def audit_export_cmd(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="開始日（この日を含む, YYYY-MM-DD）。")],
    end: Annotated[str, typer.Option("--to", help="終了日（この日を含む, YYYY-MM-DD）。")],
) -> None:
    """The audit events of a period (desk time zone, both days included) as CSV on standard output."""
    from sqlalchemy import select

    from store.models import AuditEvent

    settings = load_settings(ctx)
    zone = ZoneInfo(settings.timezone)
    first, last = _day(start, "--from"), _day(end, "--to")
    if last < first:
        fail("--to は --from 以降の日付にしてください。", as_json=False)
    lo = dt.datetime.combine(first, dt.time(), zone)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["id", "at", "actor", "action", "inquiry_id", "draft_id", "detail"])
    with store(settings) as engine, engine.connect() as conn:
        rows = conn.execute(
            select(table).where(table.c.at >= lo, table.c.at < hi).order_by(table.c.at, table.c.id)
        ).mappings()
        for r in rows:
            at = r["at"] if r["at"].tzinfo else r["at"].replace(tzinfo=dt.UTC)
            writer.writerow(
                [
                    r["id"],
                    at.astimezone(zone).isoformat(),
                    r["actor"],
                    r["action"],
                    r["inquiry_id"] or "",
                    r["draft_id"] or "",
                    json.dumps(r["detail"], ensure_ascii=False, sort_keys=True),
                ]
            )


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
    app.add_typer(audit_app, name="audit")

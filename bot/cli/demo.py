"""``madoguchi demo``: the whole product on the embedded defaults, in one command.

Seeds the SQLite store, turns the bundled sample inquiries (``bot/samples/inquiries.jsonl``: plain emails and
portal-form emails built as real RFC 5322 messages and parsed by the email adapter, plus Slack messages) into
:class:`~desk.message.IncomingMessage` objects, runs them through the pipeline, and prints the triage table and
three full drafts. ``madoguchi review`` then works on the same store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.panel import Panel

from bot.cli.common import console, fail, load_settings

if TYPE_CHECKING:
    from bot.settings import Settings
    from desk.message import IncomingMessage
    from desk.pipeline import Pipeline

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "inquiries.jsonl"
DEMO_TODAY = dt.date(2026, 11, 20)
PORTAL_SENDER = "form@portal.egmkt.example.jp"
# Slack Connect channels shared with a customer in the demo: channel id -> customer_no.
DEMO_SLACK_CHANNELS = {"C0AOBA": "30000005", "C0URUMA": "30000006"}
SHOW = ("s01", "s03", "s22")  # a verified cancellation, an unverified one, an outage


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    customers: int = typer.Option(200, help="生成する顧客数（デモ用の固定顧客に加えて）。"),
    seed: int = typer.Option(7, help="乱数シード（同じ値なら同じデータ）。"),
    force: bool = typer.Option(False, help="既定以外のデータベースでも作り直します（全データ削除）。"),
) -> None:
    """デモ: 契約ストアを作り直し、サンプルの問い合わせを処理して、一覧と下書きを表示します。"""
    settings = load_settings(ctx)
    default_url = f"sqlite:///{settings.var_dir / 'madoguchi.db'}"
    if settings.database_url != default_url and not force:
        fail(
            f"デモは既定のデータベース（{default_url}）を作り直します。"
            "別のデータベースで実行する場合は --force を指定してください（全データが削除されます）。",
            as_json=False,
        )
    from bot.wiring import build_pipeline
    from store.db import make_engine, migrate
    from store.seed import seed_store

    engine = make_engine(settings.database_url)
    migrate(engine)
    with console.status("契約ストアにデモデータを投入しています…"):
        result = seed_store(engine, customers=customers, seed=seed, today=DEMO_TODAY, reset=True)
    console.print(
        f"契約ストア: 顧客 {result.customers:,} 社・契約 {result.contracts:,} 件・使用実績 {result.usage_rows:,} 行"
        f"（{result.seconds:.1f} 秒）"
    )
    pipeline = build_pipeline(settings, engine)
    messages = list(sample_messages(settings))
    with console.status(f"サンプルの問い合わせ {len(messages)} 件を処理しています…"):
        results = asyncio.run(_process_all(pipeline, [m for _, m in messages]))
    by_sample = {sample_id: r.inquiry_id for (sample_id, _), r in zip(messages, results, strict=True)}
    ignored = sum(1 for r in results if r.kind != "inquiry")
    attached = sum(1 for r in results if r.attached)
    console.print(
        f"処理結果: 受付 {len(results)} 件（自動応答などの除外 {ignored} 件、同じスレッドへの返信 {attached} 件）"
    )

    from bot.cli.review import print_pending

    print_pending(engine, settings)
    for sample_id in SHOW:
        _print_draft(pipeline, by_sample[sample_id])
    console.print("続けて [bold]madoguchi review[/] で下書きを承認・編集・却下できます。")


async def _process_all(pipeline: Pipeline, messages: list[IncomingMessage]) -> list[Any]:
    # One at a time, in arrival order: a reply must find the inquiry it answers.
    return [await pipeline.process(m) for m in messages]


def sample_messages(settings: Settings, path: Path = SAMPLES) -> Iterator[tuple[str, IncomingMessage]]:
    """The bundled samples as the adapters would deliver them."""
    from bot.email.parse import ParseOptions, parse_email

    options = ParseOptions(desk_address=settings.desk.email, form_senders=(PORTAL_SENDER,))
    for line in path.read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        if sample["channel"] == "slack":
            yield sample["id"], _slack_message(sample)
        else:
            yield sample["id"], parse_email(_email_bytes(sample, settings), options=options).message


def _email_bytes(sample: dict[str, Any], settings: Settings) -> bytes:
    message = EmailMessage()
    sender = PORTAL_SENDER if sample["channel"] == "form" else sample["sender"]
    name = "お問い合わせフォーム" if sample["channel"] == "form" else sample["name"]
    domain = sample["sender"].split("@")[-1]
    message["From"] = formataddr((name, sender))
    message["To"] = settings.desk.email
    message["Subject"] = sample["subject"]
    message["Date"] = format_datetime(dt.datetime.fromisoformat(sample["received"]))
    message["Message-ID"] = f"<{sample['id']}.demo@{domain}>"
    if "in_reply_to" in sample:
        message["In-Reply-To"] = f"<{sample['in_reply_to']}.demo@{domain}>"
        message["References"] = message["In-Reply-To"]
    for header, value in sample.get("headers", {}).items():
        message[header] = value
    message.set_content(sample["text"])
    return bytes(message)


def _slack_message(sample: dict[str, Any]) -> IncomingMessage:
    from desk.message import Channel, IncomingMessage, SenderKind

    channel = sample["slack_channel"]
    ts = f"{dt.datetime.fromisoformat(sample['received']).timestamp():.6f}"
    return IncomingMessage(
        channel=Channel.SLACK,
        external_id=f"{channel}:{ts}",
        sender=sample["sender"],
        sender_name=sample["name"],
        sender_kind=SenderKind.CUSTOMER_SLACK,
        customer_hint=DEMO_SLACK_CHANNELS[channel],
        received_at=dt.datetime.fromisoformat(sample["received"]),
        text=sample["text"],
        reply_to=f"{channel}:{ts}",
    )


def _print_draft(pipeline: Pipeline, inquiry_id: int) -> None:
    from desk import actions
    from store.db import session_scope

    with session_scope(pipeline.engine) as session:
        inquiry = actions.get_inquiry(session, inquiry_id)
        draft = actions.current_draft(session, inquiry_id)
    if draft is None:
        return
    verified = "本人確認済み" if inquiry.identity_verified else "本人確認未了"
    from desk.drafting import INTENT_LABELS

    intents = "、".join(INTENT_LABELS.get(i, i) for i in draft.intents)  # staff read names, never raw ids
    title = f"#{inquiry_id:06d} {inquiry.sender}（{verified}） 区分: {intents}"
    console.print(Panel(draft.text, title=title, title_align="left"))
    for note in draft.notes:
        console.print(f"  [cyan]メモ：[/]{note}")

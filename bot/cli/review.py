"""``madoguchi review``: staff review of pending drafts in the terminal (the same actions as the Slack card).

Approve, edit in ``$EDITOR``, change the intent (re-draft) or reject with a reason; every action is an audit
event through :mod:`desk.actions`. Approved replies are queued in the outbox (``madoguchi serve`` sends them)
and a copy of each approved email is written as an ``.eml`` file under ``var/outbox/`` for inspection.
"""

from __future__ import annotations

import datetime as dt
import getpass
import shlex
import subprocess
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.cli.common import console, load_settings, open_store
from desk.errors import MadoguchiError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.settings import Settings
    from desk.pipeline import Pipeline
    from store.models import Draft, Inquiry, Outbox

CHANNEL_JA = {"email": "メール", "form": "フォーム", "slack": "Slack", "cli": "端末"}
MENU = "[a] 承認して送信  [e] 編集  [r] 区分を変更  [x] 却下  [s] 次へ  [q] 終了"


def register(app: typer.Typer) -> None:
    app.command("review")(review)


def review(
    ctx: typer.Context,
    list_only: bool = typer.Option(False, "--list", help="一覧を表示して終了します。"),
    actor: str = typer.Option("", help="監査記録に残す担当者名（既定: ログインユーザー名）。"),
) -> None:
    """承認待ちの下書きを確認し、承認・編集・区分変更・却下を行います。"""
    settings = load_settings(ctx)
    engine = open_store(settings)
    who = f"cli:{actor or getpass.getuser()}"
    pending = print_pending(engine, settings)
    from bot.cli.incidents import print_incidents

    print_incidents(engine, settings)
    if list_only or not pending:
        return
    from bot.wiring import build_pipeline

    pipeline = build_pipeline(settings, engine)
    while True:
        choice = typer.prompt("確認する番号（q で終了）", default="q").strip()
        if choice.lower() == "q":
            return
        if not choice.isdigit():
            console.print("[yellow]番号を半角数字で入力してください。[/]")
            continue
        try:
            _review_one(int(choice), pipeline=pipeline, settings=settings, actor=who)
        except MadoguchiError as exc:
            console.print(f"[bold red]{exc}[/]")
        print_pending(engine, settings)


def print_pending(engine: Engine, settings: Settings) -> list[tuple[Inquiry, Draft | None]]:
    """Print the triage table of inquiries waiting for staff; returns them."""
    pending = _pending(engine)
    _print_queue(pending, settings)
    return pending


def _pending(engine: Engine) -> list[tuple[Inquiry, Draft | None]]:
    from desk import actions
    from store.db import session_scope

    with session_scope(engine) as session:
        return [(i, actions.current_draft(session, i.id or 0)) for i in actions.pending_inquiries(session)]


def _age(received: dt.datetime, now: dt.datetime) -> str:
    minutes = int((now - received).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}分"
    if minutes < 60 * 24:
        return f"{minutes // 60}時間"
    return f"{minutes // (60 * 24)}日"


def _intents_text(inquiry: Inquiry) -> str:
    """Staff read the intents as the desk names them (the Japanese labels reports use), never raw ids."""
    from desk.drafting import INTENT_LABELS
    from desk.noninquiry import reason_label

    labels = [INTENT_LABELS.get(str(i["intent"]), str(i["intent"])) for i in inquiry.intents]
    if inquiry.primary_intent == "other" and inquiry.other_reason:
        # A non-inquiry says why it is one (営業・勧誘, お礼・完了の連絡 …), never its raw id.
        return f"その他：{reason_label(inquiry.other_reason)}"
    return "・".join(labels) or "（未分類）"


def _print_queue(pending: list[tuple[Inquiry, Draft | None]], settings: Settings) -> None:
    if not pending:
        console.print("承認待ちの下書きはありません。")
        return
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(settings.timezone)
    now = dt.datetime.now(dt.UTC)
    # Fits the terminal (80 columns and up): one line per inquiry with fixed-width columns; the intents and
    # the customer share what is left and are cut with "…" (the full text shows when the inquiry is opened).
    fixed = {"番号": 5, "受信": 11, "経路": 8, "本人": 6, "経過": 6}
    gaps = 2 * 6  # padding between the seven columns
    flex = max(24, console.width - sum(fixed.values()) - gaps)
    widths = {**fixed, "区分": flex * 4 // 7, "お客さま": flex - flex * 4 // 7}
    table = Table(
        title=f"承認待ち {len(pending)} 件（古い順）", box=None, pad_edge=False, header_style="bold"
    )
    for name in ("番号", "受信", "経路", "区分", "お客さま", "本人", "経過"):
        table.add_column(
            name,
            width=widths[name],
            no_wrap=True,
            overflow="ellipsis",
            justify="right" if name == "経過" else "left",
        )
    for inquiry, _draft in pending:
        received = (
            inquiry.received_at if inquiry.received_at.tzinfo else inquiry.received_at.replace(tzinfo=dt.UTC)
        )
        table.add_row(
            str(inquiry.id),
            received.astimezone(tz).strftime("%m/%d %H:%M"),
            CHANNEL_JA.get(inquiry.channel, inquiry.channel),
            ("[red]至急[/] " if inquiry.urgent else "") + escape(_intents_text(inquiry)),
            escape(_customer_label(inquiry)),
            "済" if inquiry.identity_verified else "[red]未確認[/]",
            _age(received, now),
        )
    console.print(table)


def _customer_label(inquiry: Inquiry) -> str:
    if inquiry.form and inquiry.form.get("name"):
        return str(inquiry.form["name"])
    return inquiry.sender_name or inquiry.sender or "—"


def _review_one(inquiry_id: int, *, pipeline: Pipeline, settings: Settings, actor: str) -> None:
    from desk import actions
    from store.db import session_scope

    with session_scope(pipeline.engine) as session:
        inquiry = actions.get_inquiry(session, inquiry_id)
        draft = actions.current_draft(session, inquiry_id)
    if draft is None or draft.status != "pending":
        _triage_one(inquiry, pipeline=pipeline, actor=actor)
        return
    _show(inquiry, draft)
    while True:
        action = typer.prompt(MENU, default="s").strip().lower()
        if action == "s":
            return
        if action == "q":
            raise typer.Exit(0)
        if action == "a":
            if typer.confirm("この内容で送信します。よろしいですか？", default=False):
                _approve(pipeline, settings, draft.id or 0, actor, edited_text=None)
            return
        if action == "e":
            edited = _edit_in_editor(draft.final_text, settings.editor)
            if edited is None or edited == draft.final_text:
                console.print("変更はありませんでした。")
                continue
            if typer.confirm("編集した内容で送信しますか？（いいえ: 保存のみ）", default=False):
                _approve(pipeline, settings, draft.id or 0, actor, edited_text=edited)
            else:
                with session_scope(pipeline.engine) as session:
                    actions.save_edit(session, draft_id=draft.id or 0, actor=actor, text=edited)
                console.print("編集内容を保存しました（未送信）。")
            return
        if action == "r":
            _reroute(pipeline, inquiry_id, actor)
            return
        if action == "x":
            reason = typer.prompt("却下の理由").strip()
            with session_scope(pipeline.engine) as session:
                actions.reject(session, draft_id=draft.id or 0, actor=actor, reason=reason)
            console.print("却下しました。")
            return
        console.print("[yellow]a / e / r / x / s / q のいずれかを入力してください。[/]")


def _triage_one(inquiry: Inquiry, *, pipeline: Pipeline, actor: str) -> None:
    """A non-inquiry without a draft (thanks, sales, phishing): close it as needing no reply, or re-route."""
    from desk import actions, noninquiry
    from store.db import session_scope

    handling = noninquiry.handling_of(inquiry.other_reason)
    if inquiry.primary_intent != "other" or inquiry.status != "drafted" or not handling.close_offer:
        console.print("この問い合わせには承認待ちの下書きがありません。")
        return
    head = f"#{inquiry.id:06d}  {inquiry.subject or '（件名なし）'}  差出人: {inquiry.sender}"
    console.print(Panel(inquiry.text, title=head, title_align="left"))
    _print_reason(inquiry)
    action = typer.prompt("c: 対応不要として完了 / r: 区分を変更 / s: スキップ", default="s").strip().lower()
    if action == "c":
        with session_scope(pipeline.engine) as session:
            actions.close_without_reply(session, inquiry_id=inquiry.id or 0, actor=actor)
        console.print("対応不要として完了しました。")
    elif action == "r":
        _reroute(pipeline, inquiry.id or 0, actor)


def _print_reason(inquiry: Inquiry) -> None:
    from desk import noninquiry

    if inquiry.primary_intent != "other" or not inquiry.other_reason:
        return
    handling = noninquiry.handling_of(inquiry.other_reason)
    console.print(f"[bold yellow]{escape(handling.label)}:[/] {escape(handling.card_line)}")
    if handling.warn_links:
        hosts = noninquiry.link_domains(inquiry.text)
        console.print(
            "リンク先（開かないでください）: " + ("、".join(h.replace(".", "[.]") for h in hosts) or "なし")
        )


def _show(inquiry: Inquiry, draft: Draft) -> None:
    head = f"#{inquiry.id:06d}  {inquiry.subject or '（件名なし）'}  差出人: {inquiry.sender}"
    console.print(Panel(inquiry.text, title=head, title_align="left"))
    _print_reason(inquiry)
    if not inquiry.identity_verified:
        console.print("[bold red]⚠ 本人確認未了: 契約固有の情報は下書きに含めていません。[/]")
    for note in draft.notes:
        console.print(f"[cyan]メモ：[/]{note}")
    if draft.missing:
        console.print("[cyan]お客さまに確認する事項:[/] " + "、".join(draft.missing))
    console.print(Panel(draft.final_text, title=f"下書き（第{draft.version}版）", title_align="left"))


def _approve(
    pipeline: Pipeline, settings: Settings, draft_id: int, actor: str, *, edited_text: str | None
) -> None:
    from desk import actions
    from store.db import session_scope

    with session_scope(pipeline.engine) as session:
        outbox = actions.approve(
            session, draft_id=draft_id, actor=actor, edited_text=edited_text, digest_now=pipeline.digest_now
        )
    path = write_eml(outbox, settings) if outbox.channel == "email" else None
    where = f"（控え: {path}）" if path else ""
    console.print(f"[green]承認しました。送信キューに追加しました。{where}[/]")


def _reroute(pipeline: Pipeline, inquiry_id: int, actor: str) -> None:
    labels = {k: v.label for k, v in pipeline.knowledge.intents.items()}
    console.print("  ".join(f"{k}（{v}）" for k, v in labels.items()))
    raw = typer.prompt("新しい区分（カンマ区切り）")
    intents = [p.strip() for p in raw.replace("、", ",").split(",") if p.strip()]
    import asyncio

    draft_id = asyncio.run(pipeline.redraft(inquiry_id=inquiry_id, intents=intents, actor=actor))
    console.print(f"区分を変更し、下書きを作り直しました（下書き {draft_id}）。")


def _edit_in_editor(text: str, editor: str) -> str | None:
    """Open the configured editor (``$VISUAL``/``$EDITOR``) on the text; None when it could not be run."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write(text)
        path = Path(handle.name)
    try:
        result = subprocess.run([*shlex.split(editor), str(path)], check=False)
        if result.returncode != 0:
            console.print(f"[red]エディタが異常終了しました（終了コード {result.returncode}）。[/]")
            return None
        return path.read_text(encoding="utf-8")
    except OSError:
        console.print(f"[red]エディタ「{editor}」を起動できません。環境変数 EDITOR を設定してください。[/]")
        return None
    finally:
        path.unlink(missing_ok=True)


def write_eml(outbox: Outbox, settings: Settings) -> Path:
    """A copy of an approved email as it will be sent, for people to inspect (the outbox row is the truth)."""
    message = EmailMessage()
    message["From"] = settings.desk.email
    message["To"] = outbox.recipient
    message["Subject"] = outbox.subject
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = outbox.message_id or make_msgid(domain=settings.desk.email.split("@")[-1])
    message.set_content(outbox.body)
    folder = settings.var_dir / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{outbox.inquiry_id:06d}-{outbox.draft_id}.eml"
    path.write_bytes(bytes(message))
    return path

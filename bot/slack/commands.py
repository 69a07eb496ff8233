"""``/madoguchi`` subcommands: faq, contract, penalty, due, queue, stats, help.

Answers are ephemeral unless the text ends with ``公開`` or ``--public``. Contract data (contract, penalty,
due, queue) is for staff only. In a Slack Connect channel mapped to one customer, a public answer may only ever
show that channel's own customer: anything else is refused, and the refusal is ephemeral. Every bad input gets a
Japanese sentence, never a trace.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session, col, select

from bot.slack import blockkit as bk
from bot.slack import cards
from bot.slack.staff import NOT_MANAGER, NOT_STAFF, Role
from desk.errors import InputError, NotFound
from store.models import Contract, Customer, Inquiry

if TYPE_CHECKING:
    from bot.slack.app import SlackDesk

log = logging.getLogger(__name__)

PUBLIC_WORDS = ("公開", "--public")
STAFF_ONLY = frozenset({"contract", "penalty", "due", "queue", "stats", "mine", "search", "bulk"})
MANAGER_ONLY = frozenset({"stats"})  # figures of the whole desk: managers (and admins) only
# Answers about many customers at once: never public where a customer can read the channel.
MANY_CUSTOMERS = frozenset({"queue", "stats", "mine", "search", "bulk"})
BULK_LIMIT = 20
HELP = """*`/madoguchi` の使い方*
• `faq 言葉` — よくある質問から近い回答を探します
• `contract EG12345678｜お客さま番号｜メールアドレス` — 契約内容を表示します（担当者のみ）
• `penalty EG12345678 [解約希望日] [switch|removal]` — 解約違約金を試算します（担当者のみ）
• `due EG12345678` — 次回の引落日・振込期日を表示します（担当者のみ）
• `queue` — 対応待ちの問い合わせを古い順に表示します（担当者のみ）
• `mine` — 自分が担当している未回答の問い合わせを表示します（担当者のみ）
• `search お客さま番号｜会社名｜言葉` — 過去の問い合わせを新しい順に探します（担当者のみ）
• `bulk` — 確認の少ない返信案をまとめて承認します（一覧を確認してから送信、担当者のみ）
• `stats [week|month]` — 対応状況の集計を表示します（担当者のみ）
• `help` — この説明を表示します
末尾に `公開` または `--public` を付けると、チャンネルの全員に見える形で回答します。"""
_DATE = re.compile(r"^(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?$")
_CONTRACT = re.compile(r"^EG\d{8}$")
_CUSTOMER = re.compile(r"^\d{8}$")
PAYMENT_LABELS = {"debit": "口座引落", "transfer": "銀行振込"}
SCHEME_LABELS = {"jitsuryo": "実量制", "kyogi": "協議制"}
STATUS_LABELS = {"active": "供給中", "cancellation_requested": "解約手続き中", "ended": "供給終了"}
REASON_LABELS = {"switch": "他社への切替", "removal": "設備の撤去（閉店・移転など）", "other": "その他"}


def num(value: Decimal) -> str:
    """A decimal as staff write it: thousands separators, no trailing zeros (1650.00 → 1,650)."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _payment(method: str) -> str:
    return PAYMENT_LABELS.get(method, method)


def normalize_token(token: str) -> str:
    """Full-width to ASCII, upper case, hyphens and spaces removed (``ＥＧ－２０…`` → ``EG20…``)."""
    text = unicodedata.normalize("NFKC", token).strip()
    return re.sub(r"[\s\-‐‑‒–—―−ー]", "", text).upper()


def parse_date(text: str) -> dt.date:
    match = _DATE.match(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        raise InputError(f"日付「{text}」の形式が正しくありません。2027-03-31 のように入力してください。")
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise InputError(f"日付「{text}」は存在しない日付です。") from None


def split_args(text: str) -> tuple[list[str], bool]:
    """Words of the command text (full-width spaces too) and whether the answer should be public."""
    words = unicodedata.normalize("NFKC", text).split()
    public = bool(words) and words[-1] in PUBLIC_WORDS
    return (words[:-1] if public else words), public


class PublicRefused(InputError):
    """A public answer would show a customer other than the one the channel is shared with."""


async def handle(desk: SlackDesk, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
    """The ``/madoguchi`` listener: answer in the command's ack (ephemeral by default)."""
    words, public = split_args(str(body.get("text") or ""))
    sub = words[0].lower() if words else "help"
    args = words[1:]
    user = str(body.get("user_id") or "")
    # The customer a shared channel belongs to: a public answer there may show that customer only.
    shared_with = desk.settings.slack.intake_channels.get(str(body.get("channel_id") or ""))
    audience = shared_with if public else None
    text: str | cards.SlackMessage
    try:
        if sub in MANAGER_ONLY and not await desk.has_role(client, user, Role.MANAGER):
            public = False  # a refusal is for the one who asked
            text = NOT_MANAGER
            await desk.refused(user=user, what=f"command:{sub}", reason="not_manager")
        elif sub in STAFF_ONLY and not await desk.is_staff(client, user):
            public = False  # a refusal is for the one who asked
            text = NOT_STAFF
            await desk.refused(user=user, what=f"command:{sub}", reason="not_staff")
        elif audience is not None and sub in MANY_CUSTOMERS:
            raise PublicRefused(
                "このチャンネルはお客さまと共有されているため、複数のお客さまに関わる内容は公開で表示できません。"
                "末尾の「公開」を外してお試しください。"
            )
        else:
            text = await answer(desk, sub, args, audience=audience, user=user)
    except InputError as exc:  # refusals and mistakes are for the one who asked, never the channel
        public = False
        text = str(exc)
    except Exception:
        log.exception("/madoguchi %s failed", sub)
        public = False
        text = "処理中に問題が発生しました。時間をおいてもう一度お試しください。"
    if isinstance(text, cards.SlackMessage):  # an answer with buttons: only for the one who asked
        message, public = text, False
    else:
        message = cards.notice_message(text)
    await ack(text=message.text, blocks=message.blocks, response_type="in_channel" if public else "ephemeral")


async def answer(
    desk: SlackDesk, sub: str, args: list[str], *, audience: str | None = None, user: str = ""
) -> str | cards.SlackMessage:
    """The text of one subcommand; ``audience`` is the customer_no of a shared channel a public answer goes to."""
    if sub == "faq":
        return faq_answer(desk, " ".join(args))
    if sub == "contract":
        return await asyncio.to_thread(
            contract_answer, desk, _one(args, "契約番号・お客さま番号・メールアドレス"), audience=audience
        )
    if sub == "penalty":
        return await asyncio.to_thread(penalty_answer, desk, args, audience=audience)
    if sub == "due":
        return await asyncio.to_thread(due_answer, desk, _one(args, "契約番号"), audience=audience)
    if sub == "queue":
        return await asyncio.to_thread(queue_answer, desk)
    if sub == "bulk":
        return await asyncio.to_thread(bulk_answer, desk)
    if sub == "mine":
        return await asyncio.to_thread(mine_answer, desk, user)
    if sub == "search":
        return await asyncio.to_thread(search_answer, desk, " ".join(args))
    if sub == "stats":
        return await asyncio.to_thread(stats_answer, desk, args[0] if args else "week")
    if sub == "help":
        return HELP
    return f"「{sub}」というサブコマンドはありません。\n\n{HELP}"


def _check_audience(session: Session, customer_id: int, audience: str | None) -> None:
    """Refuse a public answer about any customer but the one the shared channel belongs to."""
    if audience is None:
        return
    customer = session.get(Customer, customer_id)
    if customer is None or customer.customer_no != audience:
        raise PublicRefused(
            "このチャンネルは別のお客さまと共有されているため、このお客さまの情報は公開で表示できません。"
            "末尾の「公開」を外すと、あなたにだけ表示されます。"
        )


def _one(args: list[str], what: str) -> str:
    if not args:
        raise InputError(f"{what}を指定してください。")
    return args[0]


def _today(desk: SlackDesk) -> dt.date:
    return desk.clock().astimezone(ZoneInfo(desk.settings.timezone)).date()


# -- faq --------------------------------------------------------------------------------------------------
def faq_answer(desk: SlackDesk, query: str, limit: int = 3) -> str:
    from rapidfuzz import fuzz, process

    if not query.strip():
        raise InputError("探したい言葉を指定してください。例: `/madoguchi faq パスワード`")
    try:
        knowledge = desk.pipeline.knowledge
    except Exception:
        log.exception("knowledge unavailable for faq")
        return "よくある質問のデータを読み込めませんでした。管理者にご連絡ください。"
    entries = [(k.label, f.q, f.a) for k in knowledge.intents.values() for f in k.faq]
    if not entries:
        return "よくある質問が登録されていません。"
    from intents.normalize import normalize

    choices = [normalize(q) for _label, q, _a in entries]
    found = process.extract(
        normalize(query), choices, scorer=fuzz.partial_ratio, limit=limit, score_cutoff=50
    )
    if not found:
        return f"「{bk.escape_mrkdwn(query)}」に近いよくある質問は見つかりませんでした。"
    lines = [f"*「{bk.escape_mrkdwn(query)}」に近いよくある質問*"]
    for _choice, score, index in found:
        label, question, reply = entries[index]
        lines.append(f"\n*Q. {bk.escape_mrkdwn(question)}*（{bk.escape_mrkdwn(label)}・一致度 {score:.0f}）")
        lines.append(f"A. {bk.escape_mrkdwn(reply)}")
    return "\n".join(lines)


# -- contract ---------------------------------------------------------------------------------------------
def find_customer_for(session: Session, token: str) -> tuple[Customer, list[int] | None]:
    """The customer (and, for a contract number, that contract) a staff member asked about."""
    from store import lookup

    key = normalize_token(token)
    if _CONTRACT.match(key):
        contract = lookup.find_contract(session=session, contract_no=key)
        if contract is None:
            raise NotFound(f"契約番号 {key} は登録されていません。番号をご確認ください。")
        customer = session.get(Customer, contract.customer_id)
        assert customer is not None and contract.id is not None
        return customer, [contract.id]
    if _CUSTOMER.match(key):
        customer_or_none = lookup.find_customer(session=session, customer_no=key)
        if customer_or_none is None:
            raise NotFound(f"お客さま番号 {key} は登録されていません。番号をご確認ください。")
        return customer_or_none, None
    if "@" in token:
        customers = lookup.customers_by_email(session=session, email=token.strip().lower())
        if not customers:
            raise NotFound(f"{token.strip()} はどのお客さまの連絡先にも登録されていません。")
        if len(customers) > 1:
            numbers = "、".join(c.customer_no for c in customers)
            raise InputError(
                f"このアドレスは複数のお客さま（{numbers}）に登録されています。お客さま番号で指定してください。"
            )
        return customers[0], None
    raise InputError(
        f"「{token}」は契約番号（EG＋8桁）、お客さま番号（8桁）、メールアドレスのいずれでもありません。"
    )


def contract_answer(desk: SlackDesk, token: str, *, audience: str | None = None) -> str:
    from store import lookup

    with Session(desk.engine) as session:
        customer, contract_ids = find_customer_for(session, token)
        assert customer.id is not None
        _check_audience(session, customer.id, audience)
        view = lookup.load_customer_view(
            session=session, customer_id=customer.id, contract_ids=contract_ids, months=3
        )
    lines = [
        f"*{bk.escape_mrkdwn(view.name)}*（お客さま番号 {view.customer_no}）",
        f"ご担当: {bk.escape_mrkdwn(view.contact_person or '（未登録）')}",
    ]
    for c in view.contracts[:10]:
        lines.append(
            f"\n*{c.contract_no}* {bk.escape_mrkdwn(c.facility_name)}\n"
            f"• 状態: {STATUS_LABELS.get(c.status, c.status)}　供給開始: {c.supply_start:%Y/%m/%d}　"
            f"契約適用日: {c.applied_on:%Y/%m/%d}\n"
            f"• 契約電力: {num(c.contract_power_kw)} kW（{SCHEME_LABELS.get(c.scheme, c.scheme)}）　"
            f"基本料金単価: {num(c.basic_unit_price)} 円/kW　電力量料金単価: {num(c.energy_unit_price)} 円/kWh\n"
            f"• 計量日: 毎月{c.metering_day}日　支払方法: {_payment(c.payment_method)}"
        )
        if c.invoices:
            last = c.invoices[-1]
            paid = "入金済み" if last.paid else "未入金"
            lines.append(
                f"• 直近のご請求: {last.billing_month:%Y年%m月分} {last.amount:,}円"
                f"（期日 {last.due_date:%Y/%m/%d}、{paid}）"
            )
    if len(view.contracts) > 10:
        lines.append(f"\nほか {len(view.contracts) - 10} 件の契約があります。")
    return "\n".join(lines)


# -- penalty / due ----------------------------------------------------------------------------------------
def _contract(session: Session, token: str) -> Contract:
    from store import lookup

    key = normalize_token(token)
    if not _CONTRACT.match(key):
        raise InputError(f"「{token}」は契約番号の形式（EG＋8桁）ではありません。")
    contract = lookup.find_contract(session=session, contract_no=key)
    if contract is None:
        raise NotFound(f"契約番号 {key} は登録されていません。番号をご確認ください。")
    return contract


def penalty_answer(desk: SlackDesk, args: list[str], *, audience: str | None = None) -> str:
    from desk.rules import cancellation as rules

    if not args:
        raise InputError("契約番号を指定してください。例: `/madoguchi penalty EG20240123 2027-03-31 switch`")
    cancel_on: dt.date | None = None
    reasons = ["switch", "removal"]
    for word in args[1:]:
        if word.lower() in ("switch", "removal", "other"):
            reasons = [word.lower()]
        else:
            cancel_on = parse_date(word)
    today = _today(desk)
    with Session(desk.engine) as session:
        contract = _contract(session, args[0])
        _check_audience(session, contract.customer_id, audience)
    cancel_on = cancel_on or rules.next_term_end(contract.applied_on, today)
    lines = [
        f"*{contract.contract_no}* {bk.escape_mrkdwn(contract.facility_name)} の解約違約金（試算）",
        f"解約希望日: {cancel_on:%Y/%m/%d}　通知日: 本日（{today:%Y/%m/%d}）として計算",
    ]
    for reason in reasons:
        result = rules.assess_cancellation(
            applied_on=contract.applied_on,
            notice_on=today,
            cancel_on=cancel_on,
            reason=reason,
            contract_power_kw=contract.contract_power_kw,
            basic_unit_price=contract.basic_unit_price,
        )
        amount = (
            "表に定めがありません（担当者が判断）"
            if result.penalty_yen is None
            else f"{result.penalty_yen:,}円"
        )
        lines.append(
            f"\n*{REASON_LABELS[reason]}の場合*: {amount}"
            + _multiplier_note(result.multiplier)
            + f"\n• 契約期間の満了日: {result.term_end:%Y/%m/%d}"
            + f"　解約通知の期限: {result.notice_deadline:%Y/%m/%d}"
            + f"\n• 満了日での解約: {'はい' if result.on_term_end else 'いいえ'}　"
            + f"期限内の通知: {'はい' if result.notice_in_time else 'いいえ'}"
        )
    return "\n".join(lines)


def _multiplier_note(multiplier: Decimal | None) -> str:
    # The guide's own wording: 契約電力 × 基本料金単価 × 倍率 (「基本料金の1.5倍に相当する金額」).
    if multiplier is None:
        return ""
    if multiplier == 0:
        return "（違約金なし）"
    return f"（契約電力 × 基本料金単価 × {multiplier}）"


def due_answer(desk: SlackDesk, token: str, *, audience: str | None = None) -> str:
    from desk.rules import payment

    today = _today(desk)
    with Session(desk.engine) as session:
        contract = _contract(session, token)
        _check_audience(session, contract.customer_id, audience)
    metering, due = payment.next_due_date(
        metering_day=contract.metering_day, method=contract.payment_method, today=today
    )
    kind = "引落日" if contract.payment_method == "debit" else "振込期日"
    shifted = f"（本来は {due.nominal:%Y/%m/%d}、金融機関の休業日のため繰り下げ）" if due.shifted else ""
    return (
        f"*{contract.contract_no}* {bk.escape_mrkdwn(contract.facility_name)}\n"
        f"支払方法: {_payment(contract.payment_method)}　計量日: 毎月{contract.metering_day}日\n"
        f"次回の{kind}: *{due.actual:%Y/%m/%d}*{shifted}（{metering:%Y/%m/%d} 計量分）"
    )


# -- queue / stats ----------------------------------------------------------------------------------------
def _inquiry_line(desk: SlackDesk, inquiry: Inquiry, now: dt.datetime, tz: ZoneInfo) -> str:
    """One inquiry as a queue line: mark, number, intent, received, age, subject, assignee, card link."""
    label = cards.intent_label(inquiry.primary_intent, desk.labels())
    mark = "🚨" if inquiry.urgent else ("⚠" if inquiry.status == "failed" else "•")
    link = ""
    if inquiry.slack_card:
        channel, ts = inquiry.slack_card.split(":", 1)
        link = f"　<https://slack.com/archives/{channel}/p{ts.replace('.', '')}|カード>"
    assignee = f"　担当 {cards.who(inquiry.assignee)}" if inquiry.assignee else "　担当 未割当"
    if "waiting_customer" in inquiry.flags:
        assignee += "　⏸ 返答待ち"
    if inquiry.snoozed_until is not None:
        assignee += f"　💤 {cards.short_when(inquiry.snoozed_until, tz)} まで"
    return (
        f"{mark} #{inquiry.id:06d} {label}　{cards.when(inquiry.received_at, tz)}"
        f"（{cards.age_text(inquiry.received_at, now)}）"
        f"　{bk.escape_mrkdwn(bk.truncate(inquiry.subject or inquiry.text.strip()[:40], 40))}{assignee}{link}"
    )


def queue_answer(desk: SlackDesk, limit: int = 20) -> str:
    from desk import actions

    now = desk.clock()
    tz = ZoneInfo(desk.settings.timezone)
    with Session(desk.engine) as session:
        rows = actions.pending_inquiries(session, limit=limit)
        lines = (
            [f"*対応待ちの問い合わせ（古い順、{len(rows)}件）*"]
            if rows
            else ["対応待ちの問い合わせはありません。"]
        )
        lines += [_inquiry_line(desk, inquiry, now, tz) for inquiry in rows]
    return "\n".join(lines)


def mine_answer(desk: SlackDesk, user: str, limit: int = 30) -> str:
    """My queue: open inquiries assigned to the staff member who asked."""
    from desk import actions

    now = desk.clock()
    tz = ZoneInfo(desk.settings.timezone)
    with Session(desk.engine) as session:
        rows = actions.assigned_to(session, assignee=f"slack:{user}", limit=limit)
        if not rows:
            return "あなたが担当している未回答の問い合わせはありません。"
        lines = [f"*あなたの担当（未回答、古い順、{len(rows)}件）*"]
        lines += [_inquiry_line(desk, inquiry, now, tz) for inquiry in rows]
    return "\n".join(lines)


def bulk_answer(desk: SlackDesk) -> cards.SlackMessage:
    """The low-risk pending drafts, listed for a confirmation before they are approved together."""
    from desk import actions

    with Session(desk.engine) as session:
        found = actions.low_risk_pending(
            session, min_score=desk.settings.slack.bulk_min_score, limit=BULK_LIMIT
        )
        items = [
            (
                inquiry.id or 0,
                draft.id or 0,
                cards.intent_label(inquiry.primary_intent, desk.labels()),
                inquiry.subject or inquiry.text,
            )
            for inquiry, draft in found
        ]
    return cards.bulk_offer(items)


SEARCH_LIMIT = 15
STATUS_WORDS = {
    "received": "受付",
    "drafted": "承認待ち",
    "approved": "送信待ち",
    "answered": "回答済み",
    "rejected": "却下",
    "ignored": "対象外",
    "failed": "要確認",
}


def search_answer(desk: SlackDesk, query: str) -> str:
    """Past inquiries, newest first, by customer number, contract number, company name or text."""
    from sqlmodel import or_

    words = query.strip()
    if len(words) < 2:
        raise InputError(
            "検索する言葉（お客さま番号・契約番号・会社名・本文の一部）を2文字以上で指定してください。"
        )
    now = desk.clock()
    tz = ZoneInfo(desk.settings.timezone)
    with Session(desk.engine) as session:
        customer_ids: list[int] = []
        if _CUSTOMER.match(words):
            customer_ids = [
                c for c in session.exec(select(Customer.id).where(Customer.customer_no == words)) if c
            ]
        elif _CONTRACT.match(words.upper()):
            owners = select(Contract.customer_id).where(Contract.contract_no == words.upper())
            customer_ids = list(session.exec(owners).all())
        else:
            named = select(Customer.id).where(col(Customer.name).contains(words, autoescape=True)).limit(50)
            customer_ids = [c for c in session.exec(named).all() if c]
        conditions = [
            col(Inquiry.text).contains(words, autoescape=True),
            col(Inquiry.subject).contains(words, autoescape=True),
        ]
        if customer_ids:
            conditions.append(col(Inquiry.customer_id).in_(customer_ids))
        found = (
            select(Inquiry)
            .where(Inquiry.kind == "inquiry", or_(*conditions))
            .order_by(col(Inquiry.received_at).desc())
            .limit(SEARCH_LIMIT)
        )
        rows = session.exec(found).all()
        if not rows:
            return f"「{bk.escape_mrkdwn(words)}」に当てはまる問い合わせは見つかりませんでした。"
        lines = [f"*「{bk.escape_mrkdwn(words)}」の検索結果（新しい順、{len(rows)}件まで）*"]
        for inquiry in rows:
            state = STATUS_WORDS.get(inquiry.status, "")
            lines.append(f"{_inquiry_line(desk, inquiry, now, tz)}　{state}")
    return "\n".join(lines)


def stats_answer(desk: SlackDesk, period: str) -> str:
    if period not in ("week", "month"):
        raise InputError("期間は week（週）か month（月）で指定してください。")
    try:
        from bot.slack import manager  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return "集計機能はまだ利用できません。"
    stats_text = getattr(manager, "stats_text", None)
    if stats_text is None:
        return "集計機能はまだ利用できません。"
    return str(stats_text(desk.engine, desk.settings, period))

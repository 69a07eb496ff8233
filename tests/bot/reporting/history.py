"""A small, fully known desk history for the report tests (store, rendering, CLI, Slack).

All times are Asia/Tokyo wall-clock, stored in UTC. The range under test is the two weeks starting Monday
2026-04-27 (Golden Week: 4/29 Showa Day, 5/3-5/6 closed). Expected values are computed by hand in the
comments so a test can state them as numbers.

id  who  channel kind       intent          received (JST)    first response     resolved           status
1   A    email   inquiry    bill_inquiry    Fri 4/24 10:00    4/24 11:00 (1h)    4/24 11:00         answered  (week before)
2   B    email   inquiry    bill_inquiry    Mon 4/27 11:30    4/27 13:30 (1.0h)  4/28 10:00 (5.5h)  answered
3   C    email   inquiry    password_reset  Tue 4/28 16:00    Thu 4/30 10:00 (2h) 4/30 10:00 (2h)   answered
4   D    slack   inquiry    password_reset  Fri 5/1 16:30     Fri 5/8 12:30 (10.5h) -               approved
5   E    email   inquiry    other           Sat 5/2 10:00     Thu 5/7 09:00 (0h)  5/7 09:00 (0h)    answered
6   F    email   inquiry    other           Thu 5/7 12:15     5/7 14:00 (1h)     5/7 14:00 (1h)     answered
7   G    slack   inquiry    other           Fri 5/8 09:00     -  (5h so far)     -                  drafted  sato
8   H    email   inquiry    bill_inquiry    Thu 5/7 09:00     -  (12h so far)    -                  received
9   I    email   auto_reply other           Fri 5/1 12:00                                           ignored
10  J    email   bounce     other           Thu 5/7 08:00                                           ignored
11  K    email   inquiry    usage_data      Fri 4/10 16:00    -  (111h so far)   -                  failed    sato

``NOW`` is Fri 2026-05-08 15:00 JST.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.models import AuditEvent, Draft, Inquiry, Outbox

JST = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 5, 8, 15, 0, tzinfo=JST)
SINCE = dt.date(2026, 4, 27)
UNTIL = dt.date(2026, 5, 10)


def jst(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=JST).astimezone(dt.UTC)


def _inquiry(n: int, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {"channel": "email", "external_id": f"<q{n}@example.com>", "status": "answered"}
    base.update(kw)
    return base


INQUIRIES = [
    _inquiry(1, primary_intent="bill_inquiry", received_at=jst(4, 24, 10), identity_verified=True,
             first_response_at=jst(4, 24, 11), resolved_at=jst(4, 24, 11)),
    _inquiry(2, primary_intent="bill_inquiry", received_at=jst(4, 27, 11, 30), identity_verified=True,
             first_response_at=jst(4, 27, 13, 30), resolved_at=jst(4, 28, 10), subject="今月の請求額",
             text="今月の請求額が先月より高い理由を教えてください。"),
    _inquiry(3, primary_intent="password_reset", received_at=jst(4, 28, 16), identity_verified=True,
             first_response_at=jst(4, 30, 10), resolved_at=jst(4, 30, 10)),
    _inquiry(4, channel="slack", primary_intent="password_reset", received_at=jst(5, 1, 16, 30),
             identity_verified=True, first_response_at=jst(5, 8, 12, 30), status="approved",
             subject="パスワード", text="パスワードを忘れてしまいました。再設定の方法を教えてください。"),
    _inquiry(5, primary_intent="other", received_at=jst(5, 2, 10), first_response_at=jst(5, 7, 9),
             resolved_at=jst(5, 7, 9), subject="停電時の連絡先",
             text="停電したときの連絡先を教えてください。\n\n--\n山田商事 総務部 山田"),
    _inquiry(6, primary_intent="other", received_at=jst(5, 7, 12, 15), first_response_at=jst(5, 7, 14),
             resolved_at=jst(5, 7, 14), subject="停電時の連絡先について", text="停電したときの連絡先を教えて下さい。"),
    _inquiry(7, channel="slack", primary_intent="other", received_at=jst(5, 8, 9), status="drafted",
             assignee="sato", subject="宛名の英語表記", text="請求書の宛名を英語表記にできますか。"),
    _inquiry(8, primary_intent="bill_inquiry", received_at=jst(5, 7, 9), status="received"),
    _inquiry(9, kind="auto_reply", received_at=jst(5, 1, 12), status="ignored", subject="不在通知"),
    _inquiry(10, kind="bounce", received_at=jst(5, 7, 8), status="ignored"),
    _inquiry(11, primary_intent="usage_data", received_at=jst(4, 10, 16), status="failed", assignee="sato"),
]  # fmt: skip

TEN = "あいうえおかきくけこ"


def _drafts() -> list[Draft]:
    return [
        Draft(inquiry_id=1, intents=["bill_inquiry"], status="rejected", text="x"),  # outside the range
        Draft(inquiry_id=2, intents=["bill_inquiry"], status="sent", text="請求のご案内"),
        Draft(inquiry_id=3, intents=["password_reset"], status="sent", text=TEN, edited_text="あいうえおかきくさし"),
        Draft(inquiry_id=4, version=1, intents=["mypage_login"], status="superseded", text="ログインのご案内"),
        Draft(inquiry_id=4, version=2, intents=["password_reset"], status="approved", text="再設定", edited_text="再設定"),
        Draft(inquiry_id=5, version=1, intents=["mypage_login"], status="superseded", text="ログイン"),
        Draft(inquiry_id=5, version=2, intents=["other"], status="sent", text="あいうえお", edited_text="かきくけこ"),
        Draft(inquiry_id=6, intents=["other"], status="rejected", text="ご回答", rejected_reason="電話で対応"),
        Draft(inquiry_id=7, intents=["other"], status="pending", text="宛名について"),
    ]  # fmt: skip


def _events() -> list[AuditEvent]:
    return [
        AuditEvent(inquiry_id=4, actor="slack:U1", action="rerouted", at=jst(5, 7, 10),
                   detail={"from": ["mypage_login"], "to": ["password_reset"]}),
        AuditEvent(inquiry_id=5, actor="slack:U1", action="rerouted", at=jst(5, 7, 9),
                   detail={"from": ["mypage_login"], "to": ["other"]}),
        AuditEvent(inquiry_id=6, actor="slack:U2", action="rejected", at=jst(5, 7, 14),
                   detail={"reason": "電話で対応"}),
        AuditEvent(inquiry_id=7, actor="slack:U2", action="assigned", at=jst(5, 8, 10), detail={}),
    ]  # fmt: skip


def _outbox() -> list[Outbox]:
    # Queued when the reply was approved; failures count in the period they were queued.
    return [
        Outbox(dedupe_key="reply:1", inquiry_id=1, channel="email", recipient="a@example.com", status="failed",
               created_at=jst(4, 24, 11)),
        Outbox(dedupe_key="reply:2", inquiry_id=2, channel="email", recipient="b@example.com", status="sent",
               created_at=jst(4, 27, 13, 30)),
        Outbox(dedupe_key="reply:3", inquiry_id=3, channel="email", recipient="c@example.com", status="failed",
               created_at=jst(4, 30, 10)),
    ]  # fmt: skip


def build_history(engine: Engine) -> None:
    """Insert the history above; ids follow the table's order."""
    with Session(engine) as session:
        for inquiry in INQUIRIES:
            session.add(Inquiry(**inquiry))
            session.flush()
        for draft in _drafts():
            session.add(draft)
            session.flush()
        for item in [*_events(), *_outbox()]:
            session.add(item)
        session.commit()

"""Staff actions on drafts: approve once, edit, reject, assign, and the last check before sending."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from desk import actions
from desk.errors import InputError
from store.db import session_scope
from store.models import (
    AuditEvent,
    ContactEmail,
    Customer,
    Draft,
    DraftStatus,
    Inquiry,
    InquiryStatus,
    Outbox,
    OutboxStatus,
)

RECEIVED = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)


def _inquiry(
    engine: Engine,
    *,
    verified: bool = False,
    digest: str = "",
    text: str = "本文です。",
    sender: str = "a@example.jp",
) -> tuple[int, int]:
    with session_scope(engine) as session:
        customer = Customer(customer_no="30012345", name="株式会社テスト")
        session.add(customer)
        session.flush()
        session.add(ContactEmail(customer_id=customer.id or 0, email="a@example.jp"))
        inquiry = Inquiry(
            channel="email",
            external_id=f"<{text}@x>",
            sender=sender,
            reply_to=sender,
            received_at=RECEIVED,
            status=InquiryStatus.DRAFTED,
            customer_id=customer.id,
            identity_verified=verified,
        )
        session.add(inquiry)
        session.flush()
        draft = Draft(inquiry_id=inquiry.id or 0, subject="Re: 件名", text=text, source_digest=digest)
        session.add(draft)
        session.flush()
        return inquiry.id or 0, draft.id or 0


def _actions_of(session: Session, inquiry_id: int) -> list[str]:
    events = session.exec(
        select(AuditEvent).where(AuditEvent.inquiry_id == inquiry_id).order_by(AuditEvent.id)
    )
    return [e.action for e in events]


def test_approve_queues_the_reply_once_and_a_second_approval_is_refused(engine: Engine) -> None:
    inquiry_id, draft_id = _inquiry(engine)
    with session_scope(engine) as session:
        outbox = actions.approve(session, draft_id=draft_id, actor="slack:U1")
        assert (outbox.recipient, outbox.body, outbox.dedupe_key) == (
            "a@example.jp",
            "本文です。",
            f"reply:{draft_id}",
        )
    with pytest.raises(actions.AlreadyHandled, match="承認済み"), session_scope(engine) as session:
        actions.approve(session, draft_id=draft_id, actor="slack:U2")
    with Session(engine) as session:
        assert len(session.exec(select(Outbox)).all()) == 1
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == DraftStatus.APPROVED and draft.approved_by == "slack:U1"
        assert session.get(Inquiry, inquiry_id).status == InquiryStatus.APPROVED  # type: ignore[union-attr]
        assert _actions_of(session, inquiry_id) == ["approved"]


def test_approve_with_edited_text_sends_the_edited_text(engine: Engine) -> None:
    inquiry_id, draft_id = _inquiry(engine)
    with session_scope(engine) as session:
        outbox = actions.approve(session, draft_id=draft_id, actor="cli:sato", edited_text="直した本文です。")
    assert outbox.body == "直した本文です。"
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.text == "本文です。" and draft.edited_text == "直した本文です。"
        assert _actions_of(session, inquiry_id) == ["edited", "approved"]


def test_approve_refuses_contract_facts_for_an_unverified_sender(engine: Engine) -> None:
    _, draft_id = _inquiry(engine, verified=False, digest="abc")
    with pytest.raises(actions.SendBlocked, match="本人確認"), session_scope(engine) as session:
        actions.approve(session, draft_id=draft_id, actor="cli:sato")
    with Session(engine) as session:
        assert session.exec(select(Outbox)).all() == []
        assert session.get(Draft, draft_id).status == DraftStatus.PENDING  # type: ignore[union-attr]


def test_approve_refuses_a_verified_draft_going_to_an_unregistered_address(engine: Engine) -> None:
    _, draft_id = _inquiry(engine, verified=True, digest="abc", sender="someone-else@example.jp")
    with pytest.raises(actions.SendBlocked, match="登録メールアドレス"), session_scope(engine) as session:
        actions.approve(session, draft_id=draft_id, actor="cli:sato")


def test_approve_refuses_leftover_template_placeholders(engine: Engine) -> None:
    _, draft_id = _inquiry(engine, text="違約金は {{ penalty }} 円です。")
    with pytest.raises(actions.SendBlocked), session_scope(engine) as session:
        actions.approve(session, draft_id=draft_id, actor="cli:sato")


def test_approve_refuses_when_the_contract_rows_changed_since_drafting(engine: Engine) -> None:
    _, draft_id = _inquiry(engine, verified=True, digest="before")
    with pytest.raises(actions.SendBlocked, match="更新"), session_scope(engine) as session:
        actions.approve(session, draft_id=draft_id, actor="cli:sato", digest_now=lambda s, i: "after")


def test_reject_needs_a_reason_and_closes_the_inquiry(engine: Engine) -> None:
    inquiry_id, draft_id = _inquiry(engine)
    with pytest.raises(InputError), session_scope(engine) as session:
        actions.reject(session, draft_id=draft_id, actor="cli:sato", reason="  ")
    with session_scope(engine) as session:
        actions.reject(session, draft_id=draft_id, actor="cli:sato", reason="電話で回答済み")
    with Session(engine) as session:
        assert session.get(Inquiry, inquiry_id).status == InquiryStatus.REJECTED  # type: ignore[union-attr]
        assert session.get(Draft, draft_id).rejected_reason == "電話で回答済み"  # type: ignore[union-attr]
    with pytest.raises(actions.AlreadyHandled), session_scope(engine) as session:
        actions.approve(session, draft_id=draft_id, actor="cli:sato")


def test_save_edit_keeps_the_text_without_queueing(engine: Engine) -> None:
    _, draft_id = _inquiry(engine)
    with session_scope(engine) as session:
        actions.save_edit(session, draft_id=draft_id, actor="cli:sato", text="保存だけ")
    with Session(engine) as session:
        assert session.get(Draft, draft_id).final_text == "保存だけ"  # type: ignore[union-attr]
        assert session.exec(select(Outbox)).all() == []


def test_record_sent_closes_draft_and_inquiry_and_record_failed_flags_staff(engine: Engine) -> None:
    inquiry_id, draft_id = _inquiry(engine)
    with session_scope(engine) as session:
        outbox_id = actions.approve(session, draft_id=draft_id, actor="cli:sato").id or 0
    with session_scope(engine) as session:
        actions.record_failed(session, outbox_id=outbox_id, error="451 try later", permanent=False)
    with Session(engine) as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None and row.status == OutboxStatus.QUEUED and row.last_error == "451 try later"
    sent_at = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    with session_scope(engine) as session:
        actions.record_sent(session, outbox_id=outbox_id, at=sent_at)
    with Session(engine) as session:
        inquiry = session.get(Inquiry, inquiry_id)
        assert inquiry is not None and inquiry.status == InquiryStatus.ANSWERED
        assert inquiry.first_response_at is not None
        assert session.get(Draft, draft_id).status == DraftStatus.SENT  # type: ignore[union-attr]


def test_permanent_failure_marks_the_row_failed_and_flags_the_inquiry(engine: Engine) -> None:
    inquiry_id, draft_id = _inquiry(engine)
    with session_scope(engine) as session:
        outbox_id = actions.approve(session, draft_id=draft_id, actor="cli:sato").id or 0
    with session_scope(engine) as session:
        actions.record_failed(session, outbox_id=outbox_id, error="550 no such user", permanent=True)
    with Session(engine) as session:
        assert session.get(Outbox, outbox_id).status == OutboxStatus.FAILED  # type: ignore[union-attr]
        assert "send_failed" in session.get(Inquiry, inquiry_id).flags  # type: ignore[union-attr]
        assert _actions_of(session, inquiry_id)[-1] == "send_failed"


def test_assign_records_who_took_it(engine: Engine) -> None:
    inquiry_id, _ = _inquiry(engine)
    with session_scope(engine) as session:
        actions.assign(session, inquiry_id=inquiry_id, actor="slack:U9", assignee="slack:U9")
    with Session(engine) as session:
        assert session.get(Inquiry, inquiry_id).assignee == "slack:U9"  # type: ignore[union-attr]

"""What staff (and the senders) do to an inquiry after the bot has drafted it.

Every function takes an open ``Session`` and leaves committing to the caller (``store.db.session_scope``),
records an :class:`~store.models.AuditEvent`, and raises an :class:`~desk.errors.InputError` subclass with a
Japanese sentence the adapter can show as it is. Slack, the terminal review and the outbox senders all call
these, so a rule such as "approving twice sends once" lives in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from desk.errors import InputError, NotFound
from store.models import (
    AuditEvent,
    ContactEmail,
    Draft,
    DraftStatus,
    Inquiry,
    InquiryMessage,
    InquiryStatus,
    Outbox,
    OutboxStatus,
    utcnow,
)


class AlreadyHandled(InputError):
    """The draft was already approved, rejected, sent or replaced by a newer one."""


class SendBlocked(InputError):
    """The last check before sending failed; ``str(self)`` says why."""


_STATUS_JA = {
    DraftStatus.APPROVED: "承認済み",
    DraftStatus.SENT: "送信済み",
    DraftStatus.REJECTED: "却下済み",
    DraftStatus.SUPERSEDED: "再作成により置き換え済み",
    DraftStatus.MERGED: "障害の一括返信に置き換え済み",
}

# A plain Core statement on the session's connection: compiled once, no ORM bookkeeping per event.
_AUDIT_INSERT = insert(AuditEvent.__table__)  # type: ignore[attr-defined]

# Computes the digest of the contract rows an inquiry's facts depend on, as they are now.
DigestNow = Callable[[Session, Inquiry], str]


def audit(
    session: Session,
    *,
    action: str,
    actor: str,
    inquiry_id: int | None,
    draft_id: int | None = None,
    at: dt.datetime | None = None,
    detail: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """Record an audit event in the caller's transaction.

    A Core insert, not an ORM object: events are written on every step of every message and never read back
    in the same unit of work, and building SQLModel objects costs more than the insert itself.
    """
    session.connection().execute(
        _AUDIT_INSERT,
        {
            "inquiry_id": inquiry_id,
            "draft_id": draft_id,
            "actor": actor,
            "action": action,
            "detail": {**(detail or {}), **fields},
            "at": at or utcnow(),
        },
    )


def get_inquiry(session: Session, inquiry_id: int) -> Inquiry:
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound(f"問い合わせ #{inquiry_id:06d} は見つかりません。")
    return inquiry


def current_draft(session: Session, inquiry_id: int) -> Draft | None:
    """The newest draft of an inquiry (pending or not)."""
    stmt = select(Draft).where(Draft.inquiry_id == inquiry_id).order_by(col(Draft.version).desc())
    return session.exec(stmt).first()


def _pending_draft(session: Session, draft_id: int) -> tuple[Draft, Inquiry]:
    stmt = select(Draft).where(Draft.id == draft_id).with_for_update()
    draft = session.exec(stmt).first()
    if draft is None:
        raise NotFound(f"下書き {draft_id} は見つかりません。")
    if draft.status != DraftStatus.PENDING:
        label = _STATUS_JA.get(DraftStatus(draft.status), draft.status)
        who = f"（{draft.approved_by}）" if draft.approved_by else ""
        raise AlreadyHandled(f"この下書きはすでに{label}です{who}。操作は行いませんでした。")
    return draft, get_inquiry(session, draft.inquiry_id)


def recipient_problems(session: Session, inquiry: Inquiry, draft: Draft, recipient: str) -> list[str]:
    """Why ``recipient`` may not receive this draft (empty when it may)."""
    problems: list[str] = []
    if not recipient:
        problems.append("返信先が分かりません。")
    elif any(ch in recipient for ch in "\r\n,;") or recipient.count("@") > 1:
        problems.append("返信先の形式が不正です（複数の宛先や改行を含んでいます）。")
    discloses = bool(draft.source_digest)  # set only when the draft carries contract data
    if discloses and not inquiry.identity_verified:
        problems.append("本人確認が済んでいない問い合わせに契約情報が含まれています。")
    if discloses and inquiry.identity_verified and "@" in recipient:
        registered = session.exec(
            select(ContactEmail.email).where(
                ContactEmail.customer_id == inquiry.customer_id, ContactEmail.email == recipient.lower()
            )
        ).first()
        if registered is None:
            problems.append("返信先がお客さまの登録メールアドレスではなくなっています。")
    return problems


def customer_texts(inquiry: Inquiry) -> list[str]:
    """What the customer typed that a reply may repeat: name, subject, the form's fields."""
    texts = [inquiry.sender_name, inquiry.subject]
    texts += [str(v) for v in (inquiry.form or {}).values() if isinstance(v, str) and "\n" not in v]
    return [t.strip() for t in texts if t and t.strip()]


def final_check(
    session: Session, inquiry: Inquiry, draft: Draft, *, digest_now: DigestNow | None = None
) -> list[str]:
    """Everything that must hold before a reply leaves (empty list: it may leave)."""
    from desk.drafting import leftover_problems

    recipient = inquiry.reply_to or inquiry.sender
    problems = recipient_problems(session, inquiry, draft, recipient)
    problems += leftover_problems(draft.final_text, customer_texts(inquiry))
    if not draft.final_text.strip():
        problems.append("本文が空です。")
    if draft.source_digest and digest_now is not None and digest_now(session, inquiry) != draft.source_digest:
        problems.append("下書き作成後に契約情報が更新されました。区分を変更せずに再作成してください。")
    return problems


def approve(
    session: Session,
    *,
    draft_id: int,
    actor: str,
    edited_text: str | None = None,
    digest_now: DigestNow | None = None,
) -> Outbox:
    """Approve a pending draft (optionally with staff's edited text) and queue the reply exactly once."""
    draft, inquiry = _pending_draft(session, draft_id)
    if edited_text is not None and edited_text != draft.text:
        draft.edited_text = edited_text
        audit(session, action="edited", actor=actor, inquiry_id=inquiry.id, draft_id=draft.id)
    problems = final_check(session, inquiry, draft, digest_now=digest_now)
    if problems:
        audit(
            session,
            action="send_blocked",
            actor=actor,
            inquiry_id=inquiry.id,
            draft_id=draft.id,
            why=problems,
        )
        raise SendBlocked("送信できません: " + " ".join(problems))
    now = utcnow()
    outbox = Outbox(
        dedupe_key=f"reply:{draft.id}",
        draft_id=draft.id,
        inquiry_id=inquiry.id or 0,
        channel="slack" if inquiry.channel == "slack" else "email",
        recipient=inquiry.reply_to or inquiry.sender,
        subject=draft.subject,
        body=draft.final_text,
    )
    draft.status, draft.approved_by, draft.approved_at = DraftStatus.APPROVED, actor, now
    inquiry.status = InquiryStatus.APPROVED
    session.add_all([draft, inquiry, outbox])
    audit(
        session,
        action="approved",
        actor=actor,
        inquiry_id=inquiry.id,
        draft_id=draft.id,
        edited=draft.edited_text is not None,
    )
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent approval queued it first
        session.rollback()
        raise AlreadyHandled("この下書きはすでに承認され、送信待ちです。") from exc
    return outbox


def save_edit(session: Session, *, draft_id: int, actor: str, text: str) -> Draft:
    """Keep staff's edited text without sending it."""
    draft, inquiry = _pending_draft(session, draft_id)
    if not text.strip():
        raise InputError("本文が空のため保存できません。")
    draft.edited_text = text
    session.add(draft)
    audit(session, action="edited", actor=actor, inquiry_id=inquiry.id, draft_id=draft.id, sent=False)
    return draft


def reject(session: Session, *, draft_id: int, actor: str, reason: str) -> Draft:
    """Decide not to send the draft; the inquiry is closed without a bot reply."""
    if not reason.strip():
        raise InputError("却下の理由を入力してください。")
    draft, inquiry = _pending_draft(session, draft_id)
    draft.status, draft.rejected_reason = DraftStatus.REJECTED, reason.strip()
    inquiry.status = InquiryStatus.REJECTED
    inquiry.resolved_at = utcnow()
    session.add_all([draft, inquiry])
    audit(
        session,
        action="rejected",
        actor=actor,
        inquiry_id=inquiry.id,
        draft_id=draft.id,
        reason=reason.strip(),
    )
    return draft


def assign(session: Session, *, inquiry_id: int, actor: str, assignee: str) -> Inquiry:
    inquiry = get_inquiry(session, inquiry_id)
    previous = inquiry.assignee
    inquiry.assignee = assignee
    session.add(inquiry)
    audit(
        session, action="assigned", actor=actor, inquiry_id=inquiry.id, assignee=assignee, previous=previous
    )
    return inquiry


def unassign(session: Session, *, inquiry_id: int, actor: str) -> Inquiry:
    """Nobody is in charge any more (the inquiry goes back to the shared queue)."""
    inquiry = get_inquiry(session, inquiry_id)
    if inquiry.assignee is None:
        raise InputError("この問い合わせには担当者がいません。操作は行いませんでした。")
    previous = inquiry.assignee
    inquiry.assignee = None
    session.add(inquiry)
    audit(session, action="unassigned", actor=actor, inquiry_id=inquiry.id, previous=previous)
    return inquiry


def assigned_to(session: Session, *, assignee: str, limit: int = 50) -> Sequence[Inquiry]:
    """Open inquiries in someone's charge, oldest first ("my queue")."""
    stmt = (
        select(Inquiry)
        .where(
            Inquiry.assignee == assignee,
            col(Inquiry.status).in_([InquiryStatus.RECEIVED, InquiryStatus.DRAFTED, InquiryStatus.FAILED]),
        )
        .order_by(col(Inquiry.received_at))
        .limit(limit)
    )
    return session.exec(stmt).all()


def _finish(session: Session, inquiry: Inquiry, status: InquiryStatus, *, inquiry_id: int) -> list[int]:
    """End an inquiry without a draft of ours: pending drafts superseded, resolved now, and now its first
    response unless it had one. Returns the superseded draft ids."""
    superseded = supersede_pending(session, inquiry_id=inquiry_id)
    now = utcnow()
    inquiry.status = status
    inquiry.resolved_at = now
    inquiry.first_response_at = inquiry.first_response_at or now
    session.add(inquiry)
    return superseded


def supersede_pending(session: Session, *, inquiry_id: int) -> list[int]:
    """Mark every pending draft of an inquiry superseded (before a re-draft); returns their ids."""
    drafts = session.exec(
        select(Draft).where(Draft.inquiry_id == inquiry_id, Draft.status == DraftStatus.PENDING)
    ).all()
    for draft in drafts:
        draft.status = DraftStatus.SUPERSEDED
        session.add(draft)
    return [d.id for d in drafts if d.id is not None]


def record_sent(session: Session, *, outbox_id: int, at: dt.datetime | None = None) -> None:
    """The channel accepted the message: outbox, draft and inquiry all say so."""
    at = at or utcnow()
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFound(f"送信キュー {outbox_id} は見つかりません。")
    row.status, row.sent_at, row.last_error = OutboxStatus.SENT, at, None
    session.add(row)
    inquiry = get_inquiry(session, row.inquiry_id)
    if row.draft_id is not None:
        draft = session.get(Draft, row.draft_id)
        if draft is not None:
            draft.status, draft.sent_at = DraftStatus.SENT, at
            session.add(draft)
        inquiry.status = InquiryStatus.ANSWERED
        inquiry.resolved_at = at
    inquiry.first_response_at = inquiry.first_response_at or at
    session.add(inquiry)
    audit(
        session,
        action="sent",
        actor="system",
        inquiry_id=inquiry.id,
        draft_id=row.draft_id,
        kind=row.kind,
        at=at,
    )


def record_failed(
    session: Session,
    *,
    outbox_id: int,
    error: str,
    permanent: bool,
    next_attempt_at: dt.datetime | None = None,
) -> None:
    """A sending attempt failed: retry later, or (permanent) give up and flag the inquiry for staff."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFound(f"送信キュー {outbox_id} は見つかりません。")
    row.last_error = error
    if permanent:
        row.status = OutboxStatus.FAILED
        inquiry = get_inquiry(session, row.inquiry_id)
        if "send_failed" not in inquiry.flags:
            inquiry.flags = [*inquiry.flags, "send_failed"]
        session.add(inquiry)
        audit(
            session,
            action="send_failed",
            actor="system",
            inquiry_id=row.inquiry_id,
            draft_id=row.draft_id,
            error=error,
        )
    else:
        row.status = OutboxStatus.QUEUED
        row.next_attempt_at = next_attempt_at
    session.add(row)


def pending_inquiries(session: Session, *, limit: int = 50) -> Sequence[Inquiry]:
    """Inquiries waiting for staff, oldest first."""
    stmt = (
        select(Inquiry)
        .where(col(Inquiry.status).in_([InquiryStatus.DRAFTED, InquiryStatus.FAILED]))
        .order_by(col(Inquiry.received_at))
        .limit(limit)
    )
    return session.exec(stmt).all()


# -- staff writing in a customer's own thread (a Slack Connect channel) ------------------------------------
NOTE_SHOWN_CHARS = 500  # of a staff note, kept in the audit detail the card shows


def inquiry_of_message(session: Session, *, channel: str, external_id: str) -> int | None:
    """The inquiry a stored message belongs to (e.g. the thread a staff member wrote in)."""
    stmt = select(InquiryMessage.inquiry_id).where(
        InquiryMessage.channel == channel, InquiryMessage.external_id == external_id
    )
    return session.exec(stmt).first()


def record_staff_note(
    session: Session,
    *,
    inquiry_id: int,
    actor: str,
    channel: str,
    external_id: str,
    thread_key: str,
    text: str,
    at: dt.datetime,
) -> bool:
    """Staff wrote in the customer's thread: an internal note on the inquiry, never the customer speaking.

    The message is kept (direction "out": the desk spoke) and audited; the draft is left as it is. Returns
    False when this message was recorded before (a redelivery)."""
    get_inquiry(session, inquiry_id)
    if inquiry_of_message(session, channel=channel, external_id=external_id) is not None:
        return False
    session.add(
        InquiryMessage(
            inquiry_id=inquiry_id,
            channel=channel,
            external_id=external_id,
            thread_key=thread_key,
            direction="out",
            sender=actor,
            received_at=at,
            text=text,
        )
    )
    audit(
        session,
        action="staff_note",
        actor=actor,
        inquiry_id=inquiry_id,
        external_id=external_id,
        text=text[:NOTE_SHOWN_CHARS],
    )
    return True


def record_staff_reply(session: Session, *, inquiry_id: int, actor: str, external_id: str) -> Inquiry:
    """Staff confirmed that what they wrote in the customer's thread is the answer.

    Nothing is sent (the customer already read it): the pending draft is set aside, the inquiry is answered.
    Refused when a reply is already queued or sent, so the customer never gets two answers."""
    inquiry = get_inquiry(session, inquiry_id)
    if inquiry.status == InquiryStatus.APPROVED:
        raise AlreadyHandled("承認済みの返信が送信待ちです。回答としての記録は行いませんでした。")
    if inquiry.status == InquiryStatus.ANSWERED:
        raise AlreadyHandled("このお問い合わせはすでに回答済みです。操作は行いませんでした。")
    note = inquiry_of_message(session, channel=inquiry.channel, external_id=external_id)
    if note != inquiry_id:
        raise NotFound("記録するスレッドの書き込みが見つかりません。")
    superseded = _finish(session, inquiry, InquiryStatus.ANSWERED, inquiry_id=inquiry_id)
    audit(
        session,
        action="staff_replied",
        actor=actor,
        inquiry_id=inquiry_id,
        draft_id=superseded[0] if superseded else None,
        external_id=external_id,
    )
    return inquiry


# -- bulk approval of low-risk drafts --------------------------------------------------------------------
RISKY_FLAGS = frozenset({"identity_unverified", "unknown_identifier", "foreign_thread", "send_failed"})


def low_risk_problem(inquiry: Inquiry, draft: Draft, *, min_score: float) -> str | None:
    """Why a pending draft may not be approved in bulk (None when it may).

    Low risk means: the sender is verified, the text carries no contract data (a procedure or FAQ answer),
    nothing is missing, the bot left no remark for staff, it is not urgent, and the intent is certain."""
    if draft.status != DraftStatus.PENDING or inquiry.status != InquiryStatus.DRAFTED:
        return "すでに処理済み"
    if not inquiry.identity_verified:
        return "本人確認未了"
    if inquiry.urgent:
        return "緊急"
    if draft.source_digest:
        return "契約データを含む"
    if draft.missing:
        return "不足している情報あり"
    if draft.notes:
        return "担当者向けメモあり"
    if RISKY_FLAGS.intersection(inquiry.flags):
        return "要確認の印あり"
    score = max((float(i.get("score", 0.0)) for i in inquiry.intents), default=0.0)
    if score < min_score:
        return "区分の確度が低い"
    return None


def low_risk_pending(session: Session, *, min_score: float, limit: int = 20) -> list[tuple[Inquiry, Draft]]:
    """Pending drafts that may be approved together, oldest inquiry first."""
    stmt = (
        select(Inquiry, Draft)
        .join(Draft, col(Draft.inquiry_id) == col(Inquiry.id))
        .where(Inquiry.status == InquiryStatus.DRAFTED, Draft.status == DraftStatus.PENDING)
        .order_by(col(Inquiry.received_at))
        .limit(500)
    )
    found = [
        (inquiry, draft)
        for inquiry, draft in session.exec(stmt).all()
        if low_risk_problem(inquiry, draft, min_score=min_score) is None
    ]
    return found[:limit]


def approve_low_risk(
    session: Session, *, draft_id: int, actor: str, min_score: float, digest_now: DigestNow | None = None
) -> Outbox:
    """Approve one draft of a bulk approval, after checking again that it is still low risk."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"下書き {draft_id} は見つかりません。")
    problem = low_risk_problem(get_inquiry(session, draft.inquiry_id), draft, min_score=min_score)
    if problem is not None:
        raise AlreadyHandled(f"一括承認の対象外です（{problem}）。")
    return approve(session, draft_id=draft_id, actor=actor, digest_now=digest_now)


# -- waiting for the customer, snoozing ------------------------------------------------------------------
WAITING = "waiting_customer"


def set_waiting(session: Session, *, inquiry_id: int, actor: str, waiting: bool) -> Inquiry:
    """Mark (or unmark) an inquiry as waiting for the customer's answer: no reminders meanwhile. The
    customer writing again ends it (desk.pipeline)."""
    inquiry = get_inquiry(session, inquiry_id)
    if waiting == (WAITING in inquiry.flags):
        state = "お客さまの返答待ちです" if waiting else "お客さまの返答待ちではありません"
        raise InputError(f"この問い合わせはすでに{state}。操作は行いませんでした。")
    inquiry.flags = [*inquiry.flags, WAITING] if waiting else [f for f in inquiry.flags if f != WAITING]
    session.add(inquiry)
    audit(session, action="waiting" if waiting else "waiting_ended", actor=actor, inquiry_id=inquiry_id)
    return inquiry


def snooze(session: Session, *, inquiry_id: int, actor: str, until: dt.datetime | None) -> Inquiry:
    """Put an inquiry aside until ``until`` (None: wake it now)."""
    inquiry = get_inquiry(session, inquiry_id)
    if until is None and inquiry.snoozed_until is None:
        raise InputError("この問い合わせはスヌーズしていません。操作は行いませんでした。")
    inquiry.snoozed_until = until
    session.add(inquiry)
    audit(
        session,
        action="snoozed" if until else "snooze_ended",
        actor=actor,
        inquiry_id=inquiry_id,
        until=until.isoformat() if until else None,
    )
    return inquiry


def wake_snoozed(session: Session, *, now: dt.datetime) -> list[tuple[int, str | None]]:
    """End every snooze whose time has come; returns (inquiry id, assignee) of each."""
    stmt = select(Inquiry).where(col(Inquiry.snoozed_until).is_not(None), col(Inquiry.snoozed_until) <= now)
    woken = []
    for inquiry in session.exec(stmt).all():
        inquiry.snoozed_until = None
        session.add(inquiry)
        audit(session, action="snooze_ended", actor="system", inquiry_id=inquiry.id)
        woken.append((inquiry.id or 0, inquiry.assignee))
    return woken


# -- non-inquiries closed without a reply (desk/noninquiry.py) ---------------------------------------------
def close_without_reply(session: Session, *, inquiry_id: int, actor: str) -> Inquiry:
    """対応不要として完了: a non-inquiry (thanks, sales, phishing) needs no reply; staff close it in one click.

    Only while it waits for staff and nothing is queued: a pending draft (there is none for these reasons,
    unless staff re-routed) is set aside. The first response is the desk's decision, recorded now, so a
    closed sales mail is not counted as an unanswered, late inquiry in the managers' report; the audit row
    says whether this set it, so :func:`reopen` can take it back exactly."""
    inquiry = get_inquiry(session, inquiry_id)
    if inquiry.status not in (InquiryStatus.RECEIVED, InquiryStatus.DRAFTED, InquiryStatus.FAILED):
        label = _INQUIRY_STATUS_JA.get(InquiryStatus(inquiry.status), inquiry.status)
        raise AlreadyHandled(f"この問い合わせはすでに{label}です。操作は行いませんでした。")
    set_first = inquiry.first_response_at is None
    superseded = _finish(session, inquiry, InquiryStatus.CLOSED, inquiry_id=inquiry_id)
    audit(
        session,
        action="closed_no_reply",
        actor=actor,
        inquiry_id=inquiry_id,
        reason=inquiry.other_reason,
        superseded=superseded,
        set_first_response=set_first,
    )
    return inquiry


def reopen(session: Session, *, inquiry_id: int, actor: str) -> Inquiry:
    """Take back 対応不要として完了: the inquiry waits for staff again, with the times it had before."""
    inquiry = get_inquiry(session, inquiry_id)
    if inquiry.status != InquiryStatus.CLOSED:
        raise InputError("この問い合わせは対応不要として完了していません。操作は行いませんでした。")
    closed = session.exec(
        select(AuditEvent)
        .where(AuditEvent.inquiry_id == inquiry_id, AuditEvent.action == "closed_no_reply")
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    ).first()
    inquiry.status = InquiryStatus.DRAFTED
    inquiry.resolved_at = None
    if closed is not None and closed.detail.get("set_first_response"):
        inquiry.first_response_at = None
    session.add(inquiry)
    audit(session, action="reopened", actor=actor, inquiry_id=inquiry_id)
    return inquiry


_INQUIRY_STATUS_JA = {
    InquiryStatus.APPROVED: "承認済み（送信待ち）",
    InquiryStatus.ANSWERED: "回答済み",
    InquiryStatus.REJECTED: "却下済み",
    InquiryStatus.CLOSED: "対応不要として完了済み",
    InquiryStatus.IGNORED: "対応対象外",
}

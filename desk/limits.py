"""Abuse limits: how many inquiries one sender (or one email domain) may have drafted in a window.

A burst past the limit is still stored, flagged ``rate_limited`` and shown to staff (status ``failed`` with
the reason), but the bot neither drafts nor acknowledges it: a flood cannot make the desk do work or send mail
on its behalf. Counting uses the inquiries' ``created_at`` (our clock, not the sender's Date header) through
the ``ix_inquiry_sender_created`` / ``ix_inquiry_domain_created`` indexes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import Inquiry, InquiryKind


@dataclass(frozen=True, slots=True)
class Limits:
    window: dt.timedelta = dt.timedelta(hours=1)
    per_sender: int = 20  # inquiries drafted per sender per window (0: no limit)
    per_domain: int = 200  # inquiries drafted per email domain per window (0: no limit)


def sender_domain(sender: str) -> str:
    """The lower-cased domain of an email sender ("" for Slack users and the like)."""
    return sender.rsplit("@", 1)[-1].lower() if "@" in sender else ""


def over_limit(
    session: Session, *, limits: Limits, sender: str, now: dt.datetime, before_id: int | None = None
) -> str | None:
    """Why a new inquiry from ``sender`` is past a limit (Japanese, for staff), or None.

    Counts the sender's inquiries created in the window, this one included (``before_id`` excludes later
    ones, so a re-run gives the same answer)."""
    if not sender or (limits.per_sender <= 0 and limits.per_domain <= 0):
        return None
    since = now - limits.window
    minutes = int(limits.window.total_seconds() // 60)
    checks = [(col(Inquiry.sender) == sender, limits.per_sender, "差出人")]
    domain = sender_domain(sender)
    if domain:
        checks.append((col(Inquiry.sender_domain) == domain, limits.per_domain, f"ドメイン {domain}"))
    for where, limit, who in checks:
        if limit <= 0:
            continue
        stmt = select(func.count()).where(
            where, col(Inquiry.created_at) >= since, col(Inquiry.kind) == InquiryKind.INQUIRY
        )
        if before_id is not None:
            stmt = stmt.where(col(Inquiry.id) <= before_id)
        n = session.exec(stmt).one()
        if n > limit:
            return (
                f"同じ{who}からの問い合わせが{minutes}分間に{n}件あり、上限（{limit}件）を超えました。"
                "返信案の自動作成と受付メールを止めています。内容を確認してください。"
            )
    return None

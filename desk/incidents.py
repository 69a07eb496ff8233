"""Outage incidents: several customers of one grid area report an outage within a short window, and staff
approve one text once for all of them.

Grouping (:func:`decide`) is a pure function of the new report, the area's active incident and the area's
recent ungrouped reports; :func:`group_outage` reads those from the store and records the decision. The
pipeline calls it after drafting an outage inquiry.

Approval (:func:`approve_incident`, :func:`send_late`) never writes a reply itself: for every member it asks
the pipeline for a fresh draft rendered for that member's own case (its 宛名, facility, contract number and
the area's utility; the identity rule unchanged, so an unverified sender gets the general text) with the
approved notice in it, and approves that draft through :func:`desk.actions.approve`, so each copy passes the
normal last check and is queued in the normal outbox, exactly once per inquiry.

The area of a report is what the outage draft itself used: the verified contract's grid area, or the area of
a 供給地点特定番号 the sender wrote. A contract number written by an unverified sender never places the
report in an area, because the area named in the approved notice would then tell the sender something
about a contract they are not proven to hold.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from desk import actions
from desk.errors import InputError, NotFound
from desk.render import render, tidy
from desk.rules.areas import area
from store.models import (
    Draft,
    DraftStatus,
    Incident,
    IncidentMember,
    IncidentStatus,
    Inquiry,
    InquiryStatus,
    utcnow,
)

__all__ = [
    "ACTIVE",
    "Decision",
    "IncidentRules",
    "MakeCopy",
    "OutageReport",
    "SendResult",
    "approve_incident",
    "decide",
    "default_notice",
    "group_outage",
    "members",
    "send_late",
]

log = logging.getLogger(__name__)

ACTIVE = (IncidentStatus.OPEN, IncidentStatus.APPROVED)
# Inquiry states in which a member still waits for the incident's reply. Anything else was handled on its
# own card (approved, answered, rejected) and never gets a second reply.
WAITING = (InquiryStatus.DRAFTED, InquiryStatus.RECEIVED, InquiryStatus.FAILED)

# Builds the copy for one member: (session, inquiry id, notice ja, notice en, actor) -> the new draft's id.
MakeCopy = Callable[[Session, int, str, str, str], int]


@dataclass(frozen=True, slots=True)
class IncidentRules:
    """``window``: how close reports must follow each other; ``min_customers``: distinct customers needed."""

    window: dt.timedelta = dt.timedelta(minutes=30)
    min_customers: int = 2


@dataclass(frozen=True, slots=True)
class OutageReport:
    inquiry_id: int
    area_code: str
    customer_key: str  # the linked customer ("c:<id>") or else the sender address: one customer counts once
    received_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ActiveIncident:
    id: int
    area_code: str
    latest_report_at: dt.datetime
    approved: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a report: join ``join``, open a new incident of ``members``, or nothing."""

    join: int | None = None
    close: int | None = None  # the area's active incident went quiet for longer than the window
    open_with: tuple[OutageReport, ...] = ()


def decide(
    report: OutageReport,
    *,
    active: ActiveIncident | None,
    recent: Sequence[OutageReport],
    rules: IncidentRules,
) -> Decision:
    """Group one outage report (pure).

    - The area's active incident takes the report while it waits for approval (nobody has been answered
      yet: one card is simpler for staff than two), and after approval when its latest report is at most
      ``window`` before this one (a sliding window: an ongoing outage keeps its incident). An approved
      incident quiet for longer is closed, and the report may open a new one.
    - Otherwise the report and the area's ungrouped reports of the last ``window`` open a new incident when
      they come from at least ``min_customers`` different customers.
    """
    close = None
    if active is not None and active.area_code == report.area_code:
        if not active.approved or abs(report.received_at - active.latest_report_at) <= rules.window:
            return Decision(join=active.id)
        close = active.id
    window_start = report.received_at - rules.window
    peers = [
        r
        for r in recent
        if r.area_code == report.area_code
        and r.inquiry_id != report.inquiry_id
        and window_start <= r.received_at <= report.received_at + rules.window
    ]
    reports = (*sorted(peers, key=lambda r: r.received_at), report)
    if len({r.customer_key for r in reports}) >= max(2, rules.min_customers):
        return Decision(close=close, open_with=reports)
    return Decision(close=close)


# -- the store side ---------------------------------------------------------------------------------------
def _active(session: Session, area_code: str) -> Incident | None:
    stmt = select(Incident).where(Incident.grid_area == area_code, col(Incident.status).in_(list(ACTIVE)))
    return session.exec(stmt.with_for_update()).first()


def _recent_ungrouped(session: Session, report: OutageReport, rules: IncidentRules) -> list[OutageReport]:
    """Outage inquiries of the window that belong to no incident yet, with the area their draft used."""
    since = report.received_at - rules.window
    stmt = (
        select(Inquiry, Draft)
        .join(Draft, col(Draft.inquiry_id) == col(Inquiry.id))
        .outerjoin(IncidentMember, col(IncidentMember.inquiry_id) == col(Inquiry.id))
        .where(
            col(Inquiry.received_at) >= since,
            col(Inquiry.received_at) <= report.received_at + rules.window,
            col(Inquiry.status).in_(list(WAITING)),
            col(Inquiry.id) != report.inquiry_id,
            col(IncidentMember.id).is_(None),
            Draft.status == DraftStatus.PENDING,
        )
    )
    found: list[OutageReport] = []
    for inquiry, draft in session.exec(stmt).all():
        code = area_of_draft(draft.facts)
        if code == report.area_code and inquiry.id is not None:
            found.append(
                OutageReport(
                    inquiry.id, code, customer_key(inquiry.customer_id, inquiry.sender), inquiry.received_at
                )
            )
    return found


def area_of_draft(facts: dict[str, Any]) -> str | None:
    """The grid area an outage draft named (its ``outage.area_code`` fact), if any."""
    outage = facts.get("outage") if isinstance(facts, dict) else None
    code = outage.get("area_code") if isinstance(outage, dict) else None
    return str(code) if code else None


def customer_key(customer_id: int | None, sender: str) -> str:
    return f"c:{customer_id}" if customer_id is not None else f"s:{sender.strip().lower()}"


def group_outage(
    session: Session, report: OutageReport, *, rules: IncidentRules, now: dt.datetime | None = None
) -> int | None:
    """Put a drafted outage report into its area's incident when the rules say so; the incident id or None.

    Runs in the pipeline's transaction. At most one incident per area is active (a unique partial index):
    when another worker opened it first, the report joins that one instead.
    """
    now = now or utcnow()
    member = session.exec(
        select(IncidentMember).where(IncidentMember.inquiry_id == report.inquiry_id)
    ).first()
    if member is not None:
        return member.incident_id
    for _attempt in range(2):
        active_row = _active(session, report.area_code)
        active = (
            ActiveIncident(
                active_row.id or 0,
                active_row.grid_area,
                active_row.latest_report_at,
                approved=active_row.status == IncidentStatus.APPROVED,
            )
            if active_row is not None
            else None
        )
        # Joining needs no scan of the area's recent reports: ask the rules without them first.
        decision = decide(report, active=active, recent=(), rules=rules)
        if decision.join is None:
            decision = decide(
                report, active=active, recent=_recent_ungrouped(session, report, rules), rules=rules
            )
        try:
            with session.begin_nested():
                return _apply(session, decision, report, active_row, now)
        except IntegrityError:  # another worker opened the area's incident at the same moment: join it
            continue
    return None


def _apply(
    session: Session, decision: Decision, report: OutageReport, active: Incident | None, now: dt.datetime
) -> int | None:
    if decision.join is not None and active is not None:
        active.latest_report_at = max(active.latest_report_at, report.received_at)
        active.first_report_at = min(active.first_report_at, report.received_at)
        late = active.status == IncidentStatus.APPROVED
        session.add(active)
        session.add(
            IncidentMember(incident_id=decision.join, inquiry_id=report.inquiry_id, joined_at=now, late=late)
        )
        session.flush()
        _note_members(session, active, [report.inquiry_id], late=late)
        return decision.join
    if decision.close is not None and active is not None:
        active.status, active.closed_at = IncidentStatus.CLOSED, now
        session.add(active)
        session.flush()
    if not decision.open_with:
        return None
    reports = decision.open_with
    incident = Incident(
        grid_area=report.area_code,
        utility=area(report.area_code).utility,
        status=IncidentStatus.OPEN,
        opened_at=now,
        first_report_at=min(r.received_at for r in reports),
        latest_report_at=max(r.received_at for r in reports),
    )
    session.add(incident)
    session.flush()
    for r in reports:
        session.add(IncidentMember(incident_id=incident.id or 0, inquiry_id=r.inquiry_id, joined_at=now))
    session.flush()
    _note_members(session, incident, [r.inquiry_id for r in reports], late=False)
    return incident.id


def _note_members(session: Session, incident: Incident, inquiry_ids: Sequence[int], *, late: bool) -> None:
    """Tell staff on each member's own card that it is part of the incident (a note on its pending draft),
    so nobody answers it twice by accident; the audit event makes the card poster redraw the card."""
    where = f"{area(incident.grid_area).name}エリア"
    note = (
        f"停電の障害 #{incident.id}（{where}）にまとめました。障害のカードで承認済みの文面を送信できます。"
        if late
        else f"停電の障害 #{incident.id}（{where}）にまとめました。障害のカードから全員に一括で返信できます。"
    )
    drafts = session.exec(
        select(Draft).where(col(Draft.inquiry_id).in_(list(inquiry_ids)), Draft.status == DraftStatus.PENDING)
    ).all()
    for draft in drafts:
        draft.notes = [*draft.notes, note]
        session.add(draft)
    for inquiry_id in inquiry_ids:
        actions.audit(
            session,
            action="incident_joined",
            actor="system",
            inquiry_id=inquiry_id,
            incident_id=incident.id,
            late=late,
        )
    session.flush()


# -- approval ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SendResult:
    queued: list[int]  # inquiry ids whose copy is now in the outbox
    blocked: dict[int, str]  # inquiry id -> why the last check refused its copy
    skipped: list[int]  # handled on their own card already


def default_notice(area_code: str, *, language: str = "ja") -> str:
    """The notice staff start from in the approval modal (templates/incidents/notice.j2)."""
    prefix = "en/" if language == "en" else ""
    return tidy(render(f"{prefix}incidents/notice.j2", area=area(area_code))).strip()


def notice_problems(text: str) -> list[str]:
    """Why a notice staff typed cannot go to every customer (empty: it can). Checked before approving, so a
    bad notice is corrected in the modal instead of blocking every copy."""
    from desk.drafting import leftover_problems

    if not text.strip():
        return ["お知らせ文を入力してください。"]
    found = leftover_problems(text)
    return [f"お知らせ文に送信できない内容があります: {'、'.join(found)}。"] if found else []


def get_incident(session: Session, incident_id: int, *, lock: bool = False) -> Incident:
    stmt = select(Incident).where(Incident.id == incident_id)
    incident = session.exec(stmt.with_for_update() if lock else stmt).first()
    if incident is None:
        raise NotFound(f"障害 #{incident_id} は見つかりません。")
    return incident


def members(session: Session, incident_id: int) -> list[IncidentMember]:
    stmt = (
        select(IncidentMember)
        .where(IncidentMember.incident_id == incident_id)
        .order_by(col(IncidentMember.id))
    )
    return list(session.exec(stmt).all())


def _send(
    session: Session,
    incident: Incident,
    chosen: Sequence[IncidentMember],
    *,
    actor: str,
    make_copy: MakeCopy,
    digest_now: actions.DigestNow | None,
) -> SendResult:
    queued: list[int] = []
    blocked: dict[int, str] = {}
    skipped: list[int] = []
    notice, notice_en = incident.approved_text or "", incident.approved_text_en or ""
    for member in chosen:
        if member.outbox_id is not None:
            continue
        inquiry = actions.get_inquiry(session, member.inquiry_id)
        current = actions.current_draft(session, member.inquiry_id)
        rerouted = current is not None and "outage" not in current.intents
        if inquiry.status not in WAITING or rerouted:  # handled, or staff decided it is not an outage
            skipped.append(member.inquiry_id)
            continue
        reason = ""
        try:
            # One savepoint per copy: a copy that cannot be built costs only itself, never the others.
            with session.begin_nested():
                draft_id = make_copy(session, member.inquiry_id, notice, notice_en, actor)
                try:
                    outbox = actions.approve(session, draft_id=draft_id, actor=actor, digest_now=digest_now)
                except actions.SendBlocked as exc:  # the copy stays pending on the member's own card
                    reason = str(exc)
                else:
                    session.flush()
        except Exception as exc:  # e.g. a template error: reported on the card; no message text is logged
            log.exception("incident %s: the copy for inquiry %s failed", incident.id, member.inquiry_id)
            reason = f"返信を作成できませんでした（{type(exc).__name__}）。"
        if reason:
            member.blocked = reason
            session.add(member)
            blocked[member.inquiry_id] = reason
            continue
        member.outbox_id, member.blocked = outbox.id, None
        session.add(member)
        queued.append(member.inquiry_id)
    session.flush()
    return SendResult(queued=queued, blocked=blocked, skipped=skipped)


def approve_incident(
    session: Session,
    *,
    incident_id: int,
    actor: str,
    text: str,
    make_copy: MakeCopy,
    text_en: str = "",
    digest_now: actions.DigestNow | None = None,
) -> SendResult:
    """Approve one notice for the whole incident and queue each member's own copy (once per inquiry).

    A second approval (a double click, a second member of staff) is refused: the incident row is locked and
    its status checked, and each member's ``outbox_id`` is unique."""
    problems = notice_problems(text) + (notice_problems(text_en) if text_en.strip() else [])
    if problems:
        raise InputError(" ".join(problems))
    incident = get_incident(session, incident_id, lock=True)
    if incident.status != IncidentStatus.OPEN:
        who = f"（{incident.approved_by}）" if incident.approved_by else ""
        raise actions.AlreadyHandled(f"この障害の返信はすでに承認済みです{who}。操作は行いませんでした。")
    incident.status = IncidentStatus.APPROVED
    incident.approved_text = text.strip()
    incident.approved_text_en = text_en.strip() or default_notice(incident.grid_area, language="en")
    incident.approved_by, incident.approved_at = actor, utcnow()
    session.add(incident)
    session.flush()
    result = _send(
        session,
        incident,
        members(session, incident_id),
        actor=actor,
        make_copy=make_copy,
        digest_now=digest_now,
    )
    actions.audit(
        session,
        action="incident_approved",
        actor=actor,
        inquiry_id=None,
        incident_id=incident_id,
        queued=len(result.queued),
        blocked=len(result.blocked),
    )
    return result


def waiting_late(session: Session, incident_id: int) -> list[IncidentMember]:
    """Members that joined after approval and still wait for staff to confirm the send."""
    return [m for m in members(session, incident_id) if m.late and m.outbox_id is None and m.blocked is None]


def send_late(
    session: Session,
    *,
    incident_id: int,
    actor: str,
    make_copy: MakeCopy,
    digest_now: actions.DigestNow | None = None,
) -> SendResult:
    """Send the approved notice to the members that joined after approval (the card's one-click confirm)."""
    incident = get_incident(session, incident_id, lock=True)  # closed incidents too: their late joiners wait
    if incident.status == IncidentStatus.OPEN or not incident.approved_text:
        raise InputError("この障害の返信はまだ承認されていません。")
    waiting = [m for m in members(session, incident_id) if m.late and m.outbox_id is None]
    if not waiting:
        raise actions.AlreadyHandled("追加の問い合わせはすべて送信済みです。操作は行いませんでした。")
    return _send(session, incident, waiting, actor=actor, make_copy=make_copy, digest_now=digest_now)

"""The inquiry pipeline: message → stored inquiry → understand → look up → resolve → render → draft.

Every channel adapter hands an :class:`~desk.message.IncomingMessage` to :meth:`Pipeline.process`. The
message is committed first (so a crash later loses nothing), then understood and drafted; each step's outcome
is stored on the inquiry so staff can see why the bot drafted what it drafted. Processing is idempotent on
``(channel, external_id)`` and a customer's reply in the same thread joins its inquiry.

Identity before disclosure: contract data enters the :class:`~desk.casefile.CaseFile` only when the sender is
proven to be the customer (a registered contact email, a Slack channel mapped to the customer) or is staff
asking on a customer's behalf. An identifier written in the text never proves identity by itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from desk import actions, noninquiry, trust
from desk.casefile import UNVERIFIED_SENDER_NOTE, CaseFile, ContractView, CustomerView
from desk.limits import Limits, over_limit, sender_domain
from desk.message import Channel, IncomingMessage, SenderKind
from intents.closing import is_closing, is_closing_understanding
from intents.model import IntentScore, Understanding
from intents.questions import extract_questions
from store import ids, lookup
from store.db import session_scope
from store.models import (
    ContactEmail,
    Draft,
    DraftStatus,
    Inquiry,
    InquiryKind,
    InquiryMessage,
    InquiryStatus,
    utcnow,
)

if TYPE_CHECKING:
    from desk.drafting import DeskInfo, DraftContent
    from desk.incidents import IncidentRules
    from intents.knowledge import Knowledge
    from intents.understand import Understander

log = logging.getLogger(__name__)

# Kinds that are never drafted but may be a customer's mail: shown to staff (status failed) with why.
_FOR_STAFF: dict[str, str] = {
    InquiryKind.OVERSIZE: "サイズ上限を超えたため本文を取り込んでいません。メールサーバーの処理済みフォルダで"
    "原本を確認してください。",
    InquiryKind.UNPARSEABLE: "メールを解析できませんでした。保存した原本を確認してください。",
}
DOMAIN_WATCH_SECONDS = 300.0  # how long the registered domains are cached for the look-alike check

SYSTEM = "system"
# ``_understand_and_draft``'s answer for a reply to an answered inquiry that is only thanks (no draft).
_CLOSING = -1
_INQUIRY = Inquiry.__table__  # type: ignore[attr-defined]
_INQUIRY_INSERT = insert(_INQUIRY).returning(_INQUIRY.c.id)
_MESSAGE_INSERT = insert(InquiryMessage.__table__)  # type: ignore[attr-defined]
# SET columns come from the parameters; the row is picked by the "inquiry_id" parameter.
_INQUIRY_UPDATE = update(_INQUIRY).where(_INQUIRY.c.id == bindparam("inquiry_id"))
_SEEN = select(col(InquiryMessage.inquiry_id)).where(
    col(InquiryMessage.channel) == bindparam("channel"),
    col(InquiryMessage.external_id) == bindparam("external_id"),
)
_DRAFT_INSERT = insert(Draft.__table__).returning(Draft.__table__.c.id)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ProcessResult:
    inquiry_id: int
    draft_id: int | None
    created: bool  # False when this exact message had been processed before
    attached: bool  # True when the message joined an earlier inquiry of the same thread
    kind: str
    # On an answered inquiry: "closing" (thanks / understood: recorded, no reply, stays answered) or
    # "follow_up" (a new question: drafted again); "" otherwise.
    after_answer: str = ""


@dataclass(frozen=True, slots=True)
class Preview:
    """What the bot would draft, computed without storing anything (staff @mentions, the CLI)."""

    understanding: Understanding
    case: CaseFile
    draft: DraftContent


@dataclass(frozen=True, slots=True)
class _Sender:
    kind: str
    address: str
    customer_hint: str | None
    flags: tuple[str, ...] = ()  # desk.trust flags of the message (or inquiry) the sender comes from


@dataclass(slots=True)
class _Stored:
    """What the drafting step needs of a stored inquiry, without an ORM object on the hot path."""

    id: int
    kind: str
    channel: str
    sender: str
    sender_name: str
    reply_to: str
    subject: str
    received_at: dt.datetime
    form: dict[str, str] | None
    flags: list[str]
    intents: list[dict[str, object]]
    entities: dict[str, str]
    said: dict[str, str]

    @classmethod
    def of(cls, inquiry: Inquiry) -> _Stored:
        return cls(
            id=inquiry.id or 0,
            kind=inquiry.kind,
            channel=inquiry.channel,
            sender=inquiry.sender,
            sender_name=inquiry.sender_name,
            reply_to=inquiry.reply_to,
            subject=inquiry.subject,
            received_at=inquiry.received_at,
            form=inquiry.form,
            flags=list(inquiry.flags),
            intents=list(inquiry.intents),
            entities=dict(inquiry.entities),
            said=dict(inquiry.said or {}),
        )


@dataclass(slots=True)
class _LookUp:
    """The look-up step's outcome: what the case file may show, and what the inquiry records for staff."""

    customer: CustomerView | None = None
    contracts: tuple[ContractView, ...] = ()
    verified: bool = False
    linked_customer_id: int | None = None
    linked_contract_ids: list[int] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # desk.trust flags only the store can tell


def contracts_digest(contracts: Sequence[ContractView]) -> str:
    """A stable hash of the contract data behind a draft's facts (frozen dataclasses have a stable repr)."""
    if not contracts:
        return ""
    return hashlib.sha256(repr(tuple(contracts)).encode()).hexdigest()


class Pipeline:
    def __init__(
        self,
        *,
        engine: Engine,
        desk: DeskInfo,
        understander: Understander | None = None,
        knowledge: Knowledge | None = None,
        tz: str = "Asia/Tokyo",
        limits: Limits | None = None,
        incident_rules: IncidentRules | None = None,
    ) -> None:
        self.engine = engine
        self.limits = limits or Limits()
        self.desk = desk
        self.incident_rules = incident_rules  # None: desk.incidents' defaults (30 minutes, 2 customers)
        self._understander = understander
        self._knowledge = knowledge
        self.tz = ZoneInfo(tz)
        self._domains: trust.DomainWatch | None = None
        self._domains_at = 0.0
        # Inquiries this process is drafting right now (worker threads): a redelivered message of one of
        # them is a duplicate, not an unfinished inquiry. Other processes are told by a row lock (``_hold``).
        self._drafting: set[int] = set()

    # -- loading the (slow to build) knowledge once ------------------------------------------------------
    @property
    def understander(self) -> Understander:
        if self._understander is None:
            from intents.understand import Understander

            self._understander = Understander.load()
        return self._understander

    @property
    def knowledge(self) -> Knowledge:
        if self._knowledge is None:
            from intents.knowledge import load_knowledge

            self._knowledge = load_knowledge()
        return self._knowledge

    # -- public, async ------------------------------------------------------------------------------------
    async def process(self, message: IncomingMessage) -> ProcessResult:
        """Store, understand and draft one message (CPU and database work run in a worker thread)."""
        return await asyncio.to_thread(self.process_sync, message)

    async def redraft(self, *, inquiry_id: int, intents: Sequence[str], actor: str) -> int | None:
        """Staff changed the intents: draft again for those, superseding the pending draft (None: the new
        reading is a non-inquiry that gets no draft, desk/noninquiry.py)."""
        return await asyncio.to_thread(self.redraft_sync, inquiry_id=inquiry_id, intents=intents, actor=actor)

    async def preview(self, message: IncomingMessage) -> Preview:
        return await asyncio.to_thread(self.preview_sync, message)

    # -- the steps ----------------------------------------------------------------------------------------
    def process_sync(self, message: IncomingMessage) -> ProcessResult:
        # One connection for both commits: a second checkout (and return) would cost more than a query.
        with self.engine.connect() as conn, session_scope(conn) as session:
            seen = _find_message(session, message.channel, message.external_id)
            if seen is not None:
                if seen not in self._drafting and _unfinished(
                    session, seen
                ):  # its processor died after storing it
                    return self._finish(session, seen, message)
                return self._result(session, seen, created=False, attached=False)
            parent, foreign_thread = self._thread_parent(session, message)
            after_answer = _after_answer(parent, message)
            resolved_before = parent.resolved_at if parent is not None and after_answer else None
            try:
                inquiry, attached = self._store(
                    session, message, parent, foreign_thread=foreign_thread, after_answer=after_answer
                )
                session.commit()
            except IntegrityError:  # the same message raced in through another worker
                session.rollback()
                seen = _find_message(session, message.channel, message.external_id)
                assert seen is not None
                return self._result(session, seen, created=False, attached=False)
            if inquiry.kind != InquiryKind.INQUIRY or after_answer == "closing":
                return ProcessResult(
                    inquiry.id,
                    None,
                    created=True,
                    attached=attached,
                    kind=inquiry.kind,
                    after_answer=after_answer,
                )
            if not attached and self._hold_if_over_limit(session, inquiry, message):
                return ProcessResult(inquiry.id, None, created=True, attached=False, kind=inquiry.kind)
            _hold(session, inquiry.id)
            self._drafting.add(inquiry.id)
            try:
                draft_id = self._understand_and_draft(
                    session, inquiry, message, attached=attached, follow_up=after_answer == "follow_up"
                )
                if draft_id == _CLOSING:  # the classifier knew it for thanks: the inquiry is answered again
                    self._close_again(session, inquiry.id, resolved_before)
                    after_answer = "closing"
                    draft_id = None
            except Exception as exc:  # the message is kept; staff see what went wrong
                session.rollback()
                log.exception("pipeline failed for inquiry %s", inquiry.id)
                self._mark_failed(session, inquiry.id, exc)
                return self._result(session, inquiry.id, created=True, attached=attached)
            finally:
                self._drafting.discard(inquiry.id)
            return ProcessResult(
                inquiry.id,
                draft_id,
                created=True,
                attached=attached,
                kind=inquiry.kind,
                after_answer=after_answer,
            )

    def _finish(self, session: Session, inquiry_id: int, message: IncomingMessage) -> ProcessResult:
        """Draft an inquiry whose message was stored but whose drafting never finished (a killed process).

        The message comes back because nothing acknowledged it (the IMAP reader that took over reads it
        again; Slack retries the event), and ``_unfinished`` holds the inquiry's row while this runs.
        """
        inquiry = actions.get_inquiry(session, inquiry_id)
        attached = inquiry.external_id != message.external_id
        log.info("drafting inquiry %s, left unfinished by a stopped process", inquiry_id)
        try:
            draft_id = self._understand_and_draft(session, _Stored.of(inquiry), message, attached=attached)
            draft_id = None if draft_id == _CLOSING else draft_id
        except Exception as exc:
            session.rollback()
            log.exception("pipeline failed for inquiry %s", inquiry_id)
            self._mark_failed(session, inquiry_id, exc)
            return self._result(session, inquiry_id, created=False, attached=attached)
        return ProcessResult(inquiry_id, draft_id, created=False, attached=attached, kind=inquiry.kind)

    def redraft_sync(self, *, inquiry_id: int, intents: Sequence[str], actor: str) -> int | None:
        unknown = [i for i in intents if i not in self.knowledge.intents]
        if not intents or unknown:
            from desk.errors import InputError

            raise InputError(f"区分が正しくありません: {', '.join(unknown) or '（未指定）'}")
        with session_scope(self.engine) as session:
            inquiry = actions.get_inquiry(session, inquiry_id)
            before = [i["intent"] for i in inquiry.intents]
            # A re-route keeps what was asked and said: the questions are read again from the stored text.
            questions, _ = extract_questions(
                inquiry.text, raw=inquiry.text, received=inquiry.received_at.astimezone(self.tz).date()
            )
            understanding = Understanding(
                intents=tuple(IntentScore(i, 1.0) for i in intents),
                entities=dict(inquiry.entities),
                body=inquiry.text,
                # staff chose the intents; the language and a non-inquiry's reason stay as understood
                language=inquiry.language,
                other_reason=inquiry.other_reason or "unclear",
                candidates=tuple(
                    IntentScore(str(c["intent"]), float(c["score"])) for c in inquiry.candidates or []
                ),
                questions=questions,
                said=dict(inquiry.said or {}),
            )
            actions.supersede_pending(session, inquiry_id=inquiry_id)
            draft_id = self._draft(
                session, _Stored.of(inquiry), understanding, _sender_of(inquiry), actor=actor
            )
            actions.audit(
                session,
                action="rerouted",
                actor=actor,
                inquiry_id=inquiry_id,
                draft_id=draft_id,
                detail={"from": before, "to": list(intents)},
            )
            return draft_id

    def preview_sync(self, message: IncomingMessage) -> Preview:
        from desk.drafting import draft_reply

        understanding = self._understand(message)
        with Session(self.engine) as session:
            found = self._look_up(session, _sender_of_message(message), understanding)
        sender = _sender_of_message(message)
        case = self._case(
            message.channel,
            message.sender_name,
            message.received_at,
            understanding,
            found,
            message.form,
            staff=sender.kind == SenderKind.STAFF,
        )
        content = draft_reply(
            case, desk=self.desk, knowledge=self.knowledge, original_subject=message.subject
        )
        return Preview(understanding=understanding, case=case, draft=content)

    def incident_copy(
        self, session: Session, inquiry_id: int, notice: str, notice_en: str, actor: str
    ) -> int:
        """A fresh outage draft of one incident member, with the incident's approved notice in it.

        Looked up again from the stored sender exactly like a first draft, so the copy carries this
        customer's own 宛名, facility and contract number when (and only when) the sender is proven to be the
        customer. The pending draft becomes ``merged``; returns the new draft's id (approved by the caller)."""
        inquiry = actions.get_inquiry(session, inquiry_id)
        # The stored inquiry keeps no language: read it again from the text (cheap; same as the first time).
        language = self.understander.understand(
            inquiry.text,
            subject=inquiry.subject,
            channel=inquiry.channel,
            received=inquiry.received_at.astimezone(self.tz).date(),
        ).language
        understanding = Understanding(
            intents=(IntentScore("outage", 1.0),),
            entities=dict(inquiry.entities),
            body=inquiry.text,
            language=language,
        )
        # The bot's own draft gives way to the incident's copy: "merged", so reports do not count a re-route.
        for draft in session.exec(
            select(Draft).where(Draft.inquiry_id == inquiry_id, Draft.status == DraftStatus.PENDING)
        ).all():
            draft.status = DraftStatus.MERGED
            session.add(draft)
        draft_id = self._draft(
            session,
            _Stored.of(inquiry),
            understanding,
            _sender_of(inquiry),
            actor=actor,
            notice=notice_en if language == "en" and notice_en else notice,
        )
        assert draft_id is not None  # an outage is a procedure: always drafted
        return draft_id

    def digest_now(self, session: Session, inquiry: Inquiry) -> str:
        """The digest of the inquiry's contracts as the store has them now (for the check before sending)."""
        if inquiry.customer_id is None or not inquiry.identity_verified:
            return ""
        view = lookup.load_customer_view(
            session=session, customer_id=inquiry.customer_id, contract_ids=inquiry.contract_ids or None
        )
        return contracts_digest(view.contracts)

    # -- helpers ------------------------------------------------------------------------------------------
    def _result(self, session: Session, inquiry_id: int, *, created: bool, attached: bool) -> ProcessResult:
        inquiry = actions.get_inquiry(session, inquiry_id)
        draft = actions.current_draft(session, inquiry_id)
        return ProcessResult(
            inquiry_id=inquiry_id,
            draft_id=draft.id if draft is not None else None,
            created=created,
            attached=attached,
            kind=inquiry.kind,
        )

    def _thread_parent(self, session: Session, message: IncomingMessage) -> tuple[Inquiry | None, bool]:
        """The earlier inquiry this message may join, and whether it named one it may not join.

        Thread ids and ticket tokens are easy to copy, so they are never keys: a message joins only when its
        sender is the inquiry's own sender or a registered contact of the inquiry's verified customer.
        Anything else becomes an inquiry of its own, flagged, and never sees the other inquiry's data.
        """
        named: Inquiry | None = None
        if message.thread_ids:
            stmt = select(InquiryMessage).where(col(InquiryMessage.external_id).in_(message.thread_ids))
            earlier = session.exec(stmt).first()
            if earlier is not None:
                named = session.get(Inquiry, earlier.inquiry_id)
        if named is None and message.ticket_no is not None:
            named = session.get(Inquiry, message.ticket_no)
        if named is None:
            return None, False
        if _may_join(session, named, message):
            return named, False
        return None, True

    def _store(
        self,
        session: Session,
        message: IncomingMessage,
        parent: Inquiry | None,
        *,
        foreign_thread: bool = False,
        after_answer: str = "",
    ) -> tuple[_Stored, bool]:
        ignored = message.kind != InquiryKind.INQUIRY
        attached = parent is not None and not ignored
        if parent is not None and attached:
            if after_answer != "closing":  # thanks leave an answered inquiry answered, with no new draft
                parent.status = InquiryStatus.RECEIVED
                parent.resolved_at = None
            if after_answer == "follow_up" and "follow_up" not in parent.flags:
                parent.flags = [*parent.flags, "follow_up"]
            # The customer wrote: whatever staff were waiting for (or put aside) needs them now.
            if actions.WAITING in parent.flags:
                parent.flags = [f for f in parent.flags if f != actions.WAITING]
            parent.snoozed_until = None
            parent.thread_ids = list(dict.fromkeys([*parent.thread_ids, message.external_id]))
            parent.flags = list(dict.fromkeys([*parent.flags, *message.flags]))
            session.add(parent)
            session.flush()
            stored = _Stored.of(parent)
        else:
            stored = self._insert_inquiry(
                session, message, ignored=ignored, flags=["foreign_thread"] if foreign_thread else []
            )
        # Core inserts: these rows are never read back in this unit of work (see actions.audit for why).
        session.connection().execute(
            _MESSAGE_INSERT,
            {
                "inquiry_id": stored.id,
                "channel": message.channel,
                "external_id": message.external_id,
                "thread_key": message.thread_ids[0] if message.thread_ids else message.external_id,
                "direction": "in",
                "sender": message.sender,
                "received_at": message.received_at,
                "text": message.text,
                "raw": message.raw,
            },
        )
        action = "ignored" if ignored else ("customer_replied" if attached else "received")
        if attached and after_answer:
            action = after_answer  # "closing" or "follow_up": what the reply to an answered inquiry was
        actions.audit(
            session,
            action=action,
            actor=SYSTEM,
            inquiry_id=stored.id,
            channel=message.channel,
            kind=message.kind,
        )
        return stored, attached

    def _insert_inquiry(
        self, session: Session, message: IncomingMessage, *, ignored: bool, flags: list[str]
    ) -> _Stored:
        values = {
            "channel": message.channel,
            "external_id": message.external_id,
            "kind": message.kind,
            "status": InquiryStatus.IGNORED if ignored else InquiryStatus.RECEIVED,
            "error": None,
            "sender": message.sender,
            "sender_domain": sender_domain(message.sender) if message.channel != Channel.SLACK else "",
            "sender_name": message.sender_name,
            "sender_kind": message.sender_kind,
            "reply_to": message.reply_to or message.sender,
            "subject": message.subject,
            "text": message.text,
            "received_at": message.received_at,
            "intents": [],
            "primary_intent": "other",
            "entities": {},
            "form": message.form,
            "attachments": [asdict(a) for a in message.attachments],
            "contract_ids": [],
            "identity_verified": False,
            "urgent": False,
            "flags": list(dict.fromkeys([*message.flags, *flags])),
            "thread_ids": list(message.thread_ids),
            "customer_hint": message.customer_hint,
            "created_at": utcnow(),
        }
        if message.kind in _FOR_STAFF:  # possibly a customer's mail we cannot read: a person must look
            values["status"], values["error"] = InquiryStatus.FAILED, _FOR_STAFF[message.kind]
        inquiry_id: int = session.connection().execute(_INQUIRY_INSERT, values).scalar_one()
        return _Stored(
            id=inquiry_id,
            kind=message.kind,
            channel=message.channel,
            sender=message.sender,
            sender_name=message.sender_name,
            reply_to=message.reply_to or message.sender,
            subject=message.subject,
            received_at=message.received_at,
            form=message.form,
            flags=list(dict.fromkeys([*message.flags, *flags])),
            intents=[],
            entities={},
            said={},
        )

    def _understand(self, message: IncomingMessage) -> Understanding:
        received = message.received_at.astimezone(self.tz).date()
        return self.understander.understand(
            message.text, subject=message.subject, channel=message.channel, received=received
        )

    def _understand_and_draft(
        self,
        session: Session,
        inquiry: _Stored,
        message: IncomingMessage,
        *,
        attached: bool,
        follow_up: bool = False,
    ) -> int | None:
        """Draft for the message and return the draft's id; None when the message is a non-inquiry that gets
        no draft (desk/noninquiry.py); :data:`_CLOSING` (and no draft) when a reply to an answered inquiry is
        only thanks by the classifier's reading (``other_reason == "thanks"``) though its words were not in
        the phrase list."""
        understanding = self._understand(message)
        if follow_up and is_closing_understanding(understanding, message.text):
            return _CLOSING
        if attached:  # a reply in an existing thread: what the customer said before still counts
            if inquiry.intents:
                understanding = merge_thread(
                    inquiry.intents, inquiry.entities, understanding, previous_said=inquiry.said
                )
            actions.supersede_pending(session, inquiry_id=inquiry.id)
        return self._draft(
            session,
            inquiry,
            understanding,
            _sender_of_message(message),
            actor=SYSTEM,
            first=not attached,
            follow_up=attached,
        )

    def _draft(
        self,
        session: Session,
        inquiry: _Stored,
        understanding: Understanding,
        sender: _Sender,
        *,
        actor: str,
        first: bool = False,
        follow_up: bool = False,
        notice: str | None = None,
    ) -> int | None:
        """Look up, resolve and render; store the draft (a Core insert) and return its id.

        An outage draft is then grouped into its area's incident (desk/incidents.py); ``notice`` is set for an
        incident's own copies, which are already grouped. A non-inquiry whose reason gets no customer draft
        (thanks, sales, phishing: desk/noninquiry.py) is recorded for staff, and None is returned."""
        from desk.drafting import draft_reply

        found = self._look_up(session, sender, understanding)
        self._check_dates(inquiry, understanding, found)
        reason = understanding.other_reason if understanding.primary == "other" else None
        handling = noninquiry.handling_of(reason) if reason is not None else None
        if handling is not None and handling.reply == "none":
            self._record_without_draft(session, inquiry, understanding, found, reason or "", actor)
            return None
        case = self._case(
            inquiry.channel,
            inquiry.sender_name,
            inquiry.received_at,
            understanding,
            found,
            inquiry.form,
            follow_up=follow_up,
            staff=sender.kind == SenderKind.STAFF,
        )
        content = draft_reply(
            case,
            desk=self.desk,
            knowledge=self.knowledge,
            original_subject=inquiry.subject,
            intents=understanding.intent_ids,
            notice=notice or "",
        )
        changes: dict[str, object] = {
            "intents": [{"intent": i.intent, "score": round(i.score, 4)} for i in understanding.intents],
            "primary_intent": understanding.primary,
            "entities": dict(understanding.entities),
            "said": dict(understanding.said),
            "language": understanding.language,
            "other_reason": reason,
            "candidates": _candidates(understanding, reason),
            "customer_id": found.linked_customer_id,
            "contract_ids": found.linked_contract_ids,
            "identity_verified": found.verified,
            "urgent": content.urgent or (handling is not None and handling.urgent),
            "flags": _flags(
                [*inquiry.flags, *found.flags], verified=found.verified, unknown=bool(found.unknown_ids)
            ),
            "status": InquiryStatus.DRAFTED,
            "error": None,
            # Identity was proven on this message's own address, so that address (never a different Reply-To,
            # nor an address an earlier message of the thread came from) is where contract data may go.
            "reply_to": sender.address
            if found.verified and inquiry.channel != Channel.SLACK
            else inquiry.reply_to,
        }
        current = None if first else actions.current_draft(session, inquiry.id)
        version = (current.version if current is not None else 0) + 1
        session.flush()  # pending ORM changes first (a re-route's superseded drafts, a reply's thread)
        session.connection().execute(_INQUIRY_UPDATE, {**changes, "inquiry_id": inquiry.id})
        draft_id: int = (
            session.connection()
            .execute(
                _DRAFT_INSERT,
                {
                    "inquiry_id": inquiry.id,
                    "version": version,
                    "status": DraftStatus.PENDING,
                    "intents": content.intents,
                    "subject": content.subject,
                    "text": content.text,
                    "facts": content.facts,
                    "missing": content.missing,
                    "notes": list(dict.fromkeys([*_flag_notes(inquiry.flags), *found.notes, *content.notes])),
                    # Non-empty exactly when the text carries contract data: approval re-checks both facts.
                    "source_digest": contracts_digest(found.contracts) if content.discloses_contract else "",
                    "created_at": utcnow(),
                },
            )
            .scalar_one()
        )
        actions.audit(
            session,
            action="drafted",
            actor=actor,
            inquiry_id=inquiry.id,
            draft_id=draft_id,
            intents=content.intents,
            verified=found.verified,
        )
        if notice is None and "outage" in content.intents:
            self._group_outage(session, inquiry, content, found)
        return draft_id

    def _record_without_draft(
        self,
        session: Session,
        inquiry: _Stored,
        understanding: Understanding,
        found: _LookUp,
        reason: str,
        actor: str,
    ) -> None:
        """Store what was understood of a non-inquiry that gets no customer draft; it waits for staff (status
        drafted: processed, a person decides) with any pending draft of an earlier reading set aside."""
        handling = noninquiry.handling_of(reason)
        changes: dict[str, object] = {
            "intents": [{"intent": i.intent, "score": round(i.score, 4)} for i in understanding.intents],
            "primary_intent": understanding.primary,
            "entities": dict(understanding.entities),
            "said": dict(understanding.said),
            "language": understanding.language,
            "other_reason": reason,
            "candidates": None,
            "customer_id": found.linked_customer_id,
            "contract_ids": found.linked_contract_ids,
            "identity_verified": found.verified,
            "urgent": handling.urgent,
            "flags": _flags(
                [*inquiry.flags, *found.flags], verified=found.verified, unknown=bool(found.unknown_ids)
            ),
            "status": InquiryStatus.DRAFTED,
            "error": None,
        }
        actions.supersede_pending(session, inquiry_id=inquiry.id)
        session.flush()
        session.connection().execute(_INQUIRY_UPDATE, {**changes, "inquiry_id": inquiry.id})
        actions.audit(
            session,
            action="triaged",
            actor=actor,
            inquiry_id=inquiry.id,
            reason=reason,
            verified=found.verified,
        )

    def _check_dates(self, inquiry: _Stored, understanding: Understanding, found: _LookUp) -> None:
        """An impossible or implausible date the customer wrote is said to staff, never silently used or
        dropped (the understanding keeps only real days)."""
        from intents.dates import implausible_dates

        received = inquiry.received_at.astimezone(self.tz).date()
        bad = implausible_dates(understanding.body, received=received)
        if bad:
            found.flags.append(trust.INVALID_DATE)
            found.notes.append(
                f"本文にありえない日付が書かれています（{'、'.join(bad)}）。返信案では使っていません。"
                "お客さまに正しい日付を確認してください。"
            )

    def _hold_if_over_limit(self, session: Session, inquiry: _Stored, message: IncomingMessage) -> bool:
        """Past a per-sender/per-domain limit: keep the inquiry for staff, flagged, without a draft."""
        if message.sender_kind == SenderKind.STAFF:
            return False
        why = over_limit(
            session, limits=self.limits, sender=message.sender, now=utcnow(), before_id=inquiry.id
        )
        if why is None:
            return False
        session.connection().execute(
            _INQUIRY_UPDATE,
            {
                "inquiry_id": inquiry.id,
                "status": InquiryStatus.FAILED,
                "error": why,
                "flags": list(dict.fromkeys([*inquiry.flags, trust.RATE_LIMITED])),
            },
        )
        actions.audit(session, action="rate_limited", actor=SYSTEM, inquiry_id=inquiry.id)
        session.commit()
        return True

    def _close_again(self, session: Session, inquiry_id: int, resolved_at: dt.datetime | None) -> None:
        """Undo the reopening of an answered inquiry whose reply turned out to be only thanks."""
        inquiry = actions.get_inquiry(session, inquiry_id)
        inquiry.status = InquiryStatus.ANSWERED
        inquiry.resolved_at = resolved_at or utcnow()
        inquiry.flags = [f for f in inquiry.flags if f != "follow_up"]
        session.add(inquiry)
        actions.audit(session, action="closing", actor=SYSTEM, inquiry_id=inquiry_id, by="classifier")
        session.commit()

    def _group_outage(
        self, session: Session, inquiry: _Stored, content: DraftContent, found: _LookUp
    ) -> None:
        from desk import incidents

        code = incidents.area_of_draft(content.facts)
        if code is None:  # no area the sender is entitled to hear about: the inquiry stays on its own
            return
        session.flush()
        report = incidents.OutageReport(
            inquiry_id=inquiry.id,
            area_code=code,
            customer_key=incidents.customer_key(found.linked_customer_id, inquiry.sender),
            received_at=inquiry.received_at,
        )
        incidents.group_outage(session, report, rules=self.incident_rules or incidents.IncidentRules())

    def _mark_failed(self, session: Session, inquiry_id: int, exc: Exception) -> None:
        inquiry = actions.get_inquiry(session, inquiry_id)
        inquiry.status = InquiryStatus.FAILED
        inquiry.error = f"{type(exc).__name__}: {str(exc)[:300]}"
        session.add(inquiry)
        actions.audit(session, action="failed", actor=SYSTEM, inquiry_id=inquiry_id, error=inquiry.error)
        session.commit()

    def _case(
        self,
        channel: str,
        sender_name: str,
        received_at: dt.datetime,
        understanding: Understanding,
        found: _LookUp,
        form: dict[str, str] | None,
        *,
        follow_up: bool = False,
        staff: bool = False,
    ) -> CaseFile:
        return CaseFile(
            understanding=understanding,
            today=received_at.astimezone(self.tz).date(),
            channel=channel,
            sender_name=sender_name,
            customer=found.customer,
            contracts=found.contracts,
            verified=found.verified,
            unknown_ids=tuple(found.unknown_ids),
            form=form,
            notes=tuple(found.notes),
            follow_up=follow_up,
            staff=staff,
        )

    def _look_up(self, session: Session, sender: _Sender, understanding: Understanding) -> _LookUp:
        ents = understanding.entities
        found = _LookUp()
        named: list[ids.ContractKey] = []
        for key in ("contract_no", "supply_point_id"):
            if key not in ents:
                continue
            contract = (
                ids.contract_key(session=session, contract_no=ents[key])
                if key == "contract_no"
                else ids.contract_key_by_supply_point(session=session, supply_point_id=ents[key])
            )
            if contract is None:
                found.unknown_ids.append(ents[key])
            else:
                named.append(contract)
        named_customer: int | None = None
        if "customer_no" in ents:
            named_customer = ids.customer_id(session=session, customer_no=ents["customer_no"])
            if named_customer is None:
                found.unknown_ids.append(ents["customer_no"])
        if found.unknown_ids:
            found.notes.append(f"ストアにない番号が書かれています: {', '.join(found.unknown_ids)}")

        found.notes.extend(trust.notes_for(sender.flags))
        proven = (
            None if trust.blocks_identity(sender.flags) else _proven_customer(session, sender, found.notes)
        )
        if proven is None:
            self._watch_domain(session, sender, found)
        owner: int | None
        if proven is not None:
            owner = proven
            found.verified = True
            if any(c.customer_id != proven for c in named):
                found.notes.append("差出人のお客さまに属さない契約番号が書かれています（開示しません）。")
            named = [c for c in named if c.customer_id == proven]
            if named_customer is not None and named_customer != proven:
                found.notes.append("書かれたお客さま番号が差出人のお客さまと一致しません。")
        elif sender.kind == SenderKind.STAFF:
            owner = named_customer or (named[0].customer_id if named else None)
            found.verified = owner is not None
            named = [c for c in named if c.customer_id == owner]
        else:
            # Not proven: link the inquiry for staff, but show the case file nothing of the contract.
            found.notes.append(UNVERIFIED_SENDER_NOTE)
            found.linked_customer_id = named_customer or (named[0].customer_id if named else None)
            found.linked_contract_ids = [c.contract_id for c in named]
            return found

        if owner is None:
            return found
        contract_ids = [c.contract_id for c in named] or None
        view = lookup.load_customer_view(session=session, customer_id=owner, contract_ids=contract_ids)
        found.customer = view
        found.contracts = view.contracts
        found.linked_customer_id = owner
        if contract_ids is None and len(view.contracts) > 1:
            # No number given, but "本社工場" in the text names one of several facilities.
            mentioned = _facilities_mentioned(view.contracts, understanding.body)
            if mentioned:
                found.contracts = mentioned
                keys = (ids.contract_key(session=session, contract_no=c.contract_no) for c in mentioned)
                contract_ids = [k.contract_id for k in keys if k is not None]
        found.linked_contract_ids = contract_ids or []
        return found

    def _watch_domain(self, session: Session, sender: _Sender, found: _LookUp) -> None:
        """Flag a sender whose domain imitates a registered contact's domain (only unproven senders: a
        proven sender's domain is registered). The domain list is read once per ``DOMAIN_WATCH_SECONDS``."""
        if "@" not in sender.address or sender.kind == SenderKind.STAFF:
            return
        now = time.monotonic()
        if self._domains is None or now - self._domains_at > DOMAIN_WATCH_SECONDS:
            emails = session.exec(select(ContactEmail.email)).all()
            self._domains = trust.DomainWatch(e.rsplit("@", 1)[-1] for e in emails if "@" in e)
            self._domains_at = now
        twin = self._domains.imitated(sender.address.rsplit("@", 1)[-1])
        if twin is not None:
            found.flags.append(trust.IMPERSONATION)
            found.notes.append(
                f"差出人のドメインが登録済みのドメイン「{twin}」によく似ています（なりすましの疑い）。"
                "本人確認済みとして扱いません。"
            )


# What a customer said earlier in the thread that still holds in a reply (not the situation of that message).
_STICKY_SAID = (
    "metering_day",
    "payment_method",
    "cancel_reason",
    "notice_sent",
    "notice_sent_on",
    "name_only",
    "excess_kw",
    "signer_company",
    "signer_name",
)


def merge_thread(
    previous_intents: list[dict[str, object]],
    previous_entities: dict[str, str],
    new: Understanding,
    *,
    previous_said: dict[str, str] | None = None,
) -> Understanding:
    """Understanding of a reply, completed by what the thread already said.

    New entities win over old ones; a reply that asks nothing recognisable ("ありがとうございます") keeps the
    thread's intents, otherwise its own intents come first and the earlier ones follow.
    """
    earlier = tuple(IntentScore(str(i["intent"]), float(str(i["score"]))) for i in previous_intents)
    if new.primary == "other":
        intents = earlier or new.intents
    else:
        seen = {i.intent for i in new.intents}
        intents = (*new.intents, *(i for i in earlier if i.intent not in seen and i.intent != "other"))
    # The reply's own questions travel with it; what the thread said before still counts unless said anew.
    earlier_said = {k: v for k, v in (previous_said or {}).items() if k in _STICKY_SAID}
    return Understanding(
        intents=intents[:3],
        entities={**previous_entities, **new.entities},
        body=new.body,
        language=new.language,  # the reply is drafted in the language the customer last wrote in
        other_reason=new.other_reason if intents[0].intent == "other" else None,
        candidates=new.candidates,
        questions=new.questions,
        said={**earlier_said, **new.said},
    )


def _candidates(understanding: Understanding, reason: str | None) -> list[dict[str, object]] | None:
    """What an abstaining classifier hesitated between, stored for the card's one-click re-routes."""
    if reason != "unclear" or not understanding.candidates:
        return None
    return [{"intent": c.intent, "score": round(c.score, 4)} for c in understanding.candidates]


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _facilities_mentioned(contracts: Sequence[ContractView], text: str) -> tuple[ContractView, ...]:
    body = _squash(text)
    return tuple(c for c in contracts if c.facility_name and _squash(c.facility_name) in body)


def _hold(session: Session, inquiry_id: int) -> None:
    """Lock the inquiry's row while it is drafted, so another process can tell "being drafted" from
    "its drafter died" (``_unfinished``). SQLite has one writer at a time and no row locks."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(
            select(_INQUIRY.c.id).where(_INQUIRY.c.id == inquiry_id).with_for_update()
        )


def _unfinished(session: Session, inquiry_id: int) -> bool:
    """Whether a stored inquiry is still waiting for the drafting its first processor never finished."""
    stmt = select(_INQUIRY.c.status, _INQUIRY.c.kind).where(_INQUIRY.c.id == inquiry_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # locked: another process is drafting it right now
    row = session.connection().execute(stmt).first()
    return row is not None and row.kind == InquiryKind.INQUIRY and row.status == InquiryStatus.RECEIVED


def _find_message(session: Session, channel: str, external_id: str) -> int | None:
    """The inquiry id an already-seen message belongs to (runs for every message: a prebuilt statement)."""
    found = session.connection().execute(_SEEN, {"channel": channel, "external_id": external_id}).scalar()
    return int(found) if found is not None else None


def _proven_customer(session: Session, sender: _Sender, notes: list[str]) -> int | None:
    """The id of the customer the sender is proven to be, if any."""
    # An email address proves identity because the reply goes only to that address (``_draft`` forces it):
    # whoever typed or spoofed a registered address, only the registered contact reads the answer. The
    # same holds for the address typed into the portal form.
    if sender.kind in (SenderKind.CUSTOMER_EMAIL, SenderKind.UNKNOWN) and "@" in sender.address:
        customers = ids.customer_ids_by_email(session=session, email=sender.address)
        if len(customers) > 1:
            notes.append("差出人のアドレスが複数のお客さまに登録されています。担当者が確認してください。")
            return None
        return customers[0] if customers else None
    if sender.kind == SenderKind.CUSTOMER_SLACK and sender.customer_hint:
        return ids.customer_id(session=session, customer_no=sender.customer_hint)
    return None


# Inquiry states in which the desk has finished: a reply then is either thanks or a follow-up question.
_DONE = (InquiryStatus.ANSWERED, InquiryStatus.REJECTED, InquiryStatus.CLOSED)


def _after_answer(parent: Inquiry | None, message: IncomingMessage) -> str:
    """ "closing" / "follow_up" for a customer's reply to a finished inquiry; "" for anything else."""
    if parent is None or parent.status not in _DONE or message.kind != InquiryKind.INQUIRY:
        return ""
    return "closing" if is_closing(message.text) else "follow_up"


def _may_join(session: Session, inquiry: Inquiry, message: IncomingMessage) -> bool:
    """Whether a message that names an earlier inquiry (thread ids, ticket token) is that inquiry's customer."""
    if message.channel == Channel.SLACK or inquiry.channel == Channel.SLACK:
        # A Slack thread lives in one channel: a shared channel's customer, or the same person elsewhere.
        if inquiry.customer_hint or message.customer_hint:
            return inquiry.customer_hint == message.customer_hint
        return inquiry.sender == message.sender
    address = message.sender.strip().lower()
    if address and address == inquiry.sender.strip().lower():
        return True
    if not (address and inquiry.identity_verified and inquiry.customer_id is not None):
        return False
    return inquiry.customer_id in ids.customer_ids_by_email(session=session, email=address)


def _sender_of_message(message: IncomingMessage) -> _Sender:
    return _Sender(
        kind=message.sender_kind,
        address=message.sender,
        customer_hint=message.customer_hint,
        flags=message.flags,
    )


def _sender_of(inquiry: Inquiry) -> _Sender:
    return _Sender(
        kind=inquiry.sender_kind,
        address=inquiry.sender,
        customer_hint=inquiry.customer_hint,
        flags=tuple(inquiry.flags),
    )


FLAG_NOTES = {
    "foreign_thread": "別の問い合わせのスレッドへの返信ですが、差出人がその問い合わせのお客さまと確認できないため、"
    "新しい問い合わせとして扱っています（元の問い合わせの内容は使っていません）。",
}


def _flag_notes(flags: Sequence[str]) -> list[str]:
    return [FLAG_NOTES[f] for f in flags if f in FLAG_NOTES]


def _flags(current: list[str], *, verified: bool, unknown: bool) -> list[str]:
    flags = [f for f in current if f not in ("identity_unverified", "unknown_identifier")]
    if not verified:
        flags.append("identity_unverified")
    if unknown:
        flags.append("unknown_identifier")
    return flags

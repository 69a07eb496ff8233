"""The pipeline end to end on a seeded store: facts for verified senders, nothing for others, idempotency,
threads, failures that keep the message."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import ROUND_DOWN, Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from desk.message import Channel, IncomingMessage, SenderKind
from desk.pipeline import Pipeline, merge_thread
from desk.rules.payment import next_due_date
from intents.model import IntentScore, Understanding
from intents.understand import Understander
from store.models import (
    AuditEvent,
    Contract,
    Draft,
    Inquiry,
    InquiryMessage,
    InquiryStatus,
    MonthlyUsage,
)
from store.seed import seed_store
from tests.desk.resolvers.cases import DESK

TODAY = dt.date(2026, 11, 20)
RECEIVED = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
STRANGER = "someone@freemail.example.com"


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander.load()


@pytest.fixture
def pipeline(engine: Engine, understander: Understander) -> Iterator[Pipeline]:
    seed_store(engine, customers=0, seed=1, today=TODAY)
    yield Pipeline(engine=engine, desk=DESK, understander=understander)


def _email(
    text: str, *, sender: str, subject: str = "お問い合わせ", external_id: str = "", **kw: object
) -> IncomingMessage:
    fields: dict[str, object] = {"reply_to": sender, **kw}
    return IncomingMessage(
        channel=Channel.EMAIL,
        external_id=external_id or f"<{abs(hash((text, sender)))}@test>",
        sender=sender,
        sender_kind=SenderKind.CUSTOMER_EMAIL,
        received_at=RECEIVED,
        subject=subject,
        text=text,
        **fields,  # type: ignore[arg-type]
    )


def _draft(pipeline: Pipeline, message: IncomingMessage) -> tuple[Inquiry, Draft]:
    import asyncio

    result = asyncio.run(pipeline.process(message))
    with Session(pipeline.engine) as session:
        inquiry = session.get(Inquiry, result.inquiry_id)
        draft = session.get(Draft, result.draft_id)
    assert inquiry is not None and draft is not None
    return inquiry, draft


def _yen(amount: Decimal | int) -> str:
    return f"{int(Decimal(amount).to_integral_value(ROUND_DOWN)):,}円"


def _contract(pipeline: Pipeline, contract_no: str) -> Contract:
    with Session(pipeline.engine) as session:
        contract = session.exec(select(Contract).where(Contract.contract_no == contract_no)).one()
    return contract


def _latest_usage(pipeline: Pipeline, contract_no: str, n: int = 2) -> list[MonthlyUsage]:
    contract = _contract(pipeline, contract_no)
    with Session(pipeline.engine) as session:
        stmt = (
            select(MonthlyUsage)
            .where(MonthlyUsage.contract_id == contract.id)
            .order_by(col(MonthlyUsage.month).desc())
            .limit(n)
        )
        return list(session.exec(stmt))


# Each case: (intent, sender, text, a function giving the contract-specific strings the verified draft must
# contain — computed here by hand or from the stored rows, independently of the resolvers).
def _cancellation_facts(p: Pipeline) -> list[str]:
    # みなと冷蔵 EG30000021: 800 kW × 1,580 円 × 1.5 (inside a term, facility removed) = 1,896,000 円
    return [_yen(Decimal(800) * Decimal("1580.00") * Decimal("1.5")), "EG30000021"]


def _contract_power_facts(p: Pipeline) -> list[str]:
    # 東邦化学 EG30000041: 1,080 kW demand on 1,000 kW, 1,850 円/kW, PF 97 %:
    # 80 × 1,850 × 1.5 = 222,000; discount (97 − 85) % = 26,640 → 195,360 円
    base = Decimal(80) * Decimal(1850) * Decimal("1.5")
    return [_yen(base - base * Decimal(12) / 100), "1,000.0kW", "1,080.0kW"]


def _due_date_facts(p: Pipeline) -> list[str]:
    contract = _contract(p, "EG30000031")
    _, due = next_due_date(metering_day=contract.metering_day, method=contract.payment_method, today=TODAY)
    return [f"{due.actual.year}年{due.actual.month}月{due.actual.day}日"]


def _bill_facts(p: Pipeline) -> list[str]:
    latest, previous = _latest_usage(p, "EG30000061")
    return [_yen(latest.total), _yen(previous.total)]


CASES = [
    (
        "cancellation",
        "h.sato@minato-reizo.example.jp",
        "南港の冷蔵倉庫を閉鎖し設備も撤去するため、契約番号EG30000021を2027年3月31日で解約したいです。違約金はいくらですか。",
        _cancellation_facts,
    ),
    (
        "contract_power",
        "y.nakamura@toho-chem.example.jp",
        "先月、北九州工場の最大電力が契約電力を超えてしまいました。契約超過金はいくらになりますか。",
        _contract_power_facts,
    ),
    (
        "payment_due_date",
        "m.suzuki@hokuto-foods.example.jp",
        "今月分の電気料金の振込期日はいつでしょうか。",
        _due_date_facts,
    ),
    (
        "bill_inquiry",
        "r.higa@uruma-hotel.example.jp",
        "今月の電気料金の請求額が先月と違うのですが、理由を教えてください。",
        _bill_facts,
    ),
]


@pytest.mark.parametrize(("intent", "sender", "text", "facts"), CASES, ids=[c[0] for c in CASES])
def test_verified_sender_gets_the_computed_facts(
    pipeline: Pipeline, intent: str, sender: str, text: str, facts: object
) -> None:
    inquiry, draft = _draft(pipeline, _email(text, sender=sender))
    assert intent in draft.intents
    assert inquiry.identity_verified and inquiry.status == InquiryStatus.DRAFTED
    for fact in facts(pipeline):  # type: ignore[operator]
        assert fact in draft.text, f"{fact} missing from the {intent} draft"


@pytest.mark.parametrize(("intent", "sender", "text", "facts"), CASES, ids=[c[0] for c in CASES])
def test_unregistered_sender_gets_no_contract_fact(
    pipeline: Pipeline, intent: str, sender: str, text: str, facts: object
) -> None:
    inquiry, draft = _draft(pipeline, _email(text, sender=STRANGER))
    assert not inquiry.identity_verified
    assert "identity_unverified" in inquiry.flags
    assert draft.source_digest == ""  # nothing from the store went into the text
    assert not any(k in str(draft.facts) for k in ("penalty_yen", "overage", "due_date", "total"))
    for fact in facts(pipeline):  # type: ignore[operator]
        if fact.startswith("EG"):  # an identifier the sender wrote may be repeated back
            continue
        assert fact not in draft.text
    assert "お客さま番号" in draft.text


def test_an_identifier_in_the_text_does_not_prove_identity(pipeline: Pipeline) -> None:
    text = "お客さま番号 30000002、契約番号 EG30000021 の解約違約金を教えてください。他社に切り替えます。"
    inquiry, draft = _draft(pipeline, _email(text, sender=STRANGER))
    assert not inquiry.identity_verified
    assert "南港冷蔵倉庫" not in draft.text and "1,580" not in draft.text
    assert inquiry.customer_id is not None  # linked for staff, not disclosed


def test_a_registered_sender_naming_another_customers_contract_sees_nothing_of_it(pipeline: Pipeline) -> None:
    text = "契約番号 EG30000021 の違約金を教えてください。来月末で解約します。"
    _, draft = _draft(pipeline, _email(text, sender="k.tanaka@sakura-seiki.example.jp"))
    assert (
        "南港冷蔵倉庫" not in draft.text and "EG30000021" not in draft.facts.get("cancellation", {}).values()
    )
    assert any("属さない" in n for n in draft.notes)


def test_reply_to_other_than_from_is_replaced_for_a_verified_reply(pipeline: Pipeline) -> None:
    message = _email(
        "今月分の振込期日を教えてください。",
        sender="m.suzuki@hokuto-foods.example.jp",
        reply_to="other@elsewhere.example",
    )
    inquiry, _ = _draft(pipeline, message)
    assert inquiry.identity_verified and inquiry.reply_to == "m.suzuki@hokuto-foods.example.jp"


def test_the_same_message_twice_stores_one_inquiry(pipeline: Pipeline) -> None:
    import asyncio

    message = _email("パスワードを忘れました。", sender=STRANGER, external_id="<same@test>")
    first = asyncio.run(pipeline.process(message))
    second = asyncio.run(pipeline.process(message))
    assert first.created and not second.created
    assert first.inquiry_id == second.inquiry_id
    with Session(pipeline.engine) as session:
        assert len(session.exec(select(Inquiry)).all()) == 1
        assert len(session.exec(select(Draft)).all()) == 1


def test_a_customer_reply_lands_on_the_same_inquiry_and_keeps_its_facts(pipeline: Pipeline) -> None:
    import asyncio

    sender = "h.sato@minato-reizo.example.jp"
    first = asyncio.run(
        pipeline.process(
            _email(
                "南港冷蔵倉庫を閉鎖するので、EG30000021を2027年3月31日で解約したいです。",
                sender=sender,
                external_id="<first@minato>",
            )
        )
    )
    reply = _email(
        "解約通知書はどこで入手できますか。",
        sender=sender,
        external_id="<reply@minato>",
        thread_ids=("<first@minato>",),
    )
    second = asyncio.run(pipeline.process(reply))
    assert second.attached and second.inquiry_id == first.inquiry_id
    with Session(pipeline.engine) as session:
        assert len(session.exec(select(Inquiry)).all()) == 1
        assert len(session.exec(select(InquiryMessage)).all()) == 2
        drafts = session.exec(select(Draft).order_by(col(Draft.version))).all()
        assert [d.status for d in drafts] == ["superseded", "pending"]
        assert drafts[-1].facts["cancellation"]  # the date and reason given earlier still count
    assert "1,896,000円" in drafts[-1].text


def test_a_ticket_token_from_another_sender_does_not_join_the_thread(pipeline: Pipeline) -> None:
    import asyncio

    first = asyncio.run(pipeline.process(_email("パスワードを忘れました。", sender=STRANGER)))
    other = _email("よろしくお願いします。", sender="x@elsewhere.example", ticket_no=first.inquiry_id)
    assert not asyncio.run(pipeline.process(other)).attached


def test_auto_replies_are_recorded_and_never_drafted(pipeline: Pipeline) -> None:
    import asyncio

    result = asyncio.run(pipeline.process(_email("不在にしております。", sender=STRANGER, kind="auto_reply")))
    assert result.kind == "auto_reply" and result.draft_id is None
    with Session(pipeline.engine) as session:
        assert session.get(Inquiry, result.inquiry_id).status == InquiryStatus.IGNORED  # type: ignore[union-attr]


def test_a_failure_while_drafting_keeps_the_message_and_tells_staff(engine: Engine) -> None:
    import asyncio

    class Broken:
        def understand(self, *args: object, **kwargs: object) -> Understanding:
            raise RuntimeError("classifier exploded")

    pipeline = Pipeline(engine=engine, desk=DESK, understander=Broken())  # type: ignore[arg-type]
    result = asyncio.run(pipeline.process(_email("解約したい", sender=STRANGER)))
    with Session(engine) as session:
        inquiry = session.get(Inquiry, result.inquiry_id)
        assert inquiry is not None and inquiry.status == InquiryStatus.FAILED
        assert inquiry.text == "解約したい" and "classifier exploded" in (inquiry.error or "")
        assert [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))] == [
            "received",
            "failed",
        ]


def test_staff_reroute_drafts_again_for_the_new_intent(pipeline: Pipeline) -> None:
    import asyncio

    result = asyncio.run(
        pipeline.process(_email("PASを来月開放する予定です。", sender="k.tanaka@sakura-seiki.example.jp"))
    )
    new_id = asyncio.run(
        pipeline.redraft(inquiry_id=result.inquiry_id, intents=["equipment_work"], actor="cli:t")
    )
    with Session(pipeline.engine) as session:
        assert session.get(Draft, new_id).intents == ["equipment_work"]  # type: ignore[union-attr]
        assert session.get(Draft, result.draft_id).status == "superseded"  # type: ignore[union-attr]
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "rerouted")).all()
        assert events[0].detail["to"] == ["equipment_work"] and events[0].actor == "cli:t"


def test_a_reply_in_the_thread_is_drafted_as_a_follow_up_that_answers_its_own_question(
    pipeline: Pipeline,
) -> None:
    import asyncio

    sender = "h.sato@minato-reizo.example.jp"
    asyncio.run(
        pipeline.process(
            _email(
                "南港冷蔵倉庫を閉鎖するので、EG30000021を2027年3月31日で解約したいです。",
                sender=sender,
                external_id="<first-fu@minato>",
            )
        )
    )
    reply = _email(
        "ありがとうございます。詳しく伺いたいので、お電話いただけますでしょうか。",
        sender=sender,
        external_id="<reply-fu@minato>",
        thread_ids=("<first-fu@minato>",),
    )
    second = asyncio.run(pipeline.process(reply))
    with Session(pipeline.engine) as session:
        draft = session.get(Draft, second.draft_id)
    assert draft is not None
    assert "ご連絡いただき、ありがとうございます。" in draft.text
    assert "このたびはお問い合わせいただき" not in draft.text
    assert "担当者よりお電話いたします" in draft.text


def test_what_the_thread_said_before_counts_in_a_later_reply(pipeline: Pipeline) -> None:
    import asyncio

    sender = "someone@unknown.example.jp"  # not registered: only what they wrote can be used
    asyncio.run(
        pipeline.process(
            _email(
                "計量日は毎月15日です。支払期日について教えてください。", sender=sender, external_id="<m1@x>"
            )
        )
    )
    reply = _email("10日が支払期日でしょうか？", sender=sender, external_id="<m2@x>", thread_ids=("<m1@x>",))
    second = asyncio.run(pipeline.process(reply))
    with Session(pipeline.engine) as session:
        draft = session.get(Draft, second.draft_id)
        inquiry = session.get(Inquiry, second.inquiry_id)
    assert draft is not None and inquiry is not None
    assert "いいえ、計量日が毎月15日のご契約では、10日はお支払期日ではございません。" in draft.text
    assert "計量日（検針日）" not in draft.text
    assert inquiry.said == {"metering_day": "15"}


def test_merge_thread_keeps_what_still_holds_not_the_earlier_situation() -> None:
    reply = Understanding(intents=(IntentScore("payment_due_date", 0.9),), said={"payment_method": "debit"})
    merged = merge_thread(
        [],
        {},
        reply,
        previous_said={"metering_day": "15", "situation": "complaint", "payment_method": "transfer"},
    )
    assert merged.said == {"metering_day": "15", "payment_method": "debit"}


def test_merge_thread_keeps_earlier_intents_when_the_reply_asks_nothing_new() -> None:
    earlier = [{"intent": "cancellation", "score": 0.9}]
    reply = Understanding(
        intents=(IntentScore("other", 0.3),), entities={"phone": "0312345678"}, body="ありがとうございます"
    )
    merged = merge_thread(earlier, {"date": "2027-03-31"}, reply)
    assert merged.intent_ids == ["cancellation"]
    assert merged.entities == {"date": "2027-03-31", "phone": "0312345678"}


def test_merge_thread_drafts_in_the_language_of_the_latest_message() -> None:
    earlier = [{"intent": "cancellation", "score": 0.9}]
    reply = Understanding(intents=(IntentScore("other", 0.3),), body="Thank you, noted.", language="en")
    assert merge_thread(earlier, {}, reply).language == "en"


def test_every_draft_is_free_of_template_leftovers(pipeline: Pipeline) -> None:
    from desk.drafting import leftover_problems

    for _, sender, text, _facts in CASES:
        _, draft = _draft(pipeline, _email(text, sender=sender))
        assert leftover_problems(draft.text) == []
        assert not re.search(r"\{\{|\}\}|None|nan", draft.text)


# -- thread ids and ticket tokens are not keys ------------------------------------------------------------
REGISTERED = "h.sato@minato-reizo.example.jp"  # a registered contact of the customer owning EG30000021
CUSTOMER_FACTS = ("南港冷蔵倉庫", "1,896,000円")


def _inquiry(pipeline: Pipeline, inquiry_id: int) -> Inquiry:
    with Session(pipeline.engine) as session:
        inquiry = session.get(Inquiry, inquiry_id)
        assert inquiry is not None
        return inquiry


def _drafts(pipeline: Pipeline, inquiry_id: int) -> list[Draft]:
    with Session(pipeline.engine) as session:
        stmt = select(Draft).where(Draft.inquiry_id == inquiry_id).order_by(col(Draft.version))
        return list(session.exec(stmt).all())


def test_a_registered_sender_replying_into_a_strangers_thread_never_verifies_the_strangers_inquiry(
    pipeline: Pipeline,
) -> None:
    import asyncio

    opened = asyncio.run(
        pipeline.process(
            _email(
                "EG30000021 の解約について教えてください。", sender=STRANGER, external_id="<open@stranger>"
            )
        )
    )
    hijack = _email(
        "南港冷蔵倉庫を閉鎖するので、EG30000021を2027年3月31日で解約したいです。違約金はいくらですか。",
        sender=REGISTERED,
        external_id="<hijack@minato>",
        thread_ids=("<open@stranger>",),
    )
    joined = asyncio.run(pipeline.process(hijack))
    assert not joined.attached and joined.inquiry_id != opened.inquiry_id
    stranger_inquiry = _inquiry(pipeline, opened.inquiry_id)
    assert not stranger_inquiry.identity_verified and stranger_inquiry.reply_to == STRANGER
    for draft in _drafts(pipeline, opened.inquiry_id):
        assert draft.source_digest == ""
        assert not any(fact in draft.text for fact in CUSTOMER_FACTS)
    own = _inquiry(pipeline, joined.inquiry_id)
    assert "foreign_thread" in own.flags
    # The customer's own message is answered to the customer's own address, and staff are told why.
    assert own.identity_verified and own.reply_to == REGISTERED
    assert any("別の問い合わせのスレッド" in n for n in _drafts(pipeline, joined.inquiry_id)[-1].notes)


def test_a_stranger_replying_into_a_customers_thread_leaves_the_customers_draft_alone(
    pipeline: Pipeline,
) -> None:
    import asyncio

    customer = asyncio.run(
        pipeline.process(
            _email(
                "南港冷蔵倉庫を閉鎖するので、EG30000021を2027年3月31日で解約したいです。",
                sender=REGISTERED,
                external_id="<first@minato>",
            )
        )
    )
    before = _drafts(pipeline, customer.inquiry_id)
    stranger = _email(
        "やはり解約は取り消して、振込先を以下の口座に変更してください。",
        sender=STRANGER,
        external_id="<steer@stranger>",
        thread_ids=("<first@minato>",),
        ticket_no=customer.inquiry_id,
    )
    result = asyncio.run(pipeline.process(stranger))
    assert not result.attached and result.inquiry_id != customer.inquiry_id
    after = _drafts(pipeline, customer.inquiry_id)
    assert [(d.id, d.status, d.text) for d in after] == [(d.id, d.status, d.text) for d in before]
    assert "foreign_thread" in _inquiry(pipeline, result.inquiry_id).flags
    for draft in _drafts(pipeline, result.inquiry_id):
        assert not any(fact in draft.text for fact in CUSTOMER_FACTS)


def test_another_registered_contact_of_the_same_verified_customer_joins_the_thread(
    pipeline: Pipeline,
) -> None:
    import asyncio

    from store.models import ContactEmail

    first = asyncio.run(
        pipeline.process(
            _email(
                "南港冷蔵倉庫を閉鎖するので、EG30000021を2027年3月31日で解約したいです。",
                sender=REGISTERED,
                external_id="<first@minato>",
            )
        )
    )
    colleague = "keiri@minato-reizo.example.jp"
    inquiry = _inquiry(pipeline, first.inquiry_id)
    assert inquiry.identity_verified and inquiry.customer_id is not None
    with Session(pipeline.engine) as session:
        session.add(ContactEmail(customer_id=inquiry.customer_id, email=colleague, person="経理担当"))
        session.commit()
    reply = _email(
        "解約通知書はどこで入手できますか。",
        sender=colleague,
        external_id="<c@minato>",
        thread_ids=("<first@minato>",),
    )
    result = asyncio.run(pipeline.process(reply))
    assert result.attached and result.inquiry_id == first.inquiry_id
    joined = _inquiry(pipeline, first.inquiry_id)
    # Verified by the colleague's own registered address, so the answer goes to that address.
    assert joined.identity_verified and joined.reply_to == colleague


# -- replies to an answered inquiry: thanks close it, a new question is a follow-up -----------------------
def _answered(pipeline: Pipeline) -> int:
    """A verified cancellation question, approved and sent: the inquiry is answered."""
    import asyncio

    from desk import actions
    from store.db import session_scope
    from store.models import Outbox

    first = asyncio.run(
        pipeline.process(
            _email(
                "南港冷蔵倉庫を閉鎖するので、EG30000021を2027年3月31日で解約したいです。",
                sender="h.sato@minato-reizo.example.jp",
                external_id="<first@minato>",
            )
        )
    )
    assert first.draft_id is not None
    with session_scope(pipeline.engine) as session:
        outbox = actions.approve(
            session, draft_id=first.draft_id, actor="cli:suzuki", digest_now=pipeline.digest_now
        )
        session.flush()
        assert isinstance(outbox, Outbox) and outbox.id is not None
        actions.record_sent(session, outbox_id=outbox.id)
    assert _inquiry(pipeline, first.inquiry_id).status == InquiryStatus.ANSWERED
    return first.inquiry_id


def _reply(pipeline: Pipeline, text: str, n: int = 1) -> object:
    import asyncio

    return asyncio.run(
        pipeline.process(
            _email(
                text,
                sender="h.sato@minato-reizo.example.jp",
                external_id=f"<reply{n}@minato>",
                thread_ids=("<first@minato>",),
            )
        )
    )


def _actions_of(pipeline: Pipeline, inquiry_id: int) -> list[str]:
    with Session(pipeline.engine) as session:
        stmt = (
            select(AuditEvent.action).where(AuditEvent.inquiry_id == inquiry_id).order_by(col(AuditEvent.id))
        )
        return list(session.exec(stmt).all())


def test_thanks_after_the_answer_is_recorded_and_needs_no_new_draft(pipeline: Pipeline) -> None:
    inquiry_id = _answered(pipeline)
    resolved = _inquiry(pipeline, inquiry_id).resolved_at
    result = _reply(pipeline, "ご丁寧にありがとうございました。承知いたしました。")
    assert result.attached and result.inquiry_id == inquiry_id  # type: ignore[attr-defined]
    assert result.draft_id is None and result.after_answer == "closing"  # type: ignore[attr-defined]
    inquiry = _inquiry(pipeline, inquiry_id)
    assert inquiry.status == InquiryStatus.ANSWERED and inquiry.resolved_at == resolved
    assert [d.status for d in _drafts(pipeline, inquiry_id)] == ["sent"]  # nothing a 承認 could send again
    assert _actions_of(pipeline, inquiry_id)[-1] == "closing"
    with Session(pipeline.engine) as session:
        assert len(session.exec(select(InquiryMessage)).all()) == 2  # the thanks is kept on the inquiry


def test_a_new_question_after_the_answer_is_a_follow_up_and_is_drafted(pipeline: Pipeline) -> None:
    inquiry_id = _answered(pipeline)
    result = _reply(pipeline, "ありがとうございます。ところで解約通知書はどこで入手できますか。")
    assert result.after_answer == "follow_up" and result.draft_id is not None  # type: ignore[attr-defined]
    inquiry = _inquiry(pipeline, inquiry_id)
    assert inquiry.status == InquiryStatus.DRAFTED and inquiry.resolved_at is None
    assert "follow_up" in inquiry.flags
    assert [d.status for d in _drafts(pipeline, inquiry_id)] == ["sent", "pending"]
    assert "follow_up" in _actions_of(pipeline, inquiry_id)


def test_thanks_before_any_answer_is_still_a_reply_to_draft_for(pipeline: Pipeline) -> None:
    import asyncio

    first = asyncio.run(
        pipeline.process(
            _email(
                "南港冷蔵倉庫を閉鎖するので、EG30000021を2027年3月31日で解約したいです。",
                sender="h.sato@minato-reizo.example.jp",
                external_id="<first@minato>",
            )
        )
    )
    result = _reply(pipeline, "よろしくお願いいたします。ありがとうございます。")
    assert result.after_answer == "" and result.draft_id is not None  # type: ignore[attr-defined]
    assert _inquiry(pipeline, first.inquiry_id).status == InquiryStatus.DRAFTED


def test_the_classifiers_thanks_reason_closes_a_reply_the_phrases_missed(
    engine: Engine, understander: Understander
) -> None:
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class Thanks:
        """An Understanding as the classifier will give it once it knows ``other_reason``."""

        intents: tuple[IntentScore, ...] = (IntentScore("other", 0.9),)
        entities: dict[str, str] = field(default_factory=dict)
        body: str = ""
        other_reason: str = "thanks"

        @property
        def primary(self) -> str:
            return "other"

        @property
        def intent_ids(self) -> list[str]:
            return ["other"]

    class Reader:
        def understand(self, text: str, **kw: object) -> object:
            return Thanks() if "共有" in text else understander.understand(text, **kw)

    seed_store(engine, customers=0, seed=1, today=TODAY)
    pipeline = Pipeline(engine=engine, desk=DESK, understander=Reader())  # type: ignore[arg-type]
    inquiry_id = _answered(pipeline)
    resolved = _inquiry(pipeline, inquiry_id).resolved_at
    result = _reply(pipeline, "本件、社内で共有させていただきます。")
    assert result.after_answer == "closing" and result.draft_id is None  # type: ignore[attr-defined]
    inquiry = _inquiry(pipeline, inquiry_id)
    assert inquiry.status == InquiryStatus.ANSWERED and inquiry.resolved_at == resolved
    assert "follow_up" not in inquiry.flags
    assert [d.status for d in _drafts(pipeline, inquiry_id)] == ["sent"]


def test_a_message_whose_processor_died_after_storing_it_is_drafted_when_it_comes_back(
    pipeline: Pipeline,
) -> None:
    import asyncio

    from store.db import session_scope

    message = _email("パスワードを忘れました。再設定の方法を教えてください。", sender=STRANGER)
    # The first processor stored the message (first commit) and was killed before drafting it.
    with session_scope(pipeline.engine) as session:
        stored, _attached = pipeline._store(session, message, None)
    assert _inquiry(pipeline, stored.id).status == InquiryStatus.RECEIVED
    # Nothing acknowledged the message, so it is delivered again (IMAP re-read, Slack retry).
    result = asyncio.run(pipeline.process(message))
    assert result.inquiry_id == stored.id and not result.created and result.draft_id is not None
    assert _inquiry(pipeline, stored.id).status == InquiryStatus.DRAFTED
    again = asyncio.run(pipeline.process(message))  # and a third delivery changes nothing
    assert again.draft_id == result.draft_id and len(_drafts(pipeline, stored.id)) == 1


def test_the_inquiry_records_its_language_and_why_it_is_other(pipeline: Pipeline) -> None:
    english, _ = _draft(
        pipeline,
        _email(
            "Hello, we would like to change the bank account for the monthly direct debit. Please advise.",
            sender=STRANGER,
            subject="Direct debit",
        ),
    )
    assert english.language == "en"
    japanese, _ = _draft(pipeline, _email("工場の周波数は50Hzですか60Hzですか。", sender=STRANGER))
    assert japanese.language == "ja"
    assert japanese.primary_intent == "voltage_frequency" and japanese.other_reason is None
    vague, _ = _draft(pipeline, _email("先日の件、どうなりましたでしょうか。", sender=STRANGER))
    assert vague.primary_intent == "other"
    assert vague.other_reason is not None

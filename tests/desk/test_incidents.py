"""Outage incidents in the core: the grouping rules (pure), grouping from the pipeline, one approval that
queues one copy per inquiry, each rendered for its own customer only."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from desk import actions, incidents
from desk.incidents import ActiveIncident, IncidentRules, OutageReport, decide
from desk.pipeline import Pipeline, ProcessResult
from intents.understand import Understander
from store.db import session_scope
from store.models import Incident, IncidentMember, IncidentStatus, Inquiry, InquiryStatus, Outbox
from tests.desk.incident_cases import CUSTOMERS, KANSAI, START, TOKYO, outage_mail, seed_customers
from tests.desk.resolvers.cases import DESK

RULES = IncidentRules(window=dt.timedelta(minutes=30), min_customers=2)


def report(n: int, minutes: float, *, area: str = "03", customer: str | None = None) -> OutageReport:
    return OutageReport(n, area, customer or f"c:{n}", START + dt.timedelta(minutes=minutes))


# -- the pure rules -----------------------------------------------------------------------------------------
def test_two_customers_of_one_area_within_the_window_open_an_incident() -> None:
    decision = decide(report(2, 20), active=None, recent=[report(1, 0)], rules=RULES)
    assert [r.inquiry_id for r in decision.open_with] == [1, 2]


def test_reports_further_apart_than_the_window_stay_alone() -> None:
    assert decide(report(2, 31), active=None, recent=[report(1, 0)], rules=RULES).open_with == ()


def test_reports_of_another_area_are_not_grouped() -> None:
    decision = decide(report(2, 5), active=None, recent=[report(1, 0, area="06")], rules=RULES)
    assert decision.open_with == ()


def test_the_same_customer_writing_twice_counts_once() -> None:
    twice = [report(1, 0, customer="c:7")]
    assert decide(report(2, 5, customer="c:7"), active=None, recent=twice, rules=RULES).open_with == ()


def test_min_customers_is_configurable() -> None:
    three = IncidentRules(window=dt.timedelta(minutes=30), min_customers=3)
    assert decide(report(2, 5), active=None, recent=[report(1, 0)], rules=three).open_with == ()
    opened = decide(report(3, 9), active=None, recent=[report(1, 0), report(2, 5)], rules=three)
    assert len(opened.open_with) == 3


def test_an_approved_incident_takes_reports_within_the_window_of_its_latest_report() -> None:
    active = ActiveIncident(9, "03", START + dt.timedelta(minutes=50), approved=True)
    assert decide(report(5, 75), active=active, recent=[], rules=RULES).join == 9


def test_an_incident_waiting_for_approval_takes_every_report_of_its_area() -> None:
    active = ActiveIncident(9, "03", START)
    assert decide(report(5, 180), active=active, recent=[], rules=RULES).join == 9
    assert decide(report(6, 180, area="06"), active=active, recent=[], rules=RULES).join is None


def test_an_approved_incident_quiet_for_longer_than_the_window_is_closed_not_joined() -> None:
    active = ActiveIncident(9, "03", START, approved=True)
    decision = decide(report(5, 45), active=active, recent=[], rules=RULES)
    assert decision.join is None and decision.close == 9 and decision.open_with == ()


# -- grouping from the pipeline -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander.load()


@pytest.fixture
def pipeline(engine: Engine, understander: Understander) -> Iterator[Pipeline]:
    seed_customers(engine)
    yield Pipeline(engine=engine, desk=DESK, understander=understander, incident_rules=RULES)


def process(pipeline: Pipeline, message: object) -> ProcessResult:
    return asyncio.run(pipeline.process(message))  # type: ignore[arg-type]


def incident_rows(engine: Engine) -> list[Incident]:
    with Session(engine) as session:
        return list(session.exec(select(Incident).order_by(col(Incident.id))).all())


def member_ids(engine: Engine, incident_id: int) -> list[int]:
    with Session(engine) as session:
        return [m.inquiry_id for m in incidents.members(session, incident_id)]


def test_three_customers_of_tokyo_become_one_incident_and_kansai_stays_alone(pipeline: Pipeline) -> None:
    results = [process(pipeline, outage_mail(c.email, minutes=i * 5)) for i, c in enumerate(TOKYO)]
    process(pipeline, outage_mail(KANSAI.email, minutes=12))
    [incident] = incident_rows(pipeline.engine)
    assert (incident.grid_area, incident.utility, incident.status) == ("03", "東京電力", IncidentStatus.OPEN)
    assert incident.first_report_at == START and incident.latest_report_at == START + dt.timedelta(minutes=10)
    assert member_ids(pipeline.engine, incident.id or 0) == [r.inquiry_id for r in results]
    with Session(pipeline.engine) as session:  # each member's own card tells staff where it went
        for r in results:
            draft = actions.current_draft(session, r.inquiry_id)
            assert draft is not None and any(
                f"停電の障害 #{incident.id}（東京エリア）" in n for n in draft.notes
            )


def test_one_report_opens_nothing(pipeline: Pipeline) -> None:
    process(pipeline, outage_mail(TOKYO[0].email))
    process(pipeline, outage_mail(TOKYO[1].email, minutes=45))  # outside the window
    assert incident_rows(pipeline.engine) == []


def test_an_unverified_sender_without_a_supply_point_id_is_not_grouped(pipeline: Pipeline) -> None:
    process(pipeline, outage_mail(TOKYO[0].email))
    # Names a Tokyo contract number, but is not its customer: the area must not be inferred from it.
    stranger = outage_mail("someone@freemail.example.com", minutes=3, text="停電です。契約番号EG20240002")
    process(pipeline, stranger)
    assert incident_rows(pipeline.engine) == []


# -- approval ---------------------------------------------------------------------------------------------
def approve(
    pipeline: Pipeline, incident_id: int, text: str = "東京エリアで停電が発生しております。"
) -> incidents.SendResult:
    with session_scope(pipeline.engine) as session:
        return incidents.approve_incident(
            session,
            incident_id=incident_id,
            actor="cli:tester",
            text=text,
            make_copy=pipeline.incident_copy,
            digest_now=pipeline.digest_now,
        )


def outbox_by_recipient(engine: Engine) -> dict[str, Outbox]:
    with Session(engine) as session:
        return {o.recipient: o for o in session.exec(select(Outbox)).all()}


def test_one_approval_queues_one_copy_per_customer_with_only_their_own_data(pipeline: Pipeline) -> None:
    for i, c in enumerate(TOKYO):
        process(pipeline, outage_mail(c.email, minutes=i * 5, name=c.person))
    [incident] = incident_rows(pipeline.engine)
    result = approve(pipeline, incident.id or 0)
    assert len(result.queued) == 3 and result.blocked == {}
    rows = outbox_by_recipient(pipeline.engine)
    assert set(rows) == {c.email for c in TOKYO}
    for c in TOKYO:
        body = rows[c.email].body
        assert "東京エリアで停電が発生しております。" in body  # the approved notice
        assert c.name in body and f"{c.person} 様" in body  # their own 宛名
        assert c.contract_no in body and c.facility in body  # their own contract and facility
        assert "東京電力" in body and body.index("電気主任技術者") < body.index("東京電力")  # contact order
        for other in CUSTOMERS:
            if other is c:
                continue
            for value in (other.name, other.person, other.contract_no, other.facility, other.email):
                assert value not in body
    with Session(pipeline.engine) as session:
        statuses = {i.status for i in session.exec(select(Inquiry)).all()}
    assert statuses == {InquiryStatus.APPROVED}


def test_approving_twice_queues_nothing_more(pipeline: Pipeline) -> None:
    for i, c in enumerate(TOKYO[:2]):
        process(pipeline, outage_mail(c.email, minutes=i))
    [incident] = incident_rows(pipeline.engine)
    approve(pipeline, incident.id or 0)
    with pytest.raises(actions.AlreadyHandled):
        approve(pipeline, incident.id or 0)
    assert len(outbox_by_recipient(pipeline.engine)) == 2


def test_an_unverified_member_gets_the_general_text_without_contract_data(pipeline: Pipeline) -> None:
    stranger = "someone@freemail.example.com"
    process(pipeline, outage_mail(TOKYO[0].email))
    # Writes their own supply point id (area 03: that reveals nothing) and a contract number of TOKYO[1].
    text = (
        f"停電しています。供給地点特定番号 {TOKYO[1].supply_point_id}、契約番号 {TOKYO[1].contract_no} です。"
    )
    process(pipeline, outage_mail(stranger, minutes=4, text=text))
    [incident] = incident_rows(pipeline.engine)
    approve(pipeline, incident.id or 0)
    body = outbox_by_recipient(pipeline.engine)[stranger].body
    assert "東京エリアで停電が発生しております。" in body and "東京電力" in body
    assert "対象のご契約" not in body
    for c in CUSTOMERS:
        assert c.name not in body and c.facility not in body
    assert TOKYO[1].contract_no not in body  # not even the number the sender wrote is echoed


def test_a_late_report_joins_and_is_sent_only_after_confirmation(pipeline: Pipeline) -> None:
    for i, c in enumerate(TOKYO[:2]):
        process(pipeline, outage_mail(c.email, minutes=i))
    [incident] = incident_rows(pipeline.engine)
    approve(pipeline, incident.id or 0)
    late = process(pipeline, outage_mail(TOKYO[2].email, minutes=20))
    with Session(pipeline.engine) as session:
        [waiting] = incidents.waiting_late(session, incident.id or 0)
    assert waiting.inquiry_id == late.inquiry_id
    assert TOKYO[2].email not in outbox_by_recipient(pipeline.engine)  # nothing sent without staff
    with session_scope(pipeline.engine) as session:
        result = incidents.send_late(
            session, incident_id=incident.id or 0, actor="cli:tester", make_copy=pipeline.incident_copy
        )
    assert result.queued == [late.inquiry_id]
    body = outbox_by_recipient(pipeline.engine)[TOKYO[2].email].body
    assert "東京エリアで停電が発生しております。" in body and TOKYO[2].contract_no in body
    with session_scope(pipeline.engine) as session, pytest.raises(actions.AlreadyHandled):
        incidents.send_late(
            session, incident_id=incident.id or 0, actor="cli:tester", make_copy=pipeline.incident_copy
        )
    assert len(outbox_by_recipient(pipeline.engine)) == 3


def test_a_member_answered_on_its_own_card_gets_no_second_reply(pipeline: Pipeline) -> None:
    results = [process(pipeline, outage_mail(c.email, minutes=i)) for i, c in enumerate(TOKYO[:2])]
    with session_scope(pipeline.engine) as session:
        actions.approve(session, draft_id=results[0].draft_id or 0, actor="cli:tester")
    [incident] = incident_rows(pipeline.engine)
    result = approve(pipeline, incident.id or 0)
    assert result.skipped == [results[0].inquiry_id] and result.queued == [results[1].inquiry_id]
    with Session(pipeline.engine) as session:
        per_inquiry = [o.inquiry_id for o in session.exec(select(Outbox)).all()]
    assert sorted(per_inquiry) == sorted(r.inquiry_id for r in results)


def test_a_member_joins_only_one_incident(pipeline: Pipeline) -> None:
    for i, c in enumerate(TOKYO):
        process(pipeline, outage_mail(c.email, minutes=i))
    with Session(pipeline.engine) as session:
        rows = session.exec(select(IncidentMember)).all()
    assert len(rows) == len({m.inquiry_id for m in rows}) == 3


# -- the managers' report ---------------------------------------------------------------------------------
def test_the_managers_report_counts_incidents_of_its_range(pipeline: Pipeline) -> None:
    from store import reports

    for i, c in enumerate(TOKYO):
        process(pipeline, outage_mail(c.email, minutes=i))
    opened_on = incident_rows(pipeline.engine)[0].opened_at.astimezone(ZoneInfo("Asia/Tokyo")).date()
    day = reports.ReportRange(since=opened_on, until=opened_on, by="day")
    before = reports.ReportRange(
        since=opened_on - dt.timedelta(days=7), until=opened_on - dt.timedelta(days=1), by="day"
    )
    with pipeline.engine.connect() as conn:
        counted = reports.intake(conn, day)
        earlier = reports.intake(conn, before)
    assert (counted.incidents, counted.incident_inquiries) == (1, 3)
    assert (earlier.incidents, earlier.incident_inquiries) == (0, 0)


# -- one active incident per area -------------------------------------------------------------------------
def test_the_store_refuses_a_second_active_incident_for_one_area(engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    def incident(status: str) -> Incident:
        return Incident(
            grid_area="03", status=status, opened_at=START, first_report_at=START, latest_report_at=START
        )

    with session_scope(engine) as session:
        session.add_all([incident(IncidentStatus.CLOSED), incident(IncidentStatus.CLOSED)])
        session.add(incident(IncidentStatus.OPEN))
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(incident(IncidentStatus.APPROVED))


def test_a_report_racing_another_worker_joins_the_incident_that_worker_opened(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i, c in enumerate(TOKYO[:2]):
        process(pipeline, outage_mail(c.email, minutes=i))
    [incident] = incident_rows(pipeline.engine)
    # The third worker read the area before the incident was committed: it sees no active incident and
    # decides to open one; the unique index refuses it and the retry joins the existing one.
    real_active = incidents._active
    calls: list[str] = []

    def active_not_yet_visible(session: Session, area_code: str) -> Incident | None:
        calls.append(area_code)
        return None if len(calls) == 1 else real_active(session, area_code)

    def ungrouped_as_seen_then(
        session: Session, report: OutageReport, rules: IncidentRules
    ) -> list[OutageReport]:
        return [OutageReport(0, "03", "c:other", report.received_at)]

    monkeypatch.setattr(incidents, "_active", active_not_yet_visible)
    monkeypatch.setattr(incidents, "_recent_ungrouped", ungrouped_as_seen_then)
    third = process(pipeline, outage_mail(TOKYO[2].email, minutes=2))
    assert len(calls) == 2
    assert [i.id for i in incident_rows(pipeline.engine)] == [incident.id]
    assert third.inquiry_id in member_ids(pipeline.engine, incident.id or 0)


# -- English inquiries ------------------------------------------------------------------------------------
class EnglishFor:
    """The real understander, reading inquiries from one sender as English (as the classifier would)."""

    def __init__(self, inner: Understander, marker: str) -> None:
        self.inner, self.marker = inner, marker

    def understand(self, text: str, **kw: object) -> object:
        from dataclasses import replace

        found = self.inner.understand(text, **kw)  # type: ignore[arg-type]
        return replace(found, language="en") if self.marker in text else found


def test_an_english_inquiry_gets_its_copy_in_english_with_the_english_notice(
    engine: Engine, understander: Understander
) -> None:
    seed_customers(engine)
    english = EnglishFor(understander, "power cut")
    pipeline = Pipeline(engine=engine, desk=DESK, understander=english, incident_rules=RULES)  # type: ignore[arg-type]
    process(pipeline, outage_mail(TOKYO[0].email, name=TOKYO[0].person))
    process(pipeline, outage_mail(TOKYO[1].email, minutes=1, text="停電しています。power cut at our site."))
    [incident] = incident_rows(pipeline.engine)
    with session_scope(engine) as session:
        incidents.approve_incident(
            session,
            incident_id=incident.id or 0,
            actor="cli:tester",
            text="東京エリアで停電が発生しております。",
            text_en="There is a power outage in parts of the Tokyo area.",
            make_copy=pipeline.incident_copy,
        )
    rows = outbox_by_recipient(engine)
    assert "There is a power outage in parts of the Tokyo area." in rows[TOKYO[1].email].body
    assert "Dear " in rows[TOKYO[1].email].body and TOKYO[1].contract_no in rows[TOKYO[1].email].body
    assert "東京エリアで停電が発生しております。" in rows[TOKYO[0].email].body


def test_a_copy_that_cannot_be_built_blocks_only_itself(pipeline: Pipeline) -> None:
    results = [process(pipeline, outage_mail(c.email, minutes=i)) for i, c in enumerate(TOKYO)]
    broken = results[1].inquiry_id

    def make_copy(session: Session, inquiry_id: int, notice: str, notice_en: str, actor: str) -> int:
        if inquiry_id == broken:
            raise RuntimeError("template missing")
        return pipeline.incident_copy(session, inquiry_id, notice, notice_en, actor)

    [incident] = incident_rows(pipeline.engine)
    with session_scope(pipeline.engine) as session:
        result = incidents.approve_incident(
            session,
            incident_id=incident.id or 0,
            actor="cli:tester",
            text="停電中です。",
            make_copy=make_copy,
        )
    assert sorted(result.queued) == sorted(r.inquiry_id for r in results if r.inquiry_id != broken)
    assert "RuntimeError" in result.blocked[broken]
    assert set(outbox_by_recipient(pipeline.engine)) == {TOKYO[0].email, TOKYO[2].email}
    with Session(pipeline.engine) as session:
        assert session.get(Inquiry, broken).status == InquiryStatus.DRAFTED  # type: ignore[union-attr]


def test_a_member_staff_rerouted_away_from_outage_is_not_sent_the_incident_reply(pipeline: Pipeline) -> None:
    results = [process(pipeline, outage_mail(c.email, minutes=i)) for i, c in enumerate(TOKYO)]
    pipeline.redraft_sync(inquiry_id=results[2].inquiry_id, intents=["bill_inquiry"], actor="cli:tester")
    [incident] = incident_rows(pipeline.engine)
    result = approve(pipeline, incident.id or 0)
    assert result.skipped == [results[2].inquiry_id]
    assert set(outbox_by_recipient(pipeline.engine)) == {TOKYO[0].email, TOKYO[1].email}


def test_a_sender_no_longer_registered_at_approval_gets_the_general_copy(pipeline: Pipeline) -> None:
    from store.models import ContactEmail

    for i, c in enumerate(TOKYO[:2]):
        process(pipeline, outage_mail(c.email, minutes=i, name=c.person))
    with session_scope(pipeline.engine) as session:  # the customer removed this contact after writing
        row = session.exec(select(ContactEmail).where(ContactEmail.email == TOKYO[1].email)).one()
        session.delete(row)
    [incident] = incident_rows(pipeline.engine)
    approve(pipeline, incident.id or 0)
    rows = outbox_by_recipient(pipeline.engine)
    assert TOKYO[0].contract_no in rows[TOKYO[0].email].body
    removed = rows[TOKYO[1].email].body
    assert "東京エリアで停電が発生しております。" in removed
    assert (
        TOKYO[1].contract_no not in removed
        and TOKYO[1].facility not in removed
        and TOKYO[1].name not in removed
    )


def test_the_draft_quality_report_counts_incident_copies_once_and_never_as_re_routes(
    pipeline: Pipeline,
) -> None:
    from bot.settings import Settings
    from store import reports
    from store.settle import settle

    for i, c in enumerate(TOKYO):
        process(pipeline, outage_mail(c.email, minutes=i))
    [incident] = incident_rows(pipeline.engine)
    approve(pipeline, incident.id or 0)
    settle(pipeline.engine, Settings().desk_hours())
    day = START.astimezone(ZoneInfo("Asia/Tokyo")).date()
    with pipeline.engine.connect() as conn:
        [outage] = [
            q for q in reports.draft_quality(conn, reports.ReportRange(since=day, until=day, by="day"))
        ]
    assert (outage.intent, outage.unchanged, outage.rerouted, outage.pending) == ("outage", 3, 0, 0)

"""The derived report columns: filled once, cleared when their source changes, recomputed when the desk
hours change."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from desk.business_hours import DeskHours, clock_for
from store.models import Draft, Inquiry
from store.settle import SettleResult, settle
from tests.bot.reporting.history import build_history, jst

LONG_DAYS = DeskHours(windows=((dt.time(8), dt.time(20)),))


def _durations(engine: Engine, inquiry_id: int) -> tuple[int | None, int | None]:
    with Session(engine) as s:
        row = s.get(Inquiry, inquiry_id)
        assert row is not None
        return row.first_response_minutes, row.resolution_minutes


def test_settle_stores_the_business_hours_of_every_answered_inquiry(engine: Engine) -> None:
    build_history(engine)
    assert settle(engine, DeskHours()) == SettleResult(inquiries=6, drafts=9, rebased=False, rollup_days=-1)
    clock = clock_for(DeskHours())
    with Session(engine) as s:
        for row in s.exec(select(Inquiry)).all():
            expected_first = (
                None
                if row.first_response_at is None
                else round(clock.seconds_between(row.received_at, row.first_response_at) / 60)
            )
            assert row.first_response_minutes == expected_first
    # Inquiry 2 (history table): answered after 1.0 h, resolved after 5.5 h across the lunch break.
    assert _durations(engine, 2) == (60, 330)


def test_a_second_settle_has_nothing_to_do(engine: Engine) -> None:
    build_history(engine)
    settle(engine, DeskHours())
    assert settle(engine, DeskHours()) == SettleResult(0, 0, False, rollup_days=0)


def test_changing_an_answer_time_clears_its_duration_until_the_next_settle(engine: Engine) -> None:
    build_history(engine)
    settle(engine, DeskHours())
    with Session(engine) as s:
        row = s.get(Inquiry, 2)
        assert row is not None
        row.first_response_at = jst(4, 27, 15, 30)  # 2 business hours after 11:30, lunch excluded
        s.add(row)
        s.commit()
    assert _durations(engine, 2) == (None, 330)
    assert settle(engine, DeskHours()).inquiries == 1
    assert _durations(engine, 2) == (180, 330)


def test_reopening_an_inquiry_clears_its_resolution_time(engine: Engine) -> None:
    build_history(engine)
    settle(engine, DeskHours())
    with Session(engine) as s:
        row = s.get(Inquiry, 2)
        assert row is not None
        row.resolved_at = None
        s.add(row)
        s.commit()
    assert _durations(engine, 2) == (60, None)
    assert settle(engine, DeskHours()).inquiries == 0  # nothing to compute for an open inquiry


def test_new_desk_hours_recompute_every_duration(engine: Engine) -> None:
    build_history(engine)
    settle(engine, DeskHours())
    result = settle(engine, LONG_DAYS)
    assert result.rebased and result.inquiries == 6
    # 11:30 -> 13:30 with no lunch break is 2 h; resolution 4/28 10:00 is 8.5 + 2 = 10.5 h.
    assert _durations(engine, 2) == (120, 630)
    assert settle(engine, LONG_DAYS) == SettleResult(0, 0, False, rollup_days=0)


def test_editing_a_draft_marks_it_for_the_next_settle(engine: Engine) -> None:
    build_history(engine)
    settle(engine, DeskHours())
    with Session(engine) as s:
        draft = s.get(Draft, 1)
        assert draft is not None and draft.edited is False and draft.report_intent == "bill_inquiry"
        draft.edited_text = draft.text + "追記いたします。"
        s.add(draft)
        s.commit()
        s.refresh(draft)
        assert draft.edited is None
    assert settle(engine, DeskHours()).drafts == 1
    with Session(engine) as s:
        draft = s.get(Draft, 1)
        assert draft is not None and draft.edited is True
        inquiry = s.get(Inquiry, draft.inquiry_id)
        assert inquiry is not None and draft.received_at == inquiry.received_at


def test_settle_works_through_every_row_in_small_batches(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import store.settle

    monkeypatch.setattr(store.settle, "_BATCH", 2)
    build_history(engine)
    assert settle(engine, DeskHours()) == SettleResult(inquiries=6, drafts=9, rebased=False, rollup_days=-1)
    assert settle(engine, DeskHours()) == SettleResult(0, 0, False, rollup_days=0)

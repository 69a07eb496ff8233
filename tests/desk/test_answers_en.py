"""English answer-first replies, by situation and by answer kind: each test asserts the English answer sentence
and that the intent's general text (the pasted procedure) is not there; unverified senders get no contract
facts; nothing Japanese reaches an English reply except the customer's own data."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from desk.casefile import CaseFile
from desk.drafting import DraftContent, draft_reply
from intents.knowledge import load_knowledge
from intents.model import Question
from intents.questions import QUESTION_KINDS
from intents.understand import Understander
from templates import TEMPLATES_DIR
from tests.desk.resolvers.cases import DESK, OSAKA, TODAY, case
from tests.desk.test_drafting_en import japanese_outside_data

KNOWLEDGE = load_knowledge()

DUE_TABLE = "Metering day on the 2nd"  # payment_due_date's general table
PENALTY_TABLE = "Cancellation within the contract term to switch to another electricity supplier: 3"
EMERGENCY_ORDER = "please contact the following, in this order"
FIRST_CONTACT = "Thank you for contacting"
# Store data of the fixture customer, as English replies format it: never in an unverified draft.
PRIVATE = [
    "京橋第一工場",
    "堺第二倉庫",
    "EG20240123",
    "EG20250999",
    "¥216,943",
    "33.3 kW",
    "600.0 kW",
    "¥1,650",
]


def asked(c: CaseFile, *questions: Question, **said: str) -> CaseFile:
    """The case, in English, with what the question reader found."""
    u = dataclasses.replace(c.understanding, questions=tuple(questions), said=dict(said), language="en")
    return dataclasses.replace(c, understanding=u)


def draft(c: CaseFile) -> DraftContent:
    d = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE)
    assert d.language == "en"
    return d


# -- situations ---------------------------------------------------------------------------------------------


def test_english_follow_up_does_not_open_like_a_first_inquiry() -> None:
    c = dataclasses.replace(asked(case("payment_due_date"), Question("due_date_check", "27")), follow_up=True)
    text = draft(c).text
    assert "Thank you for your message." in text
    assert "Yes, the 27th is your payment due date." in text
    assert FIRST_CONTACT not in text
    assert DUE_TABLE not in text


def test_english_complaint_gets_an_apology_and_an_escalation_not_a_procedure() -> None:
    d = draft(asked(case("cancellation"), situation="complaint"))
    assert "We are very sorry for the inconvenience and concern we have caused you." in d.text
    assert "passed your comments on to the manager in charge, who will contact you personally" in d.text
    assert "Cancellation Notice" not in d.text and "multiplier" not in d.text
    assert FIRST_CONTACT not in d.text
    assert "please do not hesitate to contact us" not in d.text
    assert any("エスカレーション" in n for n in d.notes)  # staff read Japanese


def test_english_outage_that_is_over_gets_no_emergency_contact_order_and_is_not_urgent() -> None:
    d = draft(asked(case("outage"), outage_state="over"))
    assert "We are relieved to hear that the power has been restored" in d.text
    assert "Tokyo Electric Power" in d.text
    assert EMERGENCY_ORDER not in d.text
    assert not d.urgent


def test_english_outage_in_progress_keeps_the_emergency_contact_order() -> None:
    d = draft(asked(case("outage"), outage_state="ongoing"))
    assert EMERGENCY_ORDER in d.text
    assert "relieved" not in d.text
    assert d.urgent


def test_english_staff_question_gets_a_short_internal_answer_not_a_letter() -> None:
    c = dataclasses.replace(
        asked(case("contract_power", contract=OSAKA, channel="slack"), Question("overage_amount")), staff=True
    )
    text = draft(c).text
    assert text.startswith("(Internal answer)")
    assert "the excess charge is ¥28,920" in text
    assert "12.3 kW × ¥1,650 × 1.5 = ¥30,442" in text
    assert "Dear" not in text and "Kind regards" not in text
    assert "How the contract power is set depends on the type of contract" not in text


def test_english_callback_says_when_the_desk_will_call_within_business_hours() -> None:
    d = draft(asked(case("bill_inquiry"), Question("callback"), callback_time="after 2 pm"))
    # Received Wednesday 2026-06-10: the next business day is Thursday the 11th.
    assert (
        "A member of our staff will call you on Thursday, 11 June 2026 during our business hours "
        "(Weekdays 9:00–12:00 and 13:00–17:00 JST), aiming for the time you asked for (after 2 pm)." in d.text
    )
    assert any(n.startswith("【対応依頼】折り返し電話") for n in d.notes)


def test_english_callback_wished_after_desk_hours_is_offered_within_hours_and_noted() -> None:
    d = draft(asked(case("bill_inquiry"), Question("callback"), callback_time="after 6 pm"))
    assert "the time you asked for (after 6 pm) is outside our business hours" in d.text
    assert "aiming for the time you asked for" not in d.text
    assert any("受付時間外" in n for n in d.notes)


def test_english_two_contracts_get_one_penalty_each_for_the_stated_reason() -> None:
    c = asked(
        case("cancellation", contract=None, entities={"date": "2026-12-31", "cancel_reason": "switch"}),
        Question("penalty_amount"),
        cancel_reason="switch",
    )
    text = draft(c).text
    assert "The cancellation charge for each contract is as follows" in text
    assert "33.3 kW × ¥1,650 × 3 = ¥164,835" in text
    assert "600.0 kW × ¥1,650 × 3 = ¥2,970,000" in text
    assert "¥82,417" not in text and "¥1,485,000" not in text
    assert PENALTY_TABLE not in text


def test_english_switching_is_three_times_and_closure_one_and_a_half() -> None:
    switch = asked(
        # "not closing; switching to another supplier": the entity reads the negation, as the question reader does
        case("cancellation", entities={"date": "2026-12-31", "cancel_reason": "switch"}),
        cancel_reason="switch",
    )
    text = draft(switch).text
    assert "as the reason is switching to another electricity supplier, a multiplier of 3 applies" in text
    assert "¥164,835" in text and "¥82,417" not in text
    closure = asked(case("cancellation", entities={"date": "2026-12-31", "cancel_reason": "removal"}))
    text = draft(closure).text
    assert "¥82,417" in text and "¥164,835" not in text


def test_english_unverified_switch_gets_only_its_own_multiplier_not_the_table() -> None:
    text = draft(asked(case("cancellation", verified=False), cancel_reason="switch")).text
    assert '"contract power in the final month of the contract × basic charge unit price × 3"' in text
    assert PENALTY_TABLE not in text


def test_english_notice_already_given_counts_and_is_not_asked_for_again() -> None:
    c = asked(
        case("cancellation", entities={"date": "2026-07-31"}),
        Question("penalty_amount"),
        notice_sent="yes",
        notice_sent_on="2026-04-25",
    )
    d = draft(c)
    assert "Thank you for sending us the Cancellation Notice on Saturday, 25 April 2026." in d.text
    assert "as you have sent the Cancellation Notice in time, no cancellation charge applies" in d.text
    assert "¥82,417" not in d.text  # counted from today the notice would be late (×1.5)
    assert 'please submit our "Cancellation Notice" form by' not in d.text
    assert "The earliest date on which you can cancel without a cancellation charge" not in d.text


# -- answer kinds -------------------------------------------------------------------------------------------


def test_english_due_day_question_gets_yes_or_no_with_the_date_not_the_table() -> None:
    text = draft(asked(case("payment_due_date"), Question("due_date_check", "10"))).text
    assert "No, the 10th is not your payment due date." in text
    assert "the next due date is Monday, 29 June 2026" in text
    assert "Saturday, 27 June 2026, is a bank holiday" in text
    assert DUE_TABLE not in text


def test_english_due_day_question_from_an_unknown_sender_is_answered_from_their_own_metering_day() -> None:
    c = asked(
        case("payment_due_date", verified=False),
        Question("due_date_check", "10"),
        metering_day="15",
        payment_method="transfer",
    )
    d = draft(c)
    assert (
        "No. With the metering day on the 15th and payment by bank transfer, payment is due on the last day "
        "of the month after metering, so the 10th is not the due date." in d.text
    )
    assert DUE_TABLE not in d.text
    assert "計量日（検針日）" not in d.missing


def test_english_overage_is_the_amount_with_its_formula_for_a_verified_sender() -> None:
    d = draft(asked(case("contract_power", contract=OSAKA), Question("overage_amount"), excess_kw="50"))
    assert "exceeds the contract power (600.0 kW) by 50.0 kW, the excess charge is ¥117,562" in d.text
    assert "50.0 kW × ¥1,650 × 1.5 = ¥123,750" in d.text
    assert "How the contract power is set depends on the type of contract" not in d.text


def test_english_unverified_overage_gives_the_formula_with_their_number_and_no_store_data() -> None:
    d = draft(asked(case("contract_power", verified=False), Question("overage_amount"), excess_kw="15"))
    assert '"15.0 kW × basic charge unit price × 1.5 − power factor discount' in d.text
    assert not d.discloses_contract
    assert "¥1,650" not in d.text


def test_english_power_increase_effect_names_the_dates_and_both_penalties() -> None:
    d = draft(asked(case("usage_change", contract=OSAKA), Question("power_increase_effect")))
    assert (
        "With the increase of the contract power on Wednesday, 1 October 2025, the contract application date"
        in d.text
    )
    assert "A cancellation on or before Wednesday, 30 September 2026 is therefore subject to" in d.text
    assert "¥1,485,000 if the equipment is removed, ¥2,970,000 if you switch" in d.text
    assert "settlement charge" in d.text


def test_english_two_sites_bills_are_shown_side_by_side_and_checked_by_staff() -> None:
    d = draft(asked(case("bill_inquiry", contract=None), Question("compare_sites")))
    assert "Here are the latest bills of your 2 registered sites side by side:" in d.text
    assert "- 京橋第一工場 (contract no. EG20240123): ¥216,943 for usage in May 2026" in d.text
    assert "- 堺第二倉庫 (contract no. EG20250999): ¥4,345,300 for usage in May 2026" in d.text
    assert "made up as follows" not in d.text  # the single bill breakdown is not the answer
    assert any("取り違え" in n for n in d.notes)


def test_english_meter_reading_recheck_becomes_a_staff_task() -> None:
    d = draft(asked(case("bill_inquiry"), Question("recheck_reading")))
    assert "We have asked the responsible team to check the meter reading you pointed out" in d.text
    assert "usage 8,000 kWh (previous month 7,000 kWh)" in d.text
    assert '"Billing Information" on My Page' not in d.text
    assert any("検針値の確認を依頼" in n for n in d.notes)


def test_english_fuel_cap_question_gets_the_guides_answer() -> None:
    d = draft(asked(case("fee_calculation"), Question("fuel_cap")))
    assert "Yes, the fuel cost adjustment has an upper limit." in d.text


def test_english_late_charge_lists_the_unpaid_bill_and_leaves_the_decision_to_staff() -> None:
    d = draft(asked(case("payment_due_date"), Question("late_charge")))
    assert "a member of our staff will confirm this and get back to you" in d.text
    assert "- May 2026: ¥216,943 (due Monday, 29 June 2026)" in d.text
    assert any("延滞金" in n for n in d.notes)


# -- identity rule and language -----------------------------------------------------------------------------

UNVERIFIED: dict[str, Callable[[], CaseFile]] = {
    "due_date_check": lambda: asked(
        case("payment_due_date", verified=False), Question("due_date_check", "27")
    ),
    "overage_amount": lambda: asked(
        case("contract_power", verified=False), Question("overage_amount"), excess_kw="20"
    ),
    "penalty_amount": lambda: asked(case("cancellation", verified=False), Question("penalty_amount")),
    "power_increase_effect": lambda: asked(
        case("usage_change", verified=False), Question("power_increase_effect")
    ),
    "compare_sites": lambda: asked(case("bill_inquiry", verified=False), Question("compare_sites")),
    "recheck_reading": lambda: asked(case("bill_inquiry", verified=False), Question("recheck_reading")),
    "fuel_cap": lambda: asked(case("fee_calculation", verified=False), Question("fuel_cap")),
    "late_charge": lambda: asked(case("payment_due_date", verified=False), Question("late_charge")),
    "callback": lambda: asked(
        case("bill_inquiry", verified=False), Question("callback"), callback_time="after 3 pm"
    ),
}


@pytest.mark.parametrize("kind", sorted(UNVERIFIED))
def test_english_answers_to_an_unverified_sender_carry_no_contract_facts(kind: str) -> None:
    d = draft(UNVERIFIED[kind]())
    assert not d.discloses_contract
    assert [p for p in PRIVATE if p in d.text] == []
    assert japanese_outside_data(d.text) == []


VERIFIED: dict[str, Callable[[], CaseFile]] = {
    "due_date_check": lambda: asked(case("payment_due_date"), Question("due_date_check", "27")),
    "overage_amount": lambda: asked(case("contract_power", contract=OSAKA), Question("overage_amount")),
    "penalty_amount": lambda: asked(case("cancellation", contract=None), Question("penalty_amount")),
    "power_increase_effect": lambda: asked(
        case("usage_change", contract=OSAKA), Question("power_increase_effect")
    ),
    "compare_sites": lambda: asked(case("bill_inquiry", contract=None), Question("compare_sites")),
    "recheck_reading": lambda: asked(case("bill_inquiry"), Question("recheck_reading")),
    "fuel_cap": lambda: asked(case("fee_calculation"), Question("fuel_cap")),
    "late_charge": lambda: asked(case("payment_due_date"), Question("late_charge")),
    "callback": lambda: asked(case("bill_inquiry"), Question("callback"), callback_time="after 3 pm"),
    "complaint": lambda: asked(case("outage"), situation="complaint"),
    "follow_up": lambda: asked(case("cancellation"), situation="follow_up", notice_sent="yes"),
    "outage_over": lambda: asked(case("outage"), outage_state="over"),
    "staff": lambda: dataclasses.replace(
        asked(case("bill_inquiry", channel="slack"), Question("recheck_reading")), staff=True
    ),
}


@pytest.mark.parametrize("name", sorted(VERIFIED))
def test_no_japanese_in_an_english_answer_except_the_customers_own_data(name: str) -> None:
    d = draft(VERIFIED[name]())
    assert japanese_outside_data(d.text) == []
    assert d.text.strip()


def test_an_english_inquiry_read_end_to_end_is_answered_first_in_english() -> None:
    """From the raw English text: the question reader finds the day asked and the metering day given."""
    text = (
        "Hello, our metering day is the 15th and we pay by bank transfer. Is the 10th our payment due date?"
    )
    u = Understander.load().understand(text, received=TODAY)
    c = dataclasses.replace(
        case("payment_due_date", verified=False), understanding=dataclasses.replace(u, language="en")
    )
    d = draft(c)
    assert "No. With the metering day on the 15th and payment by bank transfer" in d.text
    assert DUE_TABLE not in d.text


def test_a_request_to_end_the_contract_is_a_cancellation_even_when_the_classifier_read_nothing() -> None:
    c = case("other", entities={"date": "2027-01-31"})
    d = draft(asked(c, cancel_request="yes", cancel_reason="removal"))
    assert d.intents == ["cancellation"]
    assert "33.3 kW × ¥1,650 × 1.5 = ¥82,417" in d.text


def test_a_reason_alone_does_not_make_a_cancellation() -> None:
    # "We are moving our head office; please update the billing address" reads as a removal reason.
    d = draft(asked(case("other"), cancel_reason="removal"))
    assert d.intents == ["other"]
    assert "Cancellation Notice" not in d.text


def test_the_callback_names_the_phone_number_as_the_customer_wrote_it() -> None:
    c = case(
        "bill_inquiry", entities={"phone": "0312345678"}, body="Please ring me on 03-1234-5678 after 4 pm."
    )
    d = draft(asked(c, Question("callback"), callback_time="after 4 pm"))
    assert "A member of our staff will call you at 03-1234-5678 on Thursday, 11 June 2026" in d.text


def test_english_addressee_from_the_signature_when_the_store_has_none() -> None:
    c = dataclasses.replace(
        asked(
            case("password_reset", verified=False), signer_company="Acme Japan K.K.", signer_name="John Smith"
        ),
        sender_name="問い合わせ者",
    )
    text = draft(c).text
    assert text.startswith("Acme Japan K.K.\nDear John Smith,\n")
    assert "問い合わせ者" not in text


def test_a_romanised_signer_is_not_flagged_as_someone_other_than_the_registered_contact() -> None:
    c = dataclasses.replace(
        asked(case("billing_address_change"), signer_name="Mariko Takada"), sender_name=""
    )
    assert not any("Mariko Takada" in n for n in draft(c).notes)


def test_an_answer_replaces_the_generic_other_text() -> None:
    d = draft(asked(case("other"), Question("late_charge")))
    assert "a member of our staff will confirm this and get back to you" in d.text
    assert "A member of our staff will review your inquiry" not in d.text


def test_every_answer_kind_has_an_english_template() -> None:
    japanese = {p.stem for p in (TEMPLATES_DIR / "answers").glob("*.j2")}
    english = {p.stem for p in (TEMPLATES_DIR / "en" / "answers").glob("*.j2")}
    assert japanese == english
    # Every question kind is answered by a template of its own or by its procedure's section.
    assert japanese <= set(QUESTION_KINDS)

"""English questions and what an English sender already said, read from the same data (faq/questions.toml)."""

from __future__ import annotations

from datetime import date

import pytest

from intents.dates_en import english_dates, requested_date
from intents.model import Question
from intents.questions import extract_questions
from intents.understand import Understander

TODAY = date(2026, 6, 10)


def read(text: str) -> tuple[tuple[Question, ...], dict[str, str]]:
    return extract_questions(text, raw=text, received=TODAY)


def kinds(text: str) -> list[str]:
    return [q.kind for q in read(text)[0]]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Our metering day is the 15th. Is the 10th my due date?", "10"),
        ("Is the 27th the direct debit date for our contract?", "27"),
        ("Is my payment due on the 6th?", "6"),
        ("If we pay by the 20th, is that in time?", "20"),
        ("Am I right that the money leaves our account on the 6th of the next month?", "6"),
    ],
)
def test_an_english_yes_no_on_a_due_day_names_the_day_asked(text: str, day: str) -> None:
    assert Question("due_date_check", day) in read(text)[0]


def test_english_metering_day_and_payment_method_are_kept_as_already_said() -> None:
    _, said = read("Our metering day is the 15th and we pay by bank transfer.")
    assert said["metering_day"] == "15"
    assert said["payment_method"] == "transfer"
    assert read("We pay by direct debit.")[1]["payment_method"] == "debit"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("How much is the penalty if we cancel on 31 March 2027?", "penalty_amount"),
        ("Will we have to pay a cancellation charge?", "penalty_amount"),
        (
            "If our demand exceeds the contract power by 50 kW, how much would the excess charge be?",
            "overage_amount",
        ),
        (
            "We increased our contract power last year. Would cancelling now incur a penalty?",
            "power_increase_effect",
        ),
        ("I think the bills for our two sites are mixed up.", "compare_sites"),
        ("The meter reading on our bill doesn't match the meter. Could you re-check it?", "recheck_reading"),
        ("Is there a cap on the fuel cost adjustment?", "fuel_cap"),
        ("What happens if we pay late? Is there a late payment charge?", "late_charge"),
        ("Please call me back, I would rather discuss this by phone.", "callback"),
        ("When is the payment deadline for bank transfer?", "due_date_when"),
        ("Is the end of the month the deadline?", "due_date_when"),
        ("On which date will the May bill be debited from our account?", "due_date_when"),
        ("Please let us know the amount of any early termination penalty.", "penalty_amount"),
        ("What will we owe you for leaving early?", "penalty_amount"),
        ("We are thinking about ending our contract next year. Is there a fee?", "penalty_amount"),
        (
            "If peak demand goes over the contracted 600 kW by 30 kW, how much extra will we pay?",
            "overage_amount",
        ),
        ("How is the excess charge calculated?", "overage_amount"),
        ("I think there is a mistake in the meter reading for May.", "recheck_reading"),
        ("Do you charge interest on overdue amounts?", "late_charge"),
    ],
)
def test_each_english_question_kind_is_read(text: str, kind: str) -> None:
    assert kind in kinds(text)


def test_an_exceeding_penalty_is_an_overage_question_not_a_cancellation_one() -> None:
    found = kinds("What is the penalty for exceeding our contract power by 20 kW? How much would it be?")
    assert "penalty_amount" not in found
    assert read("We went over our contract power by 20 kW.")[1]["excess_kw"] == "20"


def test_a_call_declined_is_no_callback_and_a_time_is_kept_only_with_a_call() -> None:
    assert "callback" not in kinds("Please do not call me, email is fine.")
    questions, said = read("Please call me back after 2 pm.")
    assert Question("callback") in questions
    assert said["callback_time"] == "after 2 pm"
    assert "callback_time" not in read("The outage started after 2 pm.")[1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("We are switching to another electricity supplier.", "switch"),
        ("We have found a cheaper supplier and will change suppliers.", "switch"),
        ("We are closing the factory at the end of the year.", "removal"),
        ("The building will be demolished.", "removal"),
        ("We are closing the factory, not switching to another supplier.", "removal"),
        ("We are not closing the plant; we are moving to a new supplier.", "switch"),
        ("We got a better quote from a competitor and will sign with them.", "switch"),
    ],
)
def test_english_cancellation_reason_knows_switching_from_closure_and_negation(
    text: str, reason: str
) -> None:
    assert read(text)[1]["cancel_reason"] == reason


def test_english_notice_already_sent_keeps_its_date_in_the_past() -> None:
    _, said = read("We already sent the cancellation notice on 20 May. Please confirm you received it.")
    assert said["notice_sent"] == "yes"
    assert said["notice_sent_on"] == "2026-05-20"


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("The outage is over now; the power came back at 3 pm.", "over"),
        ("Power was restored after about an hour.", "over"),
        ("There was a 10-minute power cut last night.", "over"),
        ("We have no power at the factory right now!", "ongoing"),
        ("The power is still out and has not been restored.", "ongoing"),
    ],
)
def test_english_outage_over_or_ongoing(text: str, state: str) -> None:
    assert read(text)[1]["outage_state"] == state


@pytest.mark.parametrize(
    ("text", "situation"),
    [
        ("We have asked three times and still have no answer.", "complaint"),
        ("Your answers are far too slow.", "complaint"),
        ("This is unacceptable. I want to speak to a manager.", "complaint"),
        ("Following up on my previous email about the invoice.", "follow_up"),
        ("Thank you for your reply. One more question:", "follow_up"),
    ],
)
def test_english_situation_complaint_or_follow_up(text: str, situation: str) -> None:
    assert read(text)[1]["situation"] == situation


def test_name_only_in_english() -> None:
    assert read("Only our company name is changing; it is the same legal entity.")[1]["name_only"] == "yes"


def test_english_dates_without_a_year_are_read_like_the_japanese_reader() -> None:
    # The first such day from 31 days before the message on: 1 June is nine days ago, 1 May is next year.
    assert english_dates("cancel on 31 March 2027 or March 31st, 2027", received=TODAY) == [
        date(2027, 3, 31),
        date(2027, 3, 31),
    ]
    assert english_dates("at the end of September", received=TODAY) == [date(2026, 9, 30)]
    assert english_dates("on 1 June", received=TODAY) == [date(2026, 6, 1)]
    assert english_dates("on 1 May", received=TODAY) == [date(2027, 5, 1)]
    assert english_dates("may I ask something", received=TODAY) == []


def test_an_english_cancellation_date_becomes_the_date_entity_not_the_notice_date() -> None:
    understander = Understander.load()
    u = understander.understand(
        "We sent the cancellation notice on 20 May. We wish to cancel at the end of September.",
        received=TODAY,
    )
    assert u.said["notice_sent_on"] == "2026-05-20"
    assert u.entities["date"] == "2026-09-30"


def test_japanese_text_gets_no_english_reading() -> None:
    questions, said = read("計量日は15日なのですが、10日が支払期日でしょうか？午後2時以降にお電話ください。")
    assert said["callback_time"] == "午後2時以降"
    assert Question("due_date_check", "10") in questions


def test_a_deadline_for_the_cancellation_notice_is_not_a_payment_due_date_question() -> None:
    assert "due_date_when" not in kinds("What is the deadline for the cancellation notice?")


def test_a_wish_to_change_to_bank_transfer_is_not_the_payment_method_used() -> None:
    assert "payment_method" not in read("We would like to change our payment to bank transfer.")[1]


@pytest.mark.parametrize(
    "text",
    [
        "We help companies cut electricity costs by 20%. Reply to this email or call us at 03-5555-1111.",
        "I will be out of the office until 20 June. For urgent matters please contact my colleague.",
        "Please could you send me a copy of the May invoice as a PDF?",
        "Is the supply voltage at our site 6,600 V?",
    ],
)
def test_english_messages_that_ask_none_of_these_questions_get_none(text: str) -> None:
    questions, said = read(text)
    assert questions == ()
    assert not {"cancel_reason", "cancel_request", "notice_sent", "outage_state", "situation"} & set(said)


def test_a_plant_closed_for_maintenance_is_no_cancellation_reason() -> None:
    assert "cancel_reason" not in read("Our plant will be closed for maintenance from 10 to 12 August.")[1]


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Please cancel our contract effective 31 December 2026.", True),
        ("We need to terminate the supply contract for that site.", True),
        ("解約の手続きをお願いします。", True),
        ("We are not cancelling the contract, only lowering the contract power.", False),
    ],
)
def test_a_request_to_end_the_contract_is_read(text: str, asked: bool) -> None:
    assert ("cancel_request" in read(text)[1]) is asked


def test_the_requested_date_is_the_one_after_as_of_or_cancel_not_the_first_one() -> None:
    text = "We move to a new provider from 1 Jan. Cancel as of 31 Dec 2026 please."
    assert requested_date(text, received=TODAY) == date(2026, 12, 31)
    assert requested_date("See you on 3 July.", received=TODAY) == date(2026, 7, 3)


def test_an_english_signature_gives_the_company_and_the_person() -> None:
    text = (
        "Is the 10th OK?\n\nBest regards,\nJohn Smith\nFacilities Manager\nAcme Japan K.K.\nTel 03-1111-2222"
    )
    _, said = read(text)
    assert said["signer_company"] == "Acme Japan K.K."
    assert said["signer_name"] == "John Smith"

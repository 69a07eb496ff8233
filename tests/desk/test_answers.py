"""Answer first, by situation: each test asserts the answer sentence and that the intent's general text
(the pasted procedure) is not there."""

from __future__ import annotations

import dataclasses

from desk.casefile import CaseFile
from desk.drafting import DraftContent, draft_reply
from intents.knowledge import load_knowledge
from intents.model import Question
from tests.desk.resolvers.cases import DESK, OSAKA, case

KNOWLEDGE = load_knowledge()

DUE_TABLE = "計量日が2日のご契約"  # payment_due_date's general table
PENALTY_TABLE = "契約期間の途中で、他の電力会社へお切替の場合：3倍"  # cancellation's general table
EMERGENCY_ORDER = "次の順にご連絡をお願いいたします"
FIRST_CONTACT = "このたびはお問い合わせいただき"


def asked(c: CaseFile, *questions: Question, **said: str) -> CaseFile:
    """The case with what the question reader found (intents.questions)."""
    u = dataclasses.replace(c.understanding, questions=tuple(questions), said=dict(said))
    return dataclasses.replace(c, understanding=u)


def draft(c: CaseFile) -> DraftContent:
    return draft_reply(c, desk=DESK, knowledge=KNOWLEDGE)


def test_due_day_question_gets_yes_or_no_with_the_date_not_the_table() -> None:
    text = draft(asked(case("payment_due_date"), Question("due_date_check", "10"))).text
    assert "いいえ、10日はお支払期日ではございません。" in text
    assert "次回は2026年6月29日（月）です" in text
    assert DUE_TABLE not in text


def test_due_day_question_from_an_unknown_sender_is_answered_from_their_own_metering_day() -> None:
    c = asked(
        case("payment_due_date", verified=False),
        Question("due_date_check", "10"),
        metering_day="15",
        payment_method="transfer",
    )
    d = draft(c)
    assert (
        "いいえ、計量日が毎月15日で銀行振込の場合、期日は計量日の翌月末日ですので、10日ではございません。"
        in d.text
    )
    assert DUE_TABLE not in d.text
    assert "計量日（検針日）" not in d.missing


def test_follow_up_does_not_open_like_a_first_inquiry() -> None:
    c = dataclasses.replace(asked(case("payment_due_date"), Question("due_date_check", "27")), follow_up=True)
    text = draft(c).text
    assert "ご連絡いただき、ありがとうございます。" in text
    assert "はい、27日がお支払期日です。" in text
    assert FIRST_CONTACT not in text


def test_complaint_gets_an_apology_and_an_escalation_not_a_procedure() -> None:
    d = draft(asked(case("cancellation"), situation="complaint"))
    assert "心よりお詫び申し上げます" in d.text
    assert "責任者より改めてご連絡いたします" in d.text
    assert "解約違約金は「契約最終月の契約電力" not in d.text
    assert FIRST_CONTACT not in d.text
    assert "お気軽にお問い合わせください" not in d.text
    assert any("エスカレーション" in n for n in d.notes)


def test_outage_that_is_over_gets_no_emergency_contact_order_and_is_not_urgent() -> None:
    d = draft(asked(case("outage"), outage_state="over"))
    assert "停電が復旧したとのこと、安心いたしました。" in d.text
    assert EMERGENCY_ORDER not in d.text
    assert not d.urgent


def test_outage_in_progress_keeps_the_emergency_contact_order() -> None:
    d = draft(asked(case("outage"), outage_state="ongoing"))
    assert EMERGENCY_ORDER in d.text
    assert d.urgent


def test_staff_question_gets_a_short_internal_answer_not_a_letter() -> None:
    c = dataclasses.replace(
        asked(case("contract_power", contract=OSAKA, channel="slack"), Question("overage_amount")), staff=True
    )
    text = draft(c).text
    assert text.startswith("（社内向け回答）")
    assert "契約超過金は、28,920円です" in text
    assert "いつもお世話になっております" not in text
    assert "何卒よろしくお願い申し上げます" not in text
    assert "実量制（契約電力500kW未満）" not in text


def test_callback_says_when_the_desk_will_call_within_business_hours() -> None:
    c = asked(case("bill_inquiry"), Question("callback"), callback_time="午後2時以降")
    d = draft(c)
    # Received Wednesday 2026-06-10: the next business day is Thursday the 11th.
    assert (
        "2026年6月11日（木）の受付時間内（平日 9:00～12:00／13:00～17:00）、ご希望の午後2時以降を目安に、"
        "担当者よりお電話いたします。" in d.text
    )
    assert any(n.startswith("【対応依頼】折り返し電話") for n in d.notes)


def test_two_contracts_get_one_penalty_each_for_the_stated_reason() -> None:
    c = asked(
        case("cancellation", contract=None, entities={"date": "2026-12-31", "cancel_reason": "switch"}),
        Question("penalty_amount"),
        cancel_reason="switch",
    )
    text = draft(c).text
    assert "33.3kW × 1,650円 × 3 ＝ 164,835円" in text
    assert "600.0kW × 1,650円 × 3 ＝ 2,970,000円" in text
    assert "82,417円" not in text and "1,485,000円" not in text
    assert PENALTY_TABLE not in text


def test_switching_is_three_times_and_closure_one_and_a_half() -> None:
    switch = asked(
        # 「閉鎖ではなく他社へ切り替え」: the entity reads the negation (faq/entities.toml), as the question reader does
        case("cancellation", entities={"date": "2026-12-31", "cancel_reason": "switch"}),
        cancel_reason="switch",
    )
    text = draft(switch).text
    assert "ご解約の理由が他の電力会社へのお切替ですので3倍が適用され" in text
    assert "164,835円" in text and "82,417円" not in text
    closure = case("cancellation", entities={"date": "2026-12-31", "cancel_reason": "removal"})
    text = draft(closure).text
    assert "82,417円" in text and "164,835円" not in text


def test_unverified_switch_gets_only_its_own_multiplier_not_the_table() -> None:
    text = draft(asked(case("cancellation", verified=False), cancel_reason="switch")).text
    assert "契約最終月の契約電力 × 基本料金単価 × 3」がかかります" in text
    assert PENALTY_TABLE not in text


def test_notice_already_given_counts_and_is_not_asked_for_again() -> None:
    c = asked(
        case("cancellation", entities={"date": "2026-07-31"}),
        Question("penalty_amount"),
        notice_sent="yes",
        notice_sent_on="2026-04-25",
    )
    d = draft(c)
    assert "解約通知書は2026年4月25日（土）にお送りいただいたとのこと" in d.text
    assert "解約違約金はかかりません" in d.text
    assert "82,417円" not in d.text  # counted from today the notice would be late (×1.5)
    assert "までに弊社所定の「解約通知書」をご提出ください" not in d.text
    assert "違約金のかからない最も早いご解約日" not in d.text


def test_meter_reading_recheck_becomes_a_staff_task() -> None:
    d = draft(asked(case("bill_inquiry"), Question("recheck_reading")))
    assert "担当部署に確認を依頼いたしました" in d.text
    assert "マイページの「ご請求情報照会」" not in d.text
    assert any("検針値の確認を依頼" in n for n in d.notes)


def test_addressee_from_the_signature_when_the_store_has_none() -> None:
    c = dataclasses.replace(
        asked(
            case("password_reset", verified=False), signer_company="株式会社丸山工業", signer_name="丸山 次郎"
        ),
        sender_name="問い合わせ者",
    )
    text = draft(c).text
    assert text.startswith("株式会社丸山工業\n丸山 次郎 様\n")
    assert "問い合わせ者 様" not in text


def test_signer_other_than_the_registered_contact_is_a_staff_note() -> None:
    c = dataclasses.replace(asked(case("billing_address_change"), signer_name="山本 健一"), sender_name="")
    notes = draft(c).notes
    assert any("山本 健一" in n and "高田 真理子" in n for n in notes)


def test_unverified_answers_carry_no_store_data() -> None:
    c = asked(case("contract_power", verified=False), Question("overage_amount"), excess_kw="15")
    d = draft(c)
    assert "15.0kW × 基本料金単価 × 1.5" in d.text
    assert not d.discloses_contract
    assert "1,650円" not in d.text


def test_callback_wished_after_desk_hours_is_offered_within_hours_and_noted() -> None:
    d = draft(asked(case("bill_inquiry"), Question("callback"), callback_time="午後6時以降"))
    assert "ご希望の午後6時以降は弊社の受付時間（平日 9:00～12:00／13:00～17:00）外のため" in d.text
    assert "ご希望の午後6時以降を目安に" not in d.text
    assert any("受付時間外" in n for n in d.notes)

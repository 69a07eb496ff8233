import datetime as dt

import pytest

from desk.resolvers import RESOLVERS, resolve
from desk.resolvers.base import detectable_keys, given_keys
from desk.resolvers.general import months_before
from desk.resolvers.name_change import RENAME, TAKEOVER, document_deadline, name_change_kind
from intents.knowledge import load_knowledge
from intents.model import INTENT_IDS
from tests.desk.resolvers.cases import OSAKA, TOKYO, case, knowledge


def test_every_intent_has_a_resolver() -> None:
    assert set(RESOLVERS) == set(INTENT_IDS)


@pytest.mark.parametrize("intent", INTENT_IDS)
def test_no_resolver_returns_contract_data_for_an_unverified_case(intent: str) -> None:
    result = resolve(intent, case(intent, verified=False, entities={"date": "2027-03-31"}), knowledge())
    assert result.contract is None


def test_every_need_the_knowledge_files_declare_can_be_recognised_as_given() -> None:
    declared = {(i, n.key) for i, info in load_knowledge().intents.items() for n in info.needs}
    assert {pair for pair in declared if pair[1] not in detectable_keys()} == set()


def test_name_change_deadline_reproduces_the_guides_example() -> None:
    # Seed 004 § 6: change on April 1 → documents by February 14.
    assert document_deadline(dt.date(2027, 4, 1)) == dt.date(2027, 2, 14)
    assert document_deadline(dt.date(2027, 4, 30)) == dt.date(2027, 2, 14)
    assert document_deadline(dt.date(2027, 1, 1)) == dt.date(2026, 11, 14)
    assert document_deadline(dt.date(2027, 2, 20)) == dt.date(2026, 12, 14)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("10月1日付で社名変更いたします", RENAME),
        ("商号変更に伴い名義を変えたい", RENAME),
        ("工場を別会社に譲渡します", TAKEOVER),
        ("事業承継で新会社が引き継ぎます", TAKEOVER),
        ("名義を変えたいです", None),
    ],
)
def test_name_change_kind_is_read_from_the_text(text: str, kind: str | None) -> None:
    assert name_change_kind(text) == kind


def test_takeover_draft_lists_only_the_new_holder_checks() -> None:
    result = resolve("name_change", case("name_change", body="別会社に事業を譲渡します"), knowledge())
    assert result.facts["kind"] == TAKEOVER
    assert result.contract is not None and result.contract["applied_on"] == dt.date(2024, 8, 1)


def test_name_change_deadline_already_passed_is_noted() -> None:
    result = resolve("name_change", case("name_change", entities={"date": "2026-07-01"}), knowledge())
    assert result.facts["document_deadline"] == dt.date(2026, 5, 14)
    assert result.facts["deadline_passed"] is True
    assert any("2026-05-14" in n for n in result.notes)


def test_cancellation_after_the_notice_deadline_is_not_reachable_and_noted() -> None:
    # Term end 2026-07-31 needs notice by 2026-04-30; today is 2026-06-10.
    c = case("cancellation", entities={"date": "2026-07-31"})
    result = resolve("cancellation", c, knowledge())
    assert result.contract is not None
    assert result.contract["reachable"] is False
    assert result.contract["multiplier"] == 1.5
    assert result.contract["penalty_yen"] == 82417  # 33.3 × 1,650 × 1.5 = 82,417.5
    assert result.contract["earliest_free_date"] == dt.date(2027, 7, 31)
    assert any("期限" in n for n in result.notes)


def test_cancellation_reason_is_the_entitys_before_the_question_readers() -> None:
    # 「キュービクルを撤去し低圧で受電」: the question reader knows only switch and removal and says removal;
    # the entity says other (a change of supply type), which has no multiplier: staff decide.
    c = case("cancellation", entities={"date": "2026-12-31", "cancel_reason": "other"})
    c.understanding.said["cancel_reason"] = "removal"
    result = resolve("cancellation", c, knowledge())
    assert result.facts["reason"] == "other"
    assert result.facts["reason_multiplier"] is None
    # without an entity the question reader's reason is still used
    c = case("cancellation", entities={"date": "2026-12-31"})
    c.understanding.said["cancel_reason"] = "removal"
    assert resolve("cancellation", c, knowledge()).facts["reason"] == "removal"


def test_cancellation_without_a_date_uses_the_next_term_end() -> None:
    result = resolve("cancellation", case("cancellation"), knowledge())
    assert result.contract is not None
    assert result.contract["cancel_on"] == dt.date(2026, 7, 31)
    assert result.contract["cancel_on_given"] is False


def test_due_date_for_transfer_with_metering_day_one_counts_thirty_days() -> None:
    # OSAKA: metering day 1, transfer: metered 2026-06-01 → 30th day from 06-02 = 2026-07-01 (Wed).
    result = resolve("payment_due_date", case("payment_due_date", contract=OSAKA), knowledge())
    assert result.contract is not None
    assert result.contract["due_date"] == dt.date(2026, 7, 1)
    assert result.contract["shifted"] is False


def test_jitsuryo_contract_power_is_the_twelve_month_maximum() -> None:
    result = resolve("contract_power", case("contract_power", contract=TOKYO), knowledge())
    assert result.contract is not None
    assert str(result.contract["jitsuryo_kw"]) == "33.3"
    assert result.contract["must_move_to_kyogi"] is False
    assert result.contract["overage"] is None


def test_outage_names_the_utility_from_the_senders_own_supply_point_id_even_unverified() -> None:
    c = case("outage", verified=False, entities={"supply_point_id": "0600999988887777666655"})
    result = resolve("outage", c, knowledge())
    assert result.urgent is True
    assert result.facts["utility"] == "関西電力"
    assert result.contract is None


def test_verified_customer_with_two_contracts_and_none_named_is_asked_which() -> None:
    c = case("payment_due_date", contract=None)
    result = resolve("payment_due_date", c, knowledge())
    assert result.contract is None
    assert [n.key for n in result.missing] == ["contract"]


def test_given_keys_reads_dates_reasons_and_text() -> None:
    c = case(
        "billing_address_change",
        verified=False,
        entities={"date": "2026-07-01", "cancel_reason": "switch", "phone": "0312345678"},
        body="送付先を〒104-0031 東京都中央区京橋に変更。来月から",
    )
    keys = given_keys(c)
    assert {
        "desired_date",
        "change_date",
        "reason",
        "callback_phone",
        "new_address",
        "effective_from",
    } <= keys
    assert "contract" not in keys and "customer_no" not in keys


def test_unknown_identifier_counts_as_given_only_for_an_unverified_sender() -> None:
    # Asking an unknown sender again for exactly the unknown number would tell them it does not exist.
    unverified = case(
        "bill_inquiry", verified=False, entities={"contract_no": "EG99999999"}, unknown_ids=("EG99999999",)
    )
    assert "contract_no" in given_keys(unverified)
    verified = case(
        "bill_inquiry", contract=None, entities={"contract_no": "EG99999999"}, unknown_ids=("EG99999999",)
    )
    assert "contract_no" not in given_keys(verified)


def test_months_before_clamps_to_the_month_end() -> None:
    assert months_before(dt.date(2026, 9, 15), 2) == dt.date(2026, 7, 15)
    assert months_before(dt.date(2026, 4, 30), 2) == dt.date(2026, 2, 28)

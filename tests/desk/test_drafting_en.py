"""English inquiries get English drafts: for every intent the verified draft carries the hand-computed facts
in English, the unverified one carries none of them and asks for the identifiers in English, and no Japanese
wording of the templates reaches the text (only the customer's own data: names, sites, addresses). What staff
read (the missing list, the notes) stays Japanese."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.wiring import desk_info
from desk.casefile import CaseFile, ContractView
from desk.drafting import DraftContent, draft_reply, leftover_problems
from desk.english import has_need_label, need_label, normalise_language
from desk.resolvers.base import ID_NEEDS, Need
from intents.knowledge import load_knowledge
from intents.model import INTENT_IDS
from templates import TEMPLATES_DIR
from tests.desk.resolvers.cases import CUSTOMER, DESK, OSAKA, TOKYO, case, knowledge

KNOWLEDGE = load_knowledge()

# Contract data of TOKYO that must never reach an unverified sender (English formatting).
ALWAYS_PRIVATE = ["京橋第一工場", "EG20240123", "30012345", "¥216,943", "33.3 kW", "京橋二丁目"]

# Store and sender data that may legitimately be Japanese inside an English reply.
DATA = sorted(
    {
        CUSTOMER.name,
        CUSTOMER.contact_person,
        CUSTOMER.billing_address,
        CUSTOMER.billing_addressee,
        *(v for c in (TOKYO, OSAKA) for v in (c.facility_name, c.billing_address, c.billing_addressee)),
    },
    key=len,
    reverse=True,
)
# Hiragana, katakana, CJK ideographs, Japanese punctuation and full-width forms.
JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def english(c: CaseFile) -> CaseFile:
    return replace(c, understanding=replace(c.understanding, language="en"))


def japanese_outside_data(text: str) -> list[str]:
    for value in DATA:
        text = text.replace(value, "")
    return [line for line in text.splitlines() if JAPANESE.search(line)]


@dataclass(frozen=True)
class Example:
    intent: str
    present: list[str]  # in the verified English draft, hand-computed
    private: list[str] = field(default_factory=list)  # absent from the unverified draft
    entities: dict[str, str] = field(default_factory=dict)
    body: str = ""
    contract: ContractView = TOKYO
    asks_ids: bool = True  # the unverified draft asks for the customer and contract numbers


EXAMPLES = [
    Example(
        "mypage_login",
        [
            "started on Thursday, 1 August 2024",
            'Your login ID is "30012345"',
            "No matching information exists",
        ],
        ["1 August 2024"],
        asks_ids=False,
    ),
    Example(
        "password_reset",
        ['Your login ID is "30012345"', "about 120 minutes", "10 to 16 characters"],
        asks_ids=False,
    ),
    Example(
        "account_info_change", ["up to 20 characters", "up to 12 characters", "logged out"], asks_ids=False
    ),
    Example(
        "usage_data",
        ["8,000 kWh for May 2026 (maximum demand 30.0 kW)", "CSV or Excel", "drop-down list"],
        ["8,000 kWh", "30.0 kW"],
    ),
    Example(
        "bill_inquiry",
        [
            "The bill for your usage in May 2026 (contract no. EG20240123, 京橋第一工場) is ¥216,943",
            "- Basic charge: ¥46,703",
            "- Energy charge: ¥148,000",
            "- Fuel cost adjustment: −¥9,600",
            "- Renewable energy surcharge: ¥31,840",
            "Compared with the previous month (usage in April 2026, ¥197,063), the bill has changed by +¥19,880",
            "- Energy charge: ¥129,500 → ¥148,000 (+¥18,500)",
            # fuel: Δkwh × previous unit = 1,000 × −1.00 = −1,000; the unit change takes the rest (−1,600)
            "Effect of usage changing from 7,000 kWh to 8,000 kWh: −¥1,000",
            "Effect of the fuel cost adjustment unit price changing from −¥1 to −¥1.2 per kWh: −¥1,600",
            "is due on Monday, 29 June 2026",
        ],
        ["¥46,703", "¥197,063", "¥19,880"],
        body="Why is this month's bill higher than last month's?",
    ),
    Example(
        "invoice_download", ["The latest billing month", "is May 2026 (¥216,943)", "pop-ups"], ["May 2026 ("]
    ),
    Example(
        "billing_address_change",
        [
            "Address: 東京都中央区京橋二丁目2番1号",
            "Addressee: 株式会社オオタ冷機 経理部",
            "Change Delivery Address",
        ],
        ["株式会社オオタ冷機 経理部"],
    ),
    Example("payment_method", ["is currently paid by direct debit", "please call"], ["paid by direct debit"]),
    Example(
        "payment_due_date",
        [
            "metering day on the 15th of each month and is paid by direct debit",
            "The next debit date is Monday, 29 June 2026 (for the meter reading of 15 May 2026)",
            "The regular debit date, Saturday, 27 June 2026, is a bank holiday",
        ],
        ["29 June 2026", "27 June 2026", "15th"],
    ),
    Example(
        "consolidated_billing",
        [
            "You currently have 2 contracts",
            "Contract no. EG20240123 is paid by direct debit",
            "only when you pay by bank transfer",
        ],
        ["2 contracts", "梅田"],
    ),
    Example(
        "fee_calculation",
        [
            "33.3 kW × ¥1,650 × (185 − 100) ÷ 100 = ¥46,703",
            "8,000 kWh × ¥18.5 = ¥148,000",
            "8,000 kWh × −¥1.2 = −¥9,600",
            "8,000 kWh × ¥3.98 = ¥31,840",
            "Total: ¥216,943",
        ],
        ["¥148,000", "¥31,840"],
    ),
    Example(
        "voltage_frequency",
        [
            "is in the Tokyo area (Tokyo Electric Power), where the frequency is 50 Hz",
            "The supply voltage is high voltage",
        ],
        ["Tokyo area"],
        asks_ids=False,
    ),
    Example(
        "name_change",
        [
            "the documents must reach us by Sunday, 14 February 2027",
            "(current invoice address: 東京都中央区京橋二丁目2番1号",
            "(you currently pay by direct debit)",
        ],
        ["current invoice address", "you currently pay by direct debit"],
        entities={"date": "2027-04-01"},
        body="We are changing our company name on 1 April. The new name is 「オオタ冷機ホールディングス株式会社」",
    ),
    Example(
        "pas_open",
        [
            "The local utility for your contract",
            "is Tokyo Electric Power.",
            "well before the planned date of Saturday, 4 July 2026",
        ],
        ["Tokyo Electric Power"],
        entities={"date": "2026-07-04"},
        asks_ids=False,
    ),
    Example(
        "equipment_work",
        [
            "For work planned on Tuesday, 15 September 2026, please contact us by Wednesday, 15 July 2026",
            "currently has a contract power of 33.3 kW",
        ],
        ["Tokyo Electric Power"],
        entities={"date": "2026-09-15"},
    ),
    Example(
        "contract_power",
        [
            "is 600.0 kW, under a negotiated contract (kyogi-sei)",
            "- May 2026: 612.3 kW",
            # 12.3 kW × 1,650 × 1.5 = 30,442.5; PF 90 %: 5 % discount = 1,522.125; 28,920.375 → 28,920 yen
            "12.3 kW × ¥1,650 × 1.5 = ¥30,442.5",
            "Power factor discount: ¥30,442.5 × (90% − 85%) = ¥1,522.125",
            "Excess charge (fractions of a yen rounded down): ¥28,920",
        ],
        ["612.3 kW", "¥28,920", "堺第二倉庫", "EG20250999"],
        contract=OSAKA,
    ),
    Example(
        "usage_change",
        [
            "contract application date of your contract (contract no. EG20250999, 堺第二倉庫) is Wednesday, 1 October 2025",
            "a cancellation on or before Wednesday, 30 September 2026 would incur a cancellation charge",
            "would incur a settlement charge",
        ],
        ["1 October 2025", "30 September 2026", "堺第二倉庫"],
        contract=OSAKA,
        body="We will reduce operations to three days a week from next month",
    ),
    Example(
        "cancellation",
        [
            "- Requested cancellation date: Wednesday, 31 March 2027",
            "- End of the current contract term: Saturday, 31 July 2027",
            "- Deadline for the cancellation notice: Thursday, 31 December 2026",
            "33.3 kW × ¥1,650 × 3 = ¥164,835",
            "the end of the contract term, Saturday, 31 July 2027; for that date the Cancellation Notice must reach us by Friday, 30 April 2027",
        ],
        ["¥164,835", "31 July 2027", "30 April 2027"],
        entities={"date": "2027-03-31", "cancel_reason": "switch"},
    ),
    Example("terms", ["download them from our website", "on your invoice in advance"], asks_ids=False),
    Example(
        "outage",
        [
            "1. Your company's chief electrical engineer",
            "Tokyo Electric Power (TEPCO Power Grid)",
            "unable to carry out restoration work",
        ],
        ["TEPCO Power Grid"],
        asks_ids=False,
    ),
    Example("other", ["A member of our staff will review your inquiry and get back to you"], asks_ids=False),
]


def _draft(example: Example, *, verified: bool) -> DraftContent:
    c = case(
        example.intent,
        verified=verified,
        contract=example.contract,
        entities=example.entities,
        body=example.body,
    )
    return draft_reply(english(c), desk=DESK, knowledge=KNOWLEDGE, original_subject="Inquiry")


def test_every_intent_has_an_english_example_and_template() -> None:
    assert sorted(e.intent for e in EXAMPLES) == sorted(INTENT_IDS)
    assert {p.stem for p in (TEMPLATES_DIR / "en" / "intents").glob("*.j2")} == set(INTENT_IDS)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.intent)
def test_verified_english_draft_states_the_hand_computed_facts(example: Example) -> None:
    draft = _draft(example, verified=True)
    for expected in example.present:
        assert expected in draft.text, expected
    assert leftover_problems(draft.text) == []
    assert draft.intents == [example.intent]
    assert draft.language == "en"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.intent)
@pytest.mark.parametrize("verified", [True, False])
def test_english_draft_has_no_japanese_wording_only_the_customers_own_data(
    example: Example, verified: bool
) -> None:
    draft = _draft(example, verified=verified)
    assert japanese_outside_data(draft.text) == []
    assert japanese_outside_data(draft.subject) == []
    # No sentence of the Japanese body template either (its hiragana would show even inside data-free text).
    assert not re.search(r"[\u3040-\u309f]", draft.text)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.intent)
def test_unverified_english_draft_discloses_no_contract_fact(example: Example) -> None:
    draft = _draft(example, verified=False)
    for secret in [*ALWAYS_PRIVATE, *example.private]:
        assert secret not in draft.text, secret
        assert secret not in draft.preview, secret
        assert secret not in str(draft.facts), secret
    assert any("本人確認未了" in n for n in draft.notes)
    assert leftover_problems(draft.text) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.intent)
def test_unverified_english_draft_asks_for_identifiers_in_english_and_tells_staff_in_japanese(
    example: Example,
) -> None:
    draft = _draft(example, verified=False)
    asked = "お客さま番号" in draft.missing and "契約番号" in draft.missing
    assert asked is example.asks_ids
    if example.asks_ids:
        assert "- Your customer number\n- Your contract number\n" in draft.text
        assert "only after we have confirmed that we are corresponding with the contract holder" in draft.text


def test_every_item_a_reply_can_ask_for_has_its_own_english_wording() -> None:
    labels = {n.label for info in KNOWLEDGE.intents.values() for n in info.needs}
    labels |= {n.label for n in ID_NEEDS}
    assert sorted(label for label in labels if not has_need_label(label)) == []


def test_every_item_a_resolver_asks_for_itself_has_its_own_english_wording() -> None:
    resolvers = Path(__file__).resolve().parents[2] / "desk" / "resolvers"
    labels = {
        m.group(1)
        for path in resolvers.glob("*.py")
        for m in re.finditer(r'Need\("\w+", "([^"]+)"\)', path.read_text(encoding="utf-8"))
    }
    assert len(labels) >= 5  # the pattern still finds them
    assert sorted(label for label in labels if not has_need_label(label)) == []


@pytest.mark.parametrize(
    ("given", "language"), [("en", "en"), ("en-GB", "en"), ("EN", "en"), ("ja", "ja"), ("", "ja")]
)
def test_language_codes_are_read_leniently_and_anything_unknown_is_japanese(
    given: str, language: str
) -> None:
    assert normalise_language(given) == language


def test_an_untranslated_item_is_asked_by_its_key_and_never_in_japanese() -> None:
    assert need_label(Need("desired_date", "新しく書き換えた文言")) == "Your preferred date"
    assert not JAPANESE.search(need_label(Need("no_such_key", "未知の項目")))


def test_missing_list_stays_japanese_for_staff_while_the_text_asks_in_english() -> None:
    kn = knowledge({"cancellation": [("desired_date", "ご解約の希望日"), ("reason", "ご解約の理由")]})
    draft = draft_reply(english(case("cancellation", verified=False)), desk=DESK, knowledge=kn)
    assert draft.missing == ["お客さま番号", "契約番号", "ご解約の希望日", "ご解約の理由"]
    assert (
        "- Your customer number\n- Your contract number\n- Your preferred cancellation date\n"
        "- The reason for cancelling\n"
    ) in draft.text


def test_english_subject_is_re_original_or_an_english_subject_without_one() -> None:
    c = english(case("terms"))
    assert draft_reply(c, desk=DESK, knowledge=KNOWLEDGE, original_subject="Terms").subject == "Re: Terms"
    assert draft_reply(c, desk=DESK, knowledge=KNOWLEDGE).subject == (
        "[Evergreen Marketing Co., Ltd.] Your inquiry: Electricity supply terms and conditions"
    )


def test_english_addressee_is_company_then_dear_person_when_verified() -> None:
    verified = draft_reply(english(case("terms")), desk=DESK, knowledge=KNOWLEDGE).text
    assert verified.startswith(
        "株式会社オオタ冷機\nDear 高田 真理子,\n\nThank you for contacting the Customer Support Desk"
    )
    unverified = draft_reply(
        english(case("terms", verified=False, sender_name="John Smith")), desk=DESK, knowledge=KNOWLEDGE
    )
    assert unverified.text.startswith("Dear John Smith,\n")
    assert "オオタ冷機" not in unverified.text
    company = draft_reply(
        english(case("terms", verified=False, sender_name="Acme Trading Co., Ltd.")),
        desk=DESK,
        knowledge=KNOWLEDGE,
    )
    assert company.text.startswith("Acme Trading Co., Ltd.\nDear Sir or Madam,\n")
    anonymous = draft_reply(
        english(case("terms", verified=False, sender_name="")), desk=DESK, knowledge=KNOWLEDGE
    )
    assert anonymous.text.startswith("Dear Sir or Madam,\n")


def test_english_email_draft_closes_and_signs_with_the_desks_english_names() -> None:
    text = draft_reply(english(case("terms")), desk=DESK, knowledge=KNOWLEDGE).text
    assert "Kind regards," in text
    assert (
        "Customer Support Desk\nEvergreen Marketing Co., Ltd.\nTel: 03-6271-0242  Fax: 03-6271-0241\n" in text
    )
    assert "Hours: Weekdays 9:00–12:00 and 13:00–17:00 JST" in text
    assert "Email: support@desk.example.jp" in text


def test_english_slack_draft_has_no_letter_heading_and_a_one_line_signature() -> None:
    text = draft_reply(english(case("terms", channel="slack")), desk=DESK, knowledge=KNOWLEDGE).text
    assert text.startswith("Thank you for contacting")
    assert "Dear" not in text
    assert text.endswith("Kind regards,\nCustomer Support Desk, Evergreen Marketing Co., Ltd.\n")


def test_english_outage_puts_safety_first_without_pleasantries_and_sections_get_english_headings() -> None:
    c = english(case(["bill_inquiry", "outage"]))
    draft = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE)
    assert draft.intents == ["outage", "bill_inquiry"] and draft.urgent
    text = draft.text
    assert "Thank you for contacting" not in text
    assert text.index("■ Power outages and emergencies") < text.index("■ Your bill and its breakdown")
    assert text.index("chief electrical engineer") < text.index("¥216,943")
    assert text.count("Kind regards,") == 1


def test_english_unknown_identifier_is_told_only_to_a_verified_sender() -> None:
    unknown = {"entities": {"contract_no": "EG99999999"}, "unknown_ids": ("EG99999999",)}
    stranger = draft_reply(
        english(case("payment_method", verified=False, **unknown)), desk=DESK, knowledge=knowledge()
    )
    # To an unknown sender the reply must not reveal whether a number exists; staff are told.
    assert "could not find" not in stranger.text
    assert any("EG99999999" in n for n in stranger.notes)
    customer = draft_reply(
        english(case("payment_method", verified=True, **unknown)), desk=DESK, knowledge=knowledge()
    )
    assert "we could not find a contract under the number you gave (EG99999999)" in customer.text


def test_both_identifiers_given_but_unverified_promises_a_call_back_in_english() -> None:
    c = english(
        case(
            "bill_inquiry", verified=False, entities={"contract_no": "EG20240123", "customer_no": "30012345"}
        )
    )
    draft = draft_reply(c, desk=DESK, knowledge=knowledge())
    assert draft.missing == []
    assert "We will check the contact details registered for your contract" in draft.text
    assert "¥216,943" not in draft.text


def test_cancellation_without_reason_in_english_shows_both_multipliers_by_reason() -> None:
    c = english(case("cancellation", entities={"date": "2027-03-31"}))
    text = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE).text
    # 33.3 × 1,650 × 1.5 = 82,417.5 → 82,417; × 3 = 164,835
    assert "- If the reason is removal of the equipment" in text
    assert "33.3 kW × ¥1,650 × 1.5 = ¥82,417" in text
    assert (
        "- If the reason is switching to another electricity supplier: 33.3 kW × ¥1,650 × 3 = ¥164,835"
        in text
    )


def test_japanese_inquiry_still_gets_the_japanese_draft() -> None:
    draft = draft_reply(case("terms"), desk=DESK, knowledge=KNOWLEDGE)
    assert draft.language == "ja"
    assert "何卒よろしくお願い申し上げます。" in draft.text and "Kind regards" not in draft.text


def test_settings_carry_the_desks_english_names_to_the_drafts() -> None:
    info = desk_info(Settings(_env_file=None, desk={"company_en": "Example Power K.K."}))  # type: ignore[call-arg]
    text = draft_reply(english(case("terms")), desk=info, knowledge=KNOWLEDGE).text
    assert "Example Power K.K." in text and "Customer Support Desk" in text

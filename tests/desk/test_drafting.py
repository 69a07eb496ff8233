"""draft_reply end to end: for every intent the verified draft carries the hand-computed facts and the same
case unverified carries none of them and asks for the identifiers instead."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from desk.casefile import UNVERIFIED_SENDER_NOTE, ContractView
from desk.drafting import draft_reply, leftover_problems, order_intents
from desk.errors import IdentityError, InputError
from desk.resolvers import IntentFacts
from intents.knowledge import load_knowledge
from intents.model import INTENT_IDS
from tests.desk.resolvers.cases import DESK, OSAKA, TOKYO, case, knowledge

KNOWLEDGE = load_knowledge()

# Contract data of TOKYO that must never reach an unverified sender.
ALWAYS_PRIVATE = ["京橋第一工場", "EG20240123", "30012345", "216,943円", "33.3kW", "京橋二丁目"]


@dataclass(frozen=True)
class Example:
    intent: str
    present: list[str]  # in the verified draft, hand-computed
    private: list[str] = field(
        default_factory=list
    )  # absent from the unverified draft (besides ALWAYS_PRIVATE)
    entities: dict[str, str] = field(default_factory=dict)
    body: str = ""
    contract: ContractView = TOKYO
    asks_ids: bool = True  # the unverified draft asks for お客さま番号 and 契約番号


EXAMPLES = [
    Example(
        "mypage_login",
        ["2024年8月1日（木）に供給を開始", "ログインIDは「30012345」", "該当する情報が存在しません"],
        ["2024年8月1日"],
        asks_ids=False,
    ),
    Example(
        "password_reset", ["ログインIDは「30012345」", "約120分", "10文字以上16文字以下"], asks_ids=False
    ),
    Example("account_info_change", ["20文字まで", "12文字まで", "ログアウト"], asks_ids=False),
    Example(
        "usage_data",
        ["2026年5月ご使用分が8,000kWh（最大電力 30.0kW）", "CSV形式またはExcel形式", "プルダウン"],
        ["8,000kWh", "30.0kW"],
    ),
    Example(
        "bill_inquiry",
        [
            "2026年5月ご使用分（契約番号 EG20240123／京橋第一工場）のご請求額は216,943円",
            "・基本料金：46,703円",
            "・電力量料金：148,000円",
            "・燃料費調整額：−9,600円",
            "・再生可能エネルギー発電促進賦課金：31,840円",
            "前月（2026年4月ご使用分、197,063円）と比べて+19,880円",
            "電力量料金：129,500円 → 148,000円（+18,500円）",
            # fuel: Δkwh × previous unit = 1,000 × −1.00 = −1,000; the unit change takes the rest (−1,600)
            "ご使用量が7,000kWhから8,000kWhに変わったことによる−1,000円",
            "燃料費調整単価が1kWhあたり−1円から−1.2円に変わったことによる−1,600円",
            "お支払期日は2026年6月29日（月）",
        ],
        ["46,703円", "197,063円", "19,880円"],
        body="今月の請求額が先月より高いのはなぜですか",
    ),
    Example(
        "invoice_download",
        ["最新の請求年月は2026年5月（216,943円）", "ポップアップ"],
        ["2026年5月（"],
    ),
    Example(
        "billing_address_change",
        ["送付先：東京都中央区京橋二丁目2番1号", "宛名：株式会社オオタ冷機 経理部", "送付先変更"],
        ["株式会社オオタ冷機 経理部"],
        body="請求書の送付先を大阪府大阪市北区の本社に変えたい。来月から。宛名は経理課あてに",
    ),
    Example("payment_method", ["お支払方法は口座引落です", "お電話ください"], ["口座引落です"]),
    Example(
        "payment_due_date",
        [
            "計量日が毎月15日、お支払方法は口座引落",
            "次回の引落日は2026年6月29日（月）です（2026年5月15日計量分）",
            "本来の引落日である2026年6月27日（土）が金融機関の休業日",
        ],
        ["2026年6月29日", "2026年6月27日", "15日"],
    ),
    Example(
        "consolidated_billing",
        ["現在、2件のご契約", "契約番号 EG20240123 は口座引落", "銀行振込の場合にのみ"],
        ["2件のご契約", "梅田"],
    ),
    Example(
        "fee_calculation",
        [
            "33.3kW × 1,650円 ×（185 − 100）÷ 100 ＝ 46,703円",
            "8,000kWh × 18.5円 ＝ 148,000円",
            "8,000kWh × −1.2円 ＝ −9,600円",
            "8,000kWh × 3.98円 ＝ 31,840円",
            "合計：216,943円",
        ],
        ["148,000円", "31,840円"],
    ),
    Example(
        "voltage_frequency",
        ["東京エリア（東京電力）で、周波数は50Hz", "供給電圧は高圧です"],
        ["東京エリア（"],
        asks_ids=False,
    ),
    Example(
        "name_change",
        [
            "必要書類のご提出期限は2027年2月14日（日）",
            "現在の送付先：東京都中央区京橋二丁目2番1号",
            "現在のお支払方法は口座引落です",
        ],
        ["現在の送付先", "口座引落です"],
        entities={"date": "2027-04-01"},
        body="4月1日付で社名変更します。新社名は「オオタ冷機ホールディングス株式会社」です",
    ),
    Example(
        "pas_open",
        ["地域の電力会社は東京電力です", "ご予定の2026年7月4日（土）より前に"],
        ["東京電力です"],
        entities={"date": "2026-07-04"},
        asks_ids=False,
    ),
    Example(
        "equipment_work",
        ["2026年9月15日（火）の工事でしたら、2026年7月15日（水）までに", "現在の契約電力は33.3kW"],
        ["東京電力です"],
        entities={"date": "2026-09-15"},
    ),
    Example(
        "contract_power",
        [
            "契約電力は600.0kW（協議制）",
            "2026年5月：612.3kW",
            # 12.3 kW × 1,650 × 1.5 = 30,442.5; PF 90 %: 5 % discount = 1,522.125; 28,920.375 → 28,920 円
            "12.3kW × 1,650円 × 1.5 ＝ 30,442.5円",
            "力率割引：30,442.5円 ×（90% − 85%）＝ 1,522.125円",
            "契約超過金（1円未満切り捨て）：28,920円",
        ],
        ["612.3kW", "28,920円", "堺第二倉庫", "EG20250999"],
        contract=OSAKA,
    ),
    Example(
        "usage_change",
        ["契約適用日は2025年10月1日（水）", "2026年9月30日（水）までにご解約", "精算金の対象"],
        ["2025年10月1日", "2026年9月30日", "堺第二倉庫"],
        contract=OSAKA,
        body="来月から稼働を週3日に減らします",
    ),
    Example(
        "cancellation",
        [
            "ご解約希望日：2027年3月31日（水）",
            "現在の契約期間の満了日：2027年7月31日（土）",
            "解約通知書のご提出期限：2026年12月31日（木）",
            "33.3kW × 1,650円 × 3 ＝ 164,835円",
            "契約期間満了日の2027年7月31日（土）で、この場合の解約通知書のご提出期限は2027年4月30日（金）",
        ],
        ["164,835円", "2027年7月31日", "2027年4月30日"],
        entities={"date": "2027-03-31", "cancel_reason": "switch"},
    ),
    Example("terms", ["ダウンロード", "請求書にもお知らせ"], asks_ids=False),
    Example(
        "outage",
        ["1. 貴社の電気主任技術者", "東京電力（東京電力パワーグリッド）", "復旧作業を行うことができません"],
        ["東京電力パワーグリッド"],
        asks_ids=False,
    ),
    Example("other", ["担当者が確認のうえ、改めてご連絡"], asks_ids=False),
]


def test_every_intent_has_an_example() -> None:
    assert sorted(e.intent for e in EXAMPLES) == sorted(INTENT_IDS)


def _draft(example: Example, *, verified: bool):
    c = case(
        example.intent,
        verified=verified,
        contract=example.contract,
        entities=example.entities,
        body=example.body,
    )
    return draft_reply(c, desk=DESK, knowledge=KNOWLEDGE, original_subject="お問い合わせ")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.intent)
def test_verified_draft_states_the_hand_computed_facts(example: Example) -> None:
    draft = _draft(example, verified=True)
    for expected in example.present:
        assert expected in draft.text, expected
    assert leftover_problems(draft.text) == []
    assert draft.intents == [example.intent]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.intent)
def test_unverified_draft_discloses_no_contract_fact(example: Example) -> None:
    draft = _draft(example, verified=False)
    for secret in [*ALWAYS_PRIVATE, *example.private]:
        assert secret not in draft.text, secret
        assert secret not in draft.preview, secret
        assert secret not in str(draft.facts), secret
    assert any("本人確認未了" in n for n in draft.notes)
    assert leftover_problems(draft.text) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.intent)
def test_unverified_draft_asks_for_identifiers_when_the_answer_needs_the_contract(example: Example) -> None:
    draft = _draft(example, verified=False)
    asked = "お客さま番号" in draft.missing and "契約番号" in draft.missing
    assert asked is example.asks_ids
    if example.asks_ids:
        assert "・お客さま番号\n・契約番号\n" in draft.text


def test_verified_cancellation_facts_are_json_ready_for_the_staff_card() -> None:
    draft = _draft(EXAMPLES[[e.intent for e in EXAMPLES].index("cancellation")], verified=True)
    facts = draft.facts["cancellation"]
    assert facts["penalty_yen"] == 164835
    assert facts["notice_deadline"] == "2026-12-31"
    assert facts["multiplier"] == "3"
    assert facts["term_end"] == "2027-07-31"


def test_identifier_the_sender_gave_is_not_asked_again() -> None:
    c = case("payment_due_date", verified=False, entities={"contract_no": "EG20240123"})
    draft = draft_reply(c, desk=DESK, knowledge=knowledge(), original_subject="")
    assert draft.missing == ["お客さま番号"]
    assert "・契約番号" not in draft.text


def test_both_identifiers_given_but_unverified_promises_a_call_back_instead_of_asking() -> None:
    c = case(
        "bill_inquiry", verified=False, entities={"contract_no": "EG20240123", "customer_no": "30012345"}
    )
    draft = draft_reply(c, desk=DESK, knowledge=knowledge(), original_subject="")
    assert draft.missing == []
    assert "ご登録のご連絡先を確認のうえ" in draft.text
    assert "216,943円" not in draft.text


def test_unknown_identifier_from_unverified_sender_reads_like_a_known_one_and_is_noted_for_staff() -> None:
    # Whether a number exists is contract data: an unknown sender's reply must not depend on it.
    def draft_for(unknown: tuple[str, ...]) -> str:
        c = case(
            "payment_method", verified=False, entities={"contract_no": "EG99999999"}, unknown_ids=unknown
        )
        return draft_reply(c, desk=DESK, knowledge=knowledge(), original_subject="").text

    assert draft_for(("EG99999999",)) == draft_for(())
    assert "確認できませんでした" not in draft_for(("EG99999999",))
    c = case(
        "payment_method", verified=False, entities={"contract_no": "EG99999999"}, unknown_ids=("EG99999999",)
    )
    draft = draft_reply(c, desk=DESK, knowledge=knowledge(), original_subject="")
    assert any("EG99999999" in n and "登録がありません" in n for n in draft.notes)


def test_unknown_identifier_from_verified_sender_is_asked_again() -> None:
    c = case(
        "payment_method", entities={"contract_no": "EG99999999"}, unknown_ids=("EG99999999",), contract=None
    )
    draft = draft_reply(c, desk=DESK, knowledge=knowledge(), original_subject="")
    assert "対象のご契約（契約番号または施設名）" in draft.missing
    assert "ご記載いただいた番号（EG99999999）では該当するご契約を確認できませんでした" in draft.text


def test_missing_list_asks_only_for_what_the_message_does_not_give() -> None:
    kn = knowledge(
        {
            "cancellation": [
                ("contract", "解約するご契約"),
                ("desired_date", "ご解約の希望日"),
                ("reason", "ご解約の理由"),
            ]
        }
    )
    with_date = case("cancellation", entities={"date": "2027-07-31"})
    draft = draft_reply(with_date, desk=DESK, knowledge=kn)
    assert draft.missing == ["ご解約の理由"]
    everything = case("cancellation", entities={"date": "2027-07-31", "cancel_reason": "removal"})
    assert draft_reply(everything, desk=DESK, knowledge=kn).missing == []
    nothing = case("cancellation", verified=False)
    assert draft_reply(nothing, desk=DESK, knowledge=kn).missing == [
        "お客さま番号",
        "契約番号",
        "ご解約の希望日",
        "ご解約の理由",
    ]


def test_shared_needs_of_two_intents_are_asked_once_in_one_list_at_the_end() -> None:
    kn = knowledge(
        {"payment_method": [("contract", "対象のご契約")], "payment_due_date": [("contract", "対象")]}
    )
    c = case(["payment_method", "payment_due_date"], verified=False)
    draft = draft_reply(c, desk=DESK, knowledge=kn)
    assert draft.missing == ["お客さま番号", "契約番号"]
    assert draft.text.count("以下の事項をお知らせいただけますでしょうか") == 1
    assert draft.text.count("何卒よろしくお願い申し上げます。") == 1
    assert draft.text.index("以下の事項") > draft.text.index("■payment_due_dateのラベルについて")


def test_outage_comes_first_whatever_the_classifier_order() -> None:
    c = case(["bill_inquiry", "outage", "cancellation"], entities={"date": "2027-07-31"})
    draft = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE)
    assert draft.intents == ["outage", "bill_inquiry", "cancellation"]
    assert draft.urgent is True
    text = draft.text
    assert text.index("電気主任技術者") < text.index("216,943円") < text.index("解約違約金")
    # Safety instructions come straight after the greeting, before any pleasantry.
    assert "このたびはお問い合わせいただき" not in text


def test_order_drops_other_next_to_a_real_intent_and_rejects_unknown_ids() -> None:
    assert order_intents(["other", "terms", "outage", "terms"]) == ["outage", "terms"]
    assert order_intents(["other"]) == ["other"]
    with pytest.raises(InputError):
        order_intents(["refund"])


def test_staff_reroute_overrides_the_understood_intents() -> None:
    c = case("bill_inquiry")
    draft = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE, intents=["payment_due_date"])
    assert draft.intents == ["payment_due_date"]
    assert "2026年6月29日（月）" in draft.text
    assert "ご請求額は" not in draft.text


def test_subject_is_re_original_or_a_japanese_subject_without_one() -> None:
    c = case("terms")
    assert draft_reply(c, desk=DESK, knowledge=KNOWLEDGE, original_subject="約款について").subject == (
        "Re: 約款について"
    )
    assert draft_reply(c, desk=DESK, knowledge=KNOWLEDGE, original_subject="RE: 約款").subject == "RE: 約款"
    slack = case("terms", channel="slack")
    assert draft_reply(slack, desk=DESK, knowledge=KNOWLEDGE).subject == (
        "【エバーグリーン・マーケティング株式会社】電気需給約款についてのご案内"
    )


def test_addressee_is_company_and_person_when_verified_else_the_sender_or_okyakusama() -> None:
    verified = draft_reply(case("terms"), desk=DESK, knowledge=KNOWLEDGE).text
    assert verified.startswith("株式会社オオタ冷機\n高田 真理子 様\n\nいつもお世話になっております。\n")
    unverified = draft_reply(case("terms", verified=False), desk=DESK, knowledge=KNOWLEDGE).text
    assert unverified.startswith("高田 真理子 様\n")
    assert "オオタ冷機" not in unverified
    company = draft_reply(
        case("terms", verified=False, sender_name="株式会社サンプル"), desk=DESK, knowledge=KNOWLEDGE
    )
    assert company.text.startswith("株式会社サンプル 御中\n")
    anonymous = draft_reply(case("terms", verified=False, sender_name=""), desk=DESK, knowledge=KNOWLEDGE)
    assert anonymous.text.startswith("お客さま\n")


def test_email_draft_has_greeting_closing_and_signature() -> None:
    text = draft_reply(case("terms"), desk=DESK, knowledge=KNOWLEDGE).text
    assert "エバーグリーン・マーケティング株式会社 お客さまサポートデスクでございます。" in text
    assert "何卒よろしくお願い申し上げます。" in text
    assert "TEL：03-6271-0242" in text
    assert "受付時間：平日 9:00～12:00／13:00～17:00" in text


def test_slack_preview_escapes_control_characters() -> None:
    c = case("terms", verified=False, sender_name="A&B <商事>")
    draft = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE)
    assert "A&B <商事> 様" in draft.text
    assert "A&amp;B &lt;商事&gt; 様" in draft.preview
    assert "<" not in draft.preview and ">" not in draft.preview


def test_multiplier_none_says_staff_will_confirm_and_notes_why() -> None:
    c = case("cancellation", entities={"date": "2027-03-31", "cancel_reason": "other"})
    draft = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE)
    assert "違約金の有無と金額は担当者が確認のうえ" in draft.text
    assert any("倍率が決まりません" in n for n in draft.notes)
    assert draft.facts["cancellation"]["penalty_yen"] is None


def test_cancellation_without_reason_inside_a_term_shows_both_multipliers() -> None:
    c = case("cancellation", entities={"date": "2027-03-31"})
    text = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE).text
    # 33.3 × 1,650 × 1.5 = 82,417.5 → 82,417; × 3 = 164,835
    assert "33.3kW × 1,650円 × 1.5 ＝ 82,417円" in text
    assert "33.3kW × 1,650円 × 3 ＝ 164,835円" in text


def test_resolver_leaking_contract_data_for_an_unverified_case_is_refused(monkeypatch) -> None:
    import desk.drafting

    def leaky(intent, case, knowledge):
        return IntentFacts(intent=intent, contract={"penalty_yen": 1})

    monkeypatch.setattr(desk.drafting, "resolve", leaky)
    with pytest.raises(IdentityError):
        draft_reply(case("cancellation", verified=False), desk=DESK, knowledge=KNOWLEDGE)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("金額は{{ c.total }}円です", "{{ }}"),
        ("{% if x %}", "{% %}"),
        ("期日は Undefined です", "Undefined"),
        ("担当：None", "None"),
        ("金額 nan 円", "nan"),
        ("TODO: 金額を確認", "TODO"),
        ("DEBUG facts", "DEBUG"),
        ("<class 'decimal.Decimal'>", "<class"),
        ('Traceback (most recent call last):\n  File "x.py", line 3', "Traceback"),
    ],
)
def test_leftover_problems_detects_placeholders_and_debris(text: str, fragment: str) -> None:
    problems = leftover_problems(text)
    assert problems, text
    assert any(fragment in p for p in problems)


def test_leftover_problems_passes_clean_japanese_text() -> None:
    assert leftover_problems("お支払期日は2026年6月29日（月）です。Nonetheless-free 文です。") == []


def test_unverified_sender_is_noted_once_with_what_the_reply_leaves_out() -> None:
    # the look-up's remark (as the pipeline leaves it on the case) is replaced by the draft's fuller one
    c = dataclasses.replace(case("bill_inquiry", verified=False), notes=(UNVERIFIED_SENDER_NOTE,))
    draft = draft_reply(c, desk=DESK, knowledge=KNOWLEDGE, original_subject="お問い合わせ")
    about_identity = [n for n in draft.notes if "本人確認未了" in n]
    assert len(about_identity) == 1 and "契約固有の情報は返信に含めていません" in about_identity[0]

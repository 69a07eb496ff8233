from datetime import date

import pytest

from intents.understand import Case, Understander, evaluate, prepare

FORM = """お名前：山田 花子
メールアドレス：yamada@example.co.jp
ご住所：〒100-0001 東京都千代田区千代田1-1
お電話番号：03-1234-5678
ご連絡方法：メール
お問い合わせ区分：ご請求について
お問い合わせ内容：
工場の周波数が50Hzか60Hzか教えてください。
"""


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander.load()


def test_form_body_is_classified_and_category_does_not_win(understander: Understander):
    result = understander.understand(FORM, subject="お問い合わせ", channel="form", received=date(2026, 2, 1))
    assert result.primary == "voltage_frequency"
    assert result.entities.get("phone") == "0312345678"
    assert "お名前" not in result.body
    assert "周波数" in result.body


def test_quoted_earlier_mail_is_not_read_as_the_request(understander: Understander):
    text = "ご回答ありがとうございました。\n請求書のPDFはどこからダウンロードできますか。\n\n> 解約のお申し出ありがとうございます。\n> 違約金について確認します。"
    result = understander.understand(text, channel="email", received=date(2026, 2, 1))
    assert result.primary == "invoice_download"
    assert "cancellation" not in result.intent_ids


def test_entities_use_the_predicted_intents(understander: Understander):
    text = "他の電力会社に切り替えるため、2026年9月30日で解約したいです。契約番号 ＥＧ－２０２４０１２３"
    result = understander.understand(text, channel="slack", received=date(2026, 2, 1))
    assert result.primary == "cancellation"
    assert result.entities["contract_no"] == "EG20240123"
    assert result.entities["date"] == "2026-09-30"
    assert result.entities["cancel_reason"] == "switch"


def test_prepare_leaves_slack_text_unparsed():
    assert prepare(FORM, channel="slack").form is None
    assert prepare(FORM, channel="form").form is not None


def _tiny_cases() -> list[Case]:
    return [
        Case(
            "a",
            ("cancellation",),
            ("cancellation", "terms"),
            {"contract_no": "EG00000001", "date": "2026-03-31"},
            {"contract_no": "EG00000001", "date": "2026-03-30", "email": "x@example.jp"},
        ),
        Case("b", ("other",), ("bill_inquiry", "other"), {}, {"phone": "0311112222"}),
        Case(
            "c",
            ("name_change", "billing_address_change"),
            ("billing_address_change",),
            {"phone": "0322223333"},
            {},
        ),
        Case("d", ("outage",), ("other",)),
    ]


def test_top1_counts_only_other_first_for_an_other_message():
    report = evaluate(_tiny_cases())
    # a: right, b: other not first -> wrong, c: first predicted is a gold label -> right, d: wrong
    assert report.top1 == 0.5


def test_micro_precision_recall_f1_by_hand():
    micro = evaluate(_tiny_cases()).micro
    assert (micro.tp, micro.fp, micro.fn) == (3, 3, 2)
    assert micro.precision == 0.5
    assert micro.recall == 0.6
    assert micro.f1 == pytest.approx(6 / 11)


def test_per_intent_and_other_precision_by_hand():
    report = evaluate(_tiny_cases())
    assert (report.per_intent["other"].tp, report.per_intent["other"].fp) == (1, 1)
    assert report.other_precision == 0.5
    assert report.per_intent["name_change"].recall == 0.0
    assert report.per_intent["terms"].precision == 0.0


def test_confusion_pairs_pair_missed_gold_with_extra_prediction():
    assert evaluate(_tiny_cases()).confusions == [("outage", "other", 1)]


def test_entity_scores_count_extra_keys_against_and_ignore_unscored_kinds():
    entities = evaluate(_tiny_cases()).entities
    assert (entities["contract_no"].tp, entities["contract_no"].fp, entities["contract_no"].fn) == (1, 0, 0)
    assert (entities["date"].tp, entities["date"].fp, entities["date"].fn) == (0, 1, 1)
    assert (entities["phone"].tp, entities["phone"].fp, entities["phone"].fn) == (0, 1, 1)
    assert "email" not in entities


def test_every_case_with_any_error_is_listed_as_a_miss():
    assert [c.id for c in evaluate(_tiny_cases()).misses] == ["a", "b", "c", "d"]


def test_perfect_cases_have_no_misses():
    report = evaluate([Case("x", ("terms",), ("terms",), {"phone": "1"}, {"phone": "1"})])
    assert report.top1 == 1.0
    assert report.micro.f1 == 1.0
    assert report.misses == []


def test_a_sales_pitch_about_electricity_costs_is_other_sales_not_a_procedure(understander: Understander):
    text = (
        "突然のご連絡失礼いたします。株式会社エネコストラボの営業担当です。\n"
        "弊社では高圧受電の事業者様向けに、契約電力とデマンドの見直しで基本料金を削減するコンサルティングを"
        "行っております。30分ほどオンラインでご説明の機会をいただけないでしょうか。"
    )
    result = understander.understand(
        text, subject="電気代削減のご提案", channel="email", received=date(2026, 2, 1)
    )
    assert result.primary == "other"
    assert result.other_reason == "sales"


def test_a_link_asking_for_credentials_is_phishing(understander: Understander):
    text = (
        "【重要】お客さまのマイページアカウントが一時停止されました。\n"
        "24時間以内に下記URLからログインし、IDとパスワードを入力して本人確認を完了してください。\n"
        "http://mypage-verify.example.net/login"
    )
    result = understander.understand(
        text, subject="アカウント停止のお知らせ", channel="email", received=date(2026, 2, 1)
    )
    assert result.primary == "other"
    assert result.other_reason == "phishing"


def test_a_thank_you_that_closes_the_thread_is_other_thanks(understander: Understander):
    text = "ご回答ありがとうございました。内容承知いたしました。特に追加の質問はございません。"
    result = understander.understand(text, channel="email", received=date(2026, 2, 1))
    assert result.primary == "other"
    assert result.other_reason == "thanks"


def test_an_english_inquiry_is_classified_and_marked_english(understander: Understander):
    text = (
        "Dear Sir or Madam,\n\nOur electricity bill for January is about 30% higher than December although "
        "production was flat. Could you explain what caused the increase?\n\nBest regards,\nAnna Schmidt"
    )
    result = understander.understand(
        text, subject="Question about our invoice", channel="email", received=date(2026, 2, 1)
    )
    assert result.language == "en"
    assert result.primary == "bill_inquiry"
    assert result.other_reason is None


def test_weak_evidence_abstains_as_unclear_with_candidates(understander: Understander):
    result = understander.understand(
        "先日の件、その後いかがでしょうか。", channel="slack", received=date(2026, 2, 1)
    )
    assert result.primary == "other"
    assert result.other_reason == "unclear"
    assert result.candidates and all(c.intent != "other" for c in result.candidates)


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        (
            "Re: Penalty if we terminate in March?",
            "Dear Support Team,\n\nThank you for the clear explanation of the penalty last week. We have "
            "decided to keep our contract with you after all, so nothing is needed from your side.\n\n"
            "Best regards,\nAnna Keller\n",
        ),
        (
            "RE: 解約時の違約金について",
            "先日は違約金の試算をお送りいただき、ありがとうございました。\n社内で検討した結果、"
            "引き続き御社との契約を継続することになりました。\n丁寧なご説明に感謝いたします。\n",
        ),
    ],
)
def test_a_thank_you_under_a_reply_subject_closes_the_thread(
    understander: Understander, subject: str, text: str
):
    result = understander.understand(text, subject=subject, channel="email", received=date(2026, 3, 2))
    assert result.primary == "other"
    assert result.other_reason == "thanks"


def test_a_question_under_a_reply_subject_keeps_the_threads_topic(understander: Understander):
    text = "ご回答ありがとうございました。6月末で解約する場合、通知書はいつまでに届けばよいでしょうか。"
    result = understander.understand(
        text, subject="Re: 解約について", channel="email", received=date(2026, 3, 2)
    )
    assert result.primary == "cancellation"

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intents.form import FORM_KEYS, parse_form

COLON_FORM = """【お問い合わせ】お客さまサイトよりお問い合わせがありました
お客さまサイトのお問い合わせフォームから、以下の内容で送信されました。

お名前：佐久間 健一
メールアドレス：K-Sakuma@Tohwa-Seiki.co.jp
メールアドレス（確認用）：K-Sakuma@Tohwa-Seiki.co.jp
ご住所：〒399-0702 長野県塩尻市広丘野村1650-3
お電話番号：0263-55-2108
ご連絡方法：メール
ご連絡可能時間帯：平日 9時～17時
お問い合わせ区分：マイページについて
お問い合わせ内容：
請求書の裏の番号を入れると
「該当する情報が存在しません」と表示されます。
"""


def test_colon_form_is_parsed_into_every_key():
    form = parse_form(COLON_FORM)
    assert form == {
        "name": "佐久間 健一",
        "email": "k-sakuma@tohwa-seiki.co.jp",
        "address": "〒399-0702 長野県塩尻市広丘野村1650-3",
        "phone": "0263-55-2108",
        "contact_method": "メール",
        "contact_hours": "平日 9時～17時",
        "category": "マイページについて",
        "body": "請求書の裏の番号を入れると\n「該当する情報が存在しません」と表示されます。",
        "customer_no": "",
    }


def test_bracket_labels_with_values_on_the_same_line():
    text = (
        "【お名前】森本 翔太\n【メールアドレス】morimoto@e-craft-works.jp\n"
        "【ご住所】〒601-8205 京都府京都市\n"
        "【お電話番号】075-935-2046\n【ご連絡方法】電話\n【お問い合わせ区分】お支払いについて\n"
        "【お問い合わせ内容】\n振込が遅れました。\n追加料金はありますか。"
    )
    form = parse_form(text)
    assert form is not None
    assert form["name"] == "森本 翔太"
    assert form["phone"] == "075-935-2046"
    assert form["contact_hours"] == ""
    assert form["body"] == "振込が遅れました。\n追加料金はありますか。"


def test_half_width_colon_extra_spaces_and_bullets():
    text = (
        "■ お名前 : 大野 茂\n■ メールアドレス :  ohno@kita.jp\n■ お電話番号 : 011 222 3344\n"
        "■ お問い合わせ区分 : ご契約について\n■ お問い合わせ内容 : 契約を終えたいです。"
    )
    form = parse_form(text)
    assert form is not None
    assert (form["name"], form["email"], form["phone"]) == ("大野 茂", "ohno@kita.jp", "011 222 3344")
    assert form["body"] == "契約を終えたいです。"


def test_values_on_the_next_line_and_multi_line_address():
    text = (
        "お名前：\n林 美香\nメールアドレス：\nhayashi@example.co.jp\nご住所：\n〒100-0005\n"
        "東京都千代田区丸の内1-1-1\n丸の内ビル5F\nお電話番号：\n03-1111-2222\n"
        "お問い合わせ区分：\nその他\nお問い合わせ内容：\nIDが分かりません。"
    )
    form = parse_form(text)
    assert form is not None
    assert form["name"] == "林 美香"
    assert form["email"] == "hayashi@example.co.jp"
    assert form["address"] == "〒100-0005 東京都千代田区丸の内1-1-1 丸の内ビル5F"
    assert form["phone"] == "03-1111-2222"
    assert form["category"] == "その他"


def test_label_spelling_variants_are_recognised():
    text = (
        "お客様名：山田 太郎\nＥメール：yamada@example.jp\n電話番号：０３－１２３４－５６７８\n"
        "お問合せ区分：その他\nお問合せ内容：テストです。"
    )
    form = parse_form(text)
    assert form is not None
    assert form["name"] == "山田 太郎"
    assert form["email"] == "yamada@example.jp"
    assert form["phone"] == "０３－１２３４－５６７８"
    assert form["body"] == "テストです。"


def test_body_keeps_full_width_text_and_stops_at_a_footer():
    text = (
        "お名前：A\nメールアドレス：a@example.jp\nお問い合わせ区分：その他\nお問い合わせ内容：\n"
        "番号は４０１２－８８３３です。\n\n2行目です。\n----------\n※このメールは送信専用です。"
    )
    form = parse_form(text)
    assert form is not None
    assert form["body"] == "番号は４０１２－８８３３です。\n\n2行目です。"


def test_only_confirmation_email_label_fills_email():
    text = "お名前：A\nメールアドレス（確認）：B@Example.jp\nお問い合わせ区分：その他\nお問い合わせ内容：本文"
    form = parse_form(text)
    assert form is not None
    assert form["email"] == "b@example.jp"


def test_plain_email_with_signature_labels_is_not_a_form():
    text = "契約について教えてください。\n\n住所：東京都港区\nTEL：03-1234-5678\nメール：a@example.jp"
    assert parse_form(text) is None


def test_too_few_labels_is_not_a_form():
    assert parse_form("お名前：山田\nお問い合わせ内容：こんにちは") is None
    assert parse_form("") is None


def test_missing_fields_are_empty_strings_and_keys_are_exact():
    form = parse_form("お名前：A\nお電話番号：03-1111-2222\nお問い合わせ内容：本文")
    assert form is not None
    assert tuple(form) == FORM_KEYS
    assert form["email"] == "" and form["address"] == ""


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_form_never_raises(text: str):
    result = parse_form(text)
    assert result is None or tuple(result) == FORM_KEYS


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["お名前：", "【お問い合わせ内容】", "ご住所：", "\n", "x", "：", "【", "】"]))
)
def test_parse_form_never_raises_on_label_soup(parts: list[str]):
    result = parse_form("".join(parts))
    assert result is None or tuple(result) == FORM_KEYS


def test_the_forms_customer_number_field_is_read():
    text = "お名前：森川 昭\nお客さま番号：３３１０ ７７４５\nお電話番号：0561-73-2285\nお問い合わせ区分：解約について\nお問い合わせ内容：\n解約したいです。"
    form = parse_form(text)
    assert form is not None
    assert form["customer_no"] == "３３１０ ７７４５"
    assert form["body"] == "解約したいです。"


def test_a_form_with_english_labels_gives_its_fields():
    # the portal in English: Name / Phone / Address / Contact method beside the Japanese 区分 and 内容
    text = (
        "A new inquiry has been submitted.\n\nName: Mia Schultz\nE-mail: mia@harbor-bakery.example\n"
        "Address: 812-0011 Fukuoka-shi Hakata-ku 2-3-4\nPhone number: 092-555-0147\nContact method: E-mail\n"
        "お問い合わせ区分: その他\nお問い合わせ内容: Where do I change the login e-mail?"
    )
    form = parse_form(text)
    assert form is not None
    assert (form["name"], form["phone"], form["contact_method"]) == ("Mia Schultz", "092-555-0147", "E-mail")
    assert form["address"].startswith("812-0011") and form["body"] == "Where do I change the login e-mail?"
    text = text.replace("お問い合わせ区分: その他", "Inquiry type: Other")
    assert parse_form(text)["category"] == "Other"  # type: ignore[index]
    text = text.replace("お問い合わせ内容: ", "Inquiry details (お問い合わせ内容):\n")
    assert parse_form(text)["body"] == "Where do I change the login e-mail?"  # type: ignore[index]

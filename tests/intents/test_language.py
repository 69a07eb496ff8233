from intents.language import detect_language


def test_english_mail_is_english_even_with_identifiers_and_links():
    text = (
        "Dear team, please tell me the penalty if we cancel contract EG-2024-0123 (customer no. 3001-2345)."
    )
    assert detect_language(text) == "en"


def test_japanese_mail_with_latin_identifiers_stays_japanese():
    text = "契約番号 EG-2024-0123 の請求書PDFをダウンロードしたいです。https://example.com/mypage ID: abc123"
    assert detect_language(text) == "ja"


def test_empty_and_short_texts_default_to_japanese():
    assert detect_language("") == "ja"
    assert detect_language("OK") == "ja"


def test_a_japanese_sentence_inside_english_does_not_flip_it():
    text = (
        "We received the notice about the planned outage (計画停電) next week. Will the supply stop all day?"
    )
    assert detect_language(text) == "en"

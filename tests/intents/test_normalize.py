from intents.normalize import char_ngrams, normalize, normalize_thorough, sentences


def test_full_width_ascii_and_digits_become_half_width_lower_case():
    assert normalize("ＥＧ－２０２４０１２３") == "eg-20240123"


def test_half_width_katakana_is_widened_then_folded_to_hiragana():
    assert normalize("ﾊﾟｽﾜｰﾄﾞ") == "ぱすわーど"


def test_katakana_and_hiragana_spellings_match():
    assert normalize("ログイン") == normalize("ろぐいん")


def test_repeated_long_vowel_marks_collapse_to_one():
    assert normalize("メーーール") == "めーる"


def test_wave_dash_variants_are_one_character():
    assert normalize("9時〜17時") == normalize("9時～17時") == "9時~17時"


def test_corporate_abbreviations_are_spelled_out():
    assert normalize("㈱オオタ冷機") == "株式会社おおた冷機"
    assert normalize("（株）オオタ冷機") == "株式会社おおた冷機"
    assert normalize("(有)北村冷蔵") == "有限会社北村冷蔵"


def test_space_between_japanese_words_is_dropped_but_not_between_latin_words():
    assert normalize("電柱の　上の スイッチ") == "電柱の上のすいっち"
    assert normalize("csv or excel") == "csv or excel"


def test_blank_lines_and_surrounding_whitespace_collapse():
    assert normalize("  一行目\n\n\n  二行目  ") == "一行目\n二行目"


def test_empty_text_stays_empty():
    assert normalize("") == ""


def test_thorough_variant_agrees_on_plain_text():
    assert normalize_thorough("パスワードを忘れました") == normalize("パスワードを忘れました")


def test_sentences_split_on_japanese_punctuation_and_line_breaks():
    assert sentences("こんにちは。ぱすわーどを忘れました!\nどうすれば?") == [
        "こんにちは。",
        "ぱすわーどを忘れました!",
        "どうすれば?",
    ]


def test_short_fragments_are_not_sentences():
    assert sentences("はい\nよろしくお願いします") == ["よろしくお願いします"]


def test_char_ngrams_collapse_digit_runs_and_do_not_cross_line_breaks():
    assert char_ngrams("あい12\nう", sizes=(2,)) == ["あい", "い0"]

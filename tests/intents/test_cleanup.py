from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intents.cleanup import body_for_classification, fold_width, split_quoted, strip_quoted


def test_fold_width_keeps_length_and_folds_digits_letters_dashes():
    text = "ＥＧ－２０２４　０１２３（確認）"
    folded = fold_width(text)
    assert folded == "EG-2024 0123(確認)"
    assert len(folded) == len(text)


def test_angle_bracket_quote_lines_are_removed():
    text = "承知しました。\n\n> 佐藤様\n> ご確認ください。\n＞ 全角の引用\n\n佐藤"
    assert strip_quoted(text) == "承知しました。\n\n\n佐藤"


def test_original_message_block_and_everything_after_is_removed():
    text = (
        "解約したいです。\n\n-----Original Message-----\nFrom: デスク\nSent: Friday, July 4, 2025 5:20 PM\n"
        "Subject: RE: 解約\n\n高田様\nご希望の解約日をお知らせください。"
    )
    assert strip_quoted(text) == "解約したいです。"


def test_japanese_outlook_header_block_without_marker_is_removed():
    text = (
        "書類を送ります。\n\n差出人: サポートデスク\n送信日時: 2025年7月14日 10:32\n"
        "宛先: 高田\n件名: 社名変更\n\n本文"
    )
    assert strip_quoted(text) == "書類を送ります。"


def test_single_from_line_in_body_is_not_a_header_block():
    text = "From: の欄に何を書けばよいですか。\n教えてください。"
    assert strip_quoted(text) == text


def test_on_wrote_line_and_gmail_japanese_wrote_line_are_removed():
    english = "Thanks.\nOn Mon, Mar 16, 2026 at 4:12 PM Support <desk@example.jp> wrote:\n> old"
    japanese = "了解です。\n2026年3月16日(月) 16:12 サポートデスク さんは書きました:\n> 以前の本文"
    assert strip_quoted(english) == "Thanks."
    assert strip_quoted(japanese) == "了解です。"


def test_text_after_a_quoted_block_is_the_senders_own():
    text = "日程が決まりました。\n\n> 2026/03/25 10:12、サポートデスク wrote:\n> 以前の本文\n\n大和設備 石川\n携帯 090-1234-5678"
    own, quoted = split_quoted(text)
    assert own == "日程が決まりました。\n\n\n大和設備 石川\n携帯 090-1234-5678"
    assert quoted == "以前の本文"


def test_forwarded_message_marker_cuts_the_rest():
    text = "ご確認をお願いします。\n---------- Forwarded message ---------\nFrom: 顧客\nDate: 2026/1/1\n本文"
    assert strip_quoted(text) == "ご確認をお願いします。"


def test_split_quoted_returns_quoted_text_without_marks_or_headers():
    text = (
        "確認です。\n\n> -----Original Message-----\n> 送信日時: 2025年7月14日 10:32\n"
        "> 件名: 社名変更\n>\n> 9月1日に変更します。"
    )
    own, quoted = split_quoted(text)
    assert own == "確認です。"
    assert "送信日時" not in quoted and "件名" not in quoted
    assert "9月1日に変更します。" in quoted


def test_greeting_self_introduction_closing_and_signature_are_dropped():
    text = (
        "ご担当者様\n\nいつもお世話になっております。\n株式会社ミドリ化成 経理部の高森でございます。\n\n"
        "来年3月末で解約したいと考えております。\n手続きを教えてください。\n\n"
        "よろしくお願いいたします。\n\n株式会社ミドリ化成 経理部\n高森 恵理子\nTEL 03-1234-5678"
    )
    assert (
        body_for_classification(text) == "来年3月末で解約したいと考えております。\n手続きを教えてください。"
    )


def test_separator_line_signature_is_dropped():
    text = (
        "IDはどこに書いてありますか。\n\n――――――――\n株式会社丸栄製作所 総務部\n"
        "川口 真由美\n〒332-0012 埼玉県\n――――――――"
    )
    assert body_for_classification(text) == "IDはどこに書いてありますか。"


def test_double_dash_and_equals_separators_start_a_signature():
    assert body_for_classification("料金を教えてください。\n-- \n山田") == "料金を教えてください。"
    assert body_for_classification("料金を教えてください。\n＝＝＝＝＝\n山田商事") == "料金を教えてください。"


def test_greeting_on_the_same_line_as_content_keeps_the_content():
    text = "お世話になっております。株式会社ホテル潮見 施設管理の長谷部でございます。30分値を見たいです。"
    assert body_for_classification(text) == "30分値を見たいです。"


def test_request_ending_in_yoroshiku_is_kept():
    text = "振込への変更をよろしくお願いします。"
    assert body_for_classification(text) == text


def test_slack_message_without_boilerplate_is_unchanged():
    text = "北村冷蔵さんから電話。お客さま番号 72150036 / 折り返しは 090-4471-2280 の北村さんまで"
    assert body_for_classification(text) == text


def test_identifier_lines_before_the_signature_are_kept():
    text = "請求額を教えてください。\n\nお客さま番号：30012345\n\n株式会社丸栄製作所 経理部\n松永 里美"
    assert body_for_classification(text) == "請求額を教えてください。\n\nお客さま番号：30012345"


def test_form_email_gives_only_the_inquiry_text():
    text = (
        "お客さまサイトから送信されました。\n\nお名前：林\nメールアドレス：h@example.jp\n"
        "お問い合わせ区分：マイページについて\nお問い合わせ内容：\nお世話になっております。\n請求書の宛名を変えたいです。"
    )
    assert body_for_classification(text) == "請求書の宛名を変えたいです。"


def test_odd_repetitive_input_is_handled():
    assert body_for_classification("以上、" * 40 + "X") == "以上、" * 40 + "X"


def test_text_that_is_only_boilerplate_is_returned_rather_than_emptied():
    text = "お世話になっております。\nよろしくお願いいたします。"
    assert body_for_classification(text) == text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_cleanup_functions_never_raise(text: str):
    assert isinstance(strip_quoted(text), str)
    assert isinstance(body_for_classification(text), str)
    own, quoted = split_quoted(text)
    assert isinstance(own, str) and isinstance(quoted, str)
    assert len(fold_width(text)) == len(text)


def test_a_formal_letters_opening_seasonal_greeting_and_closing_are_dropped():
    text = (
        "お客様サポート係 御中\n\n拝啓　新緑の候、貴社ますますご清栄のこととお慶び申し上げます。\n"
        "当館は九月末日をもって閉館いたしますので、電気の契約を解約いたしたく存じます。\n"
        "末筆ながら貴社の一層のご発展をお祈り申し上げます。\n\n敬具"
    )
    assert (
        body_for_classification(text)
        == "当館は九月末日をもって閉館いたしますので、電気の契約を解約いたしたく存じます。"
    )


def test_a_forwarding_note_over_a_forwarded_block_gives_the_block_as_the_senders_words():
    text = (
        "窓口各位\n\n代表電話で受けた内容を転送します。対応お願いします。\n\n"
        "---------- 転送メッセージ ----------\n【電話メモ】6/3 10:05\n・今月末で店を閉めるので電気を解約したい"
    )
    own, quoted = split_quoted(text)
    assert "電気を解約したい" in own and quoted == ""
    # a sender who says more than that keeps the forwarded mail as earlier mail
    text = (
        "下記の件、まだ回答がありませんがどうなっていますか？\n\n---------- Forwarded message ---------\n本文"
    )
    assert split_quoted(text) == ("下記の件、まだ回答がありませんがどうなっていますか？", "本文")


def test_a_separator_that_heads_a_phone_memo_is_not_a_signature():
    headed = "電話がありましたので転送します。\n\n----- 電話メモ -----\n内容：昨日の夕方、雷で停電した。原因を知りたい。\n----------"
    assert "雷で停電した" in body_for_classification(headed)
    bare = "電話メモです。\n――――――――\n相手：山田様\n内容：工場をやめるので電気を解約したい。\n――――――――"
    assert "電気を解約したい" in body_for_classification(bare)


def test_a_note_saying_it_forwards_a_question_makes_the_quoted_question_the_senders_own():
    # round 15: the mail client wrote "Original Message", the note says it forwards and asks for the answer
    text = (
        "お世話になります。経理の山口です。\n"
        "税理士事務所から下記の質問が来ております。当方では答えられないため、そのまま転送いたします。"
        "ご回答いただけましたら先方に伝えます。\n\n"
        "-----Original Message-----\nFrom: 佐々木\nSent: Wednesday, September 2, 2026 17:48\n"
        "Subject: 検算\n\n端数処理の方法を教えていただけますか。\n"
    )
    own, quoted = split_quoted(text)
    assert "端数処理" in own and quoted == ""


def test_an_english_forwarding_note_with_a_question_keeps_the_forwarded_request():
    text = (
        "Hi team,\n\nForwarding the request from our auditors below. Could you help?\n\nRegards,\nPriya\n\n"
        "---------- Forwarded message ----------\nFrom: audit@example.com\nSubject: PBC item 14\n\n"
        "We need copies of the electricity invoices for October to December.\n"
    )
    assert "copies of the electricity invoices" in body_for_classification(text)


def test_a_memo_forwarded_in_quote_marks_is_the_senders_own():
    text = (
        "昨夜の件、社内メモを転送いたします。ご確認のほどお願いいたします。\n\n"
        "> 【電話メモ】3/1 23:50 夜間当番\n> 冷蔵庫棟、23時過ぎに停電。\n\n本日午前中に復旧しております。\n"
    )
    assert "冷蔵庫棟、23時過ぎに停電" in body_for_classification(text)


def test_a_reply_over_quoted_mail_still_leaves_the_quote_out():
    # no forwarding said: the quoted mail is history, not the question
    text = "ご回答ありがとうございました。もう一点質問です。\n\n> 解約通知書を添付いたします。\n"
    assert "解約通知書" not in body_for_classification(text)


def test_a_separator_after_a_line_announcing_a_memo_opens_the_memo_not_a_signature():
    text = (
        "南水産の堀です。社長からの指示をメモのままお送りします。\n\n---\n10/26 朝礼後 社長より\n"
        "・乗り換えた場合、違約金はいくらになるか確認すること\n---\n"
    )
    assert "違約金はいくらになるか" in body_for_classification(text)


def test_thanks_for_an_answer_forwarded_internally_keeps_the_quoted_answer_out():
    text = (
        "ご回答ありがとうございました。社内の関係者に転送いたしました。\n\n"
        "> 解約通知書は3か月前までにご提出ください。違約金は基本料金の1.5倍です。\n"
    )
    assert "違約金" not in body_for_classification(text)
    text = "Thanks, I forwarded your answer to our accounting team.\n\n> The penalty is 1.5 times the basic charge.\n"
    assert "penalty" not in body_for_classification(text)


def test_a_note_asking_to_see_a_request_below_makes_the_request_the_senders_own():
    # round 18: the colleague's question sits under a reply's "Original Message" line, not a forward marker
    text = (
        "Dear Support Team,\n\nPlease see below a question from our group controller. I would be grateful "
        "if you could answer it in English.\n\nThanks,\nMika\n\n-----Original Message-----\n"
        "From: Lars Berg\nSent: Monday, May 3, 2027 9:00 AM\nTo: Mika\nSubject: Power bill\n\n"
        "Why did the basic charge on the March bill go up by 40,000 yen?\n"
    )
    own, quoted = split_quoted(text)
    assert "basic charge on the March bill" in own and quoted == ""

# ruff: noqa: RUF005  (a data file: long literal lines and list concatenation read best here)
"""Writes the .eml corpus and, next to each file, its expected parse (hand-written below, not computed by
the parser). Run from the repository root: ``python tests/bot/email/corpus/build.py``.

The expected JSON holds the keys of ``madoguchi parse-email --json`` except ``file``; ``form`` is compared
on the keys given; ``text`` is exact.
"""

from __future__ import annotations

import base64
import json
import quopri
from pathlib import Path

HERE = Path(__file__).resolve().parent
DESK = "support@desk.example.jp"
PORTAL = "form@portal.egmkt.co.jp"


def jis(text: str) -> bytes:
    """CP50221-style ISO-2022-JP: cp932 bytes mapped back to JIS rows (NEC row 13 included)."""
    out = bytearray()
    mode = "ascii"
    for ch in text:
        b = ch.encode("cp932")
        if len(b) == 1 and b[0] < 0x80:
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out += b
            continue
        if len(b) == 1:  # half-width katakana
            if mode != "kana":
                out += b"\x1b(I"
                mode = "kana"
            out.append(b[0] - 0x80)
            continue
        if mode != "jis":
            out += b"\x1b$B"
            mode = "jis"
        s1, s2 = b
        s1 = s1 - 0x40 if s1 >= 0xE0 else s1
        j1 = (s1 - 0x81) * 2 + 0x21
        if s2 >= 0x9F:
            j1, j2 = j1 + 1, s2 - 0x7E
        else:
            j2 = s2 - 0x1F - (1 if s2 >= 0x80 else 0)
        out += bytes((j1, j2))
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def ew(data: bytes, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def mail(headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("ascii") + b"\r\n" + body


def std(
    subject: str,
    msgid: str = "",
    frm: str = "",
    extra: list[tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    h = [
        ("From", frm or f"{u8('山田 太郎')} <yamada@example.com>"),
        ("To", DESK),
        ("Subject", subject),
        ("Date", "Tue, 03 Jun 2025 10:15:00 +0900"),
    ]
    if msgid:
        h.append(("Message-ID", msgid))
    h += extra or []
    h.append(("MIME-Version", "1.0"))
    return h


def text_headers(charset: str, cte: str = "8bit") -> list[tuple[str, str]]:
    return [("Content-Type", f"text/plain; charset={charset}"), ("Content-Transfer-Encoding", cte)]


def u8(s: str) -> str:
    """UTF-8 encoded word."""
    return ew(s.encode("utf-8"), "UTF-8")


CASES: list[tuple[str, bytes, dict[str, object]]] = []


def case(name: str, raw: bytes, **expected: object) -> None:
    base: dict[str, object] = {
        "kind": "inquiry",
        "from": "yamada@example.com",
        "reply_to": "yamada@example.com",
        "in_reply_to": "",
        "references": [],
        "form": None,
        "attachments": [],
    }
    base.update(expected)
    CASES.append((name, raw, base))


BODY = "山田商事の山田です。\nマイページにログインできません。\nよろしくお願いします。\n"

# -- charsets and transfer encodings ---------------------------------------------------------------------
case(
    "01_utf8_8bit",
    mail(std(u8("ログインできません"), "<c01@example.com>") + text_headers("UTF-8"), crlf(BODY).encode()),
    subject="ログインできません",
    message_id="<c01@example.com>",
    text=BODY,
)
case(
    "02_utf8_base64",
    mail(
        std(u8("請求書について"), "<c02@example.com>") + text_headers("utf-8", "base64"),
        base64.encodebytes(crlf("請求書の送付先を変更したいです。\n").encode()),
    ),
    subject="請求書について",
    message_id="<c02@example.com>",
    text="請求書の送付先を変更したいです。\n",
)
case(
    "03_utf8_quoted_printable",
    mail(
        std(u8("契約電力の確認"), "<c03@example.com>") + text_headers("utf-8", "quoted-printable"),
        quopri.encodestring(crlf("契約電力は何kWですか？\n").encode()),
    ),
    subject="契約電力の確認",
    message_id="<c03@example.com>",
    text="契約電力は何kWですか？\n",
)
case(
    "04_iso2022jp_plain",
    mail(
        std(ew(jis("お問い合わせ：ログインできません"), "ISO-2022-JP"), "<c04@example.com>")
        + text_headers("ISO-2022-JP", "7bit"),
        jis(crlf("山田です。\nログインできません。\n")),
    ),
    subject="お問い合わせ：ログインできません",
    message_id="<c04@example.com>",
    text="山田です。\nログインできません。\n",
)
NEC = "①請求書の件\n㈱山田商事　№12\n期間：4月～6月\nⅢ号棟\n"
case(
    "05_iso2022jp_nec_body",
    mail(
        std(ew(jis("請求書の件"), "ISO-2022-JP"), "<c05@example.com>") + text_headers("ISO-2022-JP", "7bit"),
        jis(crlf(NEC)),
    ),
    subject="請求書の件",
    message_id="<c05@example.com>",
    text=NEC,
)
case(
    "06_iso2022jp_nec_headers",
    mail(
        std(
            ew(jis("①ログイン不可／㈱山田"), "ISO-2022-JP"),
            "<c06@example.com>",
            frm=f"{ew(jis('山田㈱'), 'ISO-2022-JP')} <Yamada@Example.COM>",
        )
        + text_headers("ISO-2022-JP", "7bit"),
        jis(crlf("ご確認ください。\n")),
    ),
    subject="①ログイン不可／㈱山田",
    message_id="<c06@example.com>",
    text="ご確認ください。\n",
)
_split = jis("解約違約金について")
case(
    "07_iso2022jp_split_folded_encoded_words",
    mail(
        std(
            ew(_split[:9], "ISO-2022-JP") + "\r\n " + ew(_split[9:], "ISO-2022-JP"),
            "<c07@example.com>",
        )
        + text_headers("ISO-2022-JP", "7bit"),
        jis(crlf("解約を検討しています。\n")),
    ),
    subject="解約違約金について",
    message_id="<c07@example.com>",
    text="解約を検討しています。\n",
)
_q = "".join(f"={b:02X}" if b in b"=?_ \x1b" or b > 0x7E else chr(b) for b in jis("停電しました"))
case(
    "08_iso2022jp_q_encoded_subject",
    mail(
        std(f"=?iso-2022-jp?Q?{_q}?=", "<c08@example.com>") + text_headers("iso-2022-jp", "7bit"),
        jis(crlf("工場が停電しています。至急連絡ください。\n")),
    ),
    subject="停電しました",
    message_id="<c08@example.com>",
    text="工場が停電しています。至急連絡ください。\n",
)
case(
    "09_cp50220_label_ibm_extension",
    mail(
        std(u8("名義変更"), "<c09@example.com>") + text_headers("CP50220", "7bit"),
        b"\x1b$B|b" + jis("橋です。")[3:] + b"\r\n",  # 髙 (IBM extension, NEC-selected 0x7C62)
    ),
    subject="名義変更",
    message_id="<c09@example.com>",
    text="髙橋です。\n",
)
case(
    "10_shift_jis_label_cp932_bytes",
    mail(
        std(ew("①支払方法の変更".encode("cp932"), "Shift_JIS"), "<c10@example.com>")
        + text_headers("Shift_JIS"),
        crlf("①口座振替から振込に変更したい。㈱山田\n").encode("cp932"),
    ),
    subject="①支払方法の変更",
    message_id="<c10@example.com>",
    text="①口座振替から振込に変更したい。㈱山田\n",
)
case(
    "11_euc_jp",
    mail(
        std(ew("約款について".encode("euc_jp"), "EUC-JP"), "<c11@example.com>") + text_headers("EUC-JP"),
        crlf("電気需給約款はどこで読めますか。\n").encode("euc_jp"),
    ),
    subject="約款について",
    message_id="<c11@example.com>",
    text="電気需給約款はどこで読めますか。\n",
)
case(
    "12_missing_charset_utf8_bytes",
    mail(
        std(u8("ラベルなし"), "<c12@example.com>") + [("Content-Type", "text/plain")],
        crlf("文字コードの指定がないメールです。\n").encode(),
    ),
    subject="ラベルなし",
    message_id="<c12@example.com>",
    text="文字コードの指定がないメールです。\n",
)
case(
    "13_utf8_label_but_shift_jis_bytes",
    mail(
        std(u8("ラベル誤り"), "<c13@example.com>") + text_headers("utf-8"),
        crlf("お世話になっております。口座振替の開始日を教えてください。\n").encode("cp932"),
    ),
    subject="ラベル誤り",
    message_id="<c13@example.com>",
    text="お世話になっております。口座振替の開始日を教えてください。\n",
)
case(
    "14_unknown_label_with_jis_escapes",
    mail(
        std(u8("不明な文字コード"), "<c14@example.com>") + text_headers("x-unknown", "7bit"),
        jis(crlf("契約番号はEG20240123です。\n")),
    ),
    subject="不明な文字コード",
    message_id="<c14@example.com>",
    text="契約番号はEG20240123です。\n",
)
case(
    "15_halfwidth_katakana_esc_i",
    mail(
        std(u8("半角カナ"), "<c15@example.com>") + text_headers("ISO-2022-JP", "7bit"),
        jis(crlf("ﾔﾏﾀﾞ ﾀﾛｳです。\n")),
    ),
    subject="半角カナ",
    message_id="<c15@example.com>",
    text="ﾔﾏﾀﾞ ﾀﾛｳです。\n",
)
_long = (
    "【至急】高圧受電設備の年次点検に伴う停電作業とPAS開放の事前連絡について（株式会社山田商事　本社工場）"
)
case(
    "16_folded_utf8_subject",
    mail(
        std(
            "\r\n ".join(u8(_long[i : i + 12]) for i in range(0, len(_long), 12)),
            "<c16@example.com>",
        )
        + text_headers("UTF-8"),
        crlf("点検日は来月10日です。\n").encode(),
    ),
    subject=_long,
    message_id="<c16@example.com>",
    text="点検日は来月10日です。\n",
)

# -- structure -------------------------------------------------------------------------------------------
ALT = (
    "--ALT\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "プレーンテキストの本文です。\r\n"
    "--ALT\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>HTMLの本文です。</p>\r\n--ALT--\r\n"
)
case(
    "17_alternative_prefers_plain",
    mail(
        std(u8("代替パート"), "<c17@example.com>")
        + [("Content-Type", 'multipart/alternative; boundary="ALT"')],
        ALT.encode(),
    ),
    subject="代替パート",
    message_id="<c17@example.com>",
    text="プレーンテキストの本文です。",  # the CRLF before a boundary belongs to the boundary
)
HTML = (
    "<html><head><style>p{color:red}</style><title>t</title></head><body>"
    "<p>いつもお世話になっております。</p><div>検針日を<br>教えてください。</div>"
    "<script>alert(1)</script><p>A&amp;B工業</p></body></html>"
)
case(
    "18_html_only",
    mail(
        std(u8("HTMLのみ"), "<c18@example.com>") + [("Content-Type", "text/html; charset=UTF-8")],
        HTML.encode(),
    ),
    subject="HTMLのみ",
    message_id="<c18@example.com>",
    text="いつもお世話になっております。\n検針日を\n教えてください。\nA&B工業\n",
)
PDF = b"%PDF-1.4\n" + b"0" * 1000
case(
    "19_attachments_metadata",
    mail(
        std(u8("請求書の添付"), "<c19@example.com>") + [("Content-Type", 'multipart/mixed; boundary="MIX"')],
        (
            '--MIX\r\nContent-Type: multipart/alternative; boundary="ALT"\r\n\r\n' + ALT + "--MIX\r\n"
            "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf\r\n\r\n"
            + base64.encodebytes(PDF).decode()
            + "--MIX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
            'Content-Disposition: attachment; filename="meter.png"\r\n\r\n'
            + base64.encodebytes(b"\x89PNG" + b"\x00" * 96).decode()
            + "--MIX--\r\n"
        ).encode(),
    ),
    subject="請求書の添付",
    message_id="<c19@example.com>",
    text="プレーンテキストの本文です。",
    attachments=[
        {"filename": "請求書.pdf", "content_type": "application/pdf", "size": len(PDF)},
        {"filename": "meter.png", "content_type": "image/png", "size": 100},
    ],
)
INNER = (
    "From: 佐藤 <sato@example.org>\r\nSubject: =?UTF-8?B?"
    + base64.b64encode("検針票".encode()).decode()
    + "?=\r\n"
    "Date: Mon, 02 Jun 2025 09:00:00 +0900\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
    "先月の使用量を教えてください。\r\n"
)
case(
    "20_forwarded_rfc822",
    mail(
        std(u8("Fwd: 検針票"), "<c20@example.com>") + [("Content-Type", 'multipart/mixed; boundary="FWD"')],
        (
            "--FWD\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n担当者から転送します。\r\n"
            "--FWD\r\nContent-Type: message/rfc822\r\n\r\n" + INNER + "--FWD--\r\n"
        ).encode(),
    ),
    subject="Fwd: 検針票",
    message_id="<c20@example.com>",
    text=(
        "担当者から転送します。\n\n---------- 転送されたメッセージ ----------\n"
        "From: 佐藤 <sato@example.org>\nDate: Mon, 02 Jun 2025 09:00:00 +0900\nSubject: 検針票\n\n"
        "先月の使用量を教えてください。"
    ),
)

# -- kinds -----------------------------------------------------------------------------------------------
AUTO_BODY = crlf("ただいま不在にしております。6月10日以降に確認します。\n").encode()
case(
    "21_auto_submitted",
    mail(
        std(u8("Re: お問い合わせ"), "<c21@example.com>", extra=[("Auto-Submitted", "auto-replied")])
        + text_headers("UTF-8"),
        AUTO_BODY,
    ),
    kind="auto_reply",
    subject="Re: お問い合わせ",
    message_id="<c21@example.com>",
    text="ただいま不在にしております。6月10日以降に確認します。\n",
)
case(
    "22_precedence_bulk",
    mail(
        std("Newsletter", "<c22@example.com>", extra=[("Precedence", "bulk")]) + text_headers("UTF-8"),
        b"Monthly news.\r\n",
    ),
    kind="auto_reply",
    subject="Newsletter",
    message_id="<c22@example.com>",
    text="Monthly news.\n",
)
case(
    "23_x_autoreply",
    mail(
        std("Re: [#000042]", "<c23@example.com>", extra=[("X-Autoreply", "yes")]) + text_headers("UTF-8"),
        AUTO_BODY,
    ),
    kind="auto_reply",
    subject="Re: [#000042]",
    message_id="<c23@example.com>",
    text="ただいま不在にしております。6月10日以降に確認します。\n",
)
case(
    "24_exchange_out_of_office",
    mail(
        std("Automatic reply: inquiry", "<c24@example.com>", extra=[("X-Auto-Response-Suppress", "All")])
        + text_headers("UTF-8"),
        b"I am out of the office.\r\n",
    ),
    kind="auto_reply",
    subject="Automatic reply: inquiry",
    message_id="<c24@example.com>",
    text="I am out of the office.\n",
)
case(
    "25_subject_fuzai_tsuchi",
    mail(std(u8("【不在通知】山田"), "<c25@example.com>") + text_headers("UTF-8"), AUTO_BODY),
    kind="auto_reply",
    subject="【不在通知】山田",
    message_id="<c25@example.com>",
    text="ただいま不在にしております。6月10日以降に確認します。\n",
)
case(
    "26_customer_subject_with_fuzai_is_inquiry",
    mail(
        std(u8("不在時の検針について"), "<c26@example.com>") + text_headers("UTF-8"),
        crlf("検針日に不在の場合はどうなりますか。\n").encode(),
    ),
    subject="不在時の検針について",
    message_id="<c26@example.com>",
    text="検針日に不在の場合はどうなりますか。\n",
)
DSN = (
    "--DSN\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nDelivery to the following recipient failed:"
    " nobody@example.com\r\n"
    "--DSN\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
    "Final-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    "--DSN--\r\n"
)
case(
    "27_bounce_multipart_report",
    mail(
        std(
            "Undelivered Mail Returned to Sender",
            "<c27@mx.example.com>",
            frm="Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        )
        + [("Content-Type", 'multipart/report; report-type=delivery-status; boundary="DSN"')],
        DSN.encode(),
    ),
    kind="bounce",
    **{"from": "mailer-daemon@mx.example.com", "reply_to": "mailer-daemon@mx.example.com"},
    subject="Undelivered Mail Returned to Sender",
    message_id="<c27@mx.example.com>",
    text="Delivery to the following recipient failed: nobody@example.com",
)
case(
    "28_bounce_postmaster_plain",
    mail(
        std("Returned mail: see transcript", "<c28@example.net>", frm="postmaster@example.net")
        + text_headers("us-ascii", "7bit"),
        b"User unknown.\r\n",
    ),
    kind="bounce",
    **{"from": "postmaster@example.net", "reply_to": "postmaster@example.net"},
    subject="Returned mail: see transcript",
    message_id="<c28@example.net>",
    text="User unknown.\n",
)
case(
    "29_own_mail",
    mail(
        std(u8("Re: [#000007] ログイン"), "<c29@desk.example.jp>", frm=f"{u8('サポート')} <{DESK}>")
        + text_headers("UTF-8"),
        crlf("ご回答いたします。\n").encode(),
    ),
    kind="own",
    **{"from": DESK, "reply_to": DESK},
    subject="Re: [#000007] ログイン",
    message_id="<c29@desk.example.jp>",
    text="ご回答いたします。\n",
)
FORM = (
    "お名前：杉山 恵\nメールアドレス：Sugiyama@Fujimi-Seiko.co.jp\nメールアドレス（確認）：Sugiyama@Fujimi-Seiko.co.jp\n"
    "ご住所：〒417-0001 静岡県富士市今泉2-11-4\nお電話番号：0545-52-7712\nご連絡方法：メール\n"
    "お問い合わせ区分：ご請求について\nお問い合わせ内容：\n3か所の請求をまとめたい。\nよろしくお願いします。\n"
)
case(
    "30_form_portal_utf8",
    mail(
        std(
            u8("お問い合わせフォーム：ご請求について"),
            "<c30@portal.egmkt.co.jp>",
            frm=f"{u8('お問い合わせフォーム')} <{PORTAL}>",
            extra=[("Auto-Submitted", "auto-generated")],
        )
        + text_headers("UTF-8"),
        crlf(FORM).encode(),
    ),
    **{"from": PORTAL, "reply_to": "sugiyama@fujimi-seiko.co.jp"},
    subject="お問い合わせフォーム：ご請求について",
    message_id="<c30@portal.egmkt.co.jp>",
    text=FORM,
    form={
        "name": "杉山 恵",
        "email": "sugiyama@fujimi-seiko.co.jp",
        "category": "ご請求について",
        "body": "3か所の請求をまとめたい。\nよろしくお願いします。",
    },
)
FORM2 = (
    "【お名前】髙田 一郎\n【メールアドレス】takada@example.co.jp\n【お問い合わせ区分】ご契約について\n"
    "【お問い合わせ内容】\n①契約電力の見直しを検討しています。\n"
)
case(
    "31_form_portal_iso2022jp",
    mail(
        std(
            ew(jis("お問い合わせフォーム受付のお知らせ"), "ISO-2022-JP"),
            "<c31@portal.egmkt.co.jp>",
            frm=PORTAL,
        )
        + text_headers("ISO-2022-JP", "7bit"),
        jis(crlf(FORM2.replace("髙", "高"))).replace(jis("高田")[3:7], b"|b" + jis("田")[3:5]),
    ),
    **{"from": PORTAL, "reply_to": "takada@example.co.jp"},
    subject="お問い合わせフォーム受付のお知らせ",
    message_id="<c31@portal.egmkt.co.jp>",
    text=FORM2,
    form={"name": "髙田 一郎", "email": "takada@example.co.jp", "category": "ご契約について"},
)
case(
    "32_reply_with_ticket_and_threading",
    mail(
        std(
            u8("Re: [#000123] ログインできません"),
            "<c32@example.com>",
            extra=[
                ("In-Reply-To", "<reply-1@desk.example.jp>"),
                ("References", "<c01@example.com>\r\n <reply-1@desk.example.jp>"),
            ],
        )
        + text_headers("UTF-8"),
        crlf("ありがとうございます。ログインできました。\n\n> ご回答いたします。\n").encode(),
    ),
    subject="Re: [#000123] ログインできません",
    message_id="<c32@example.com>",
    in_reply_to="<reply-1@desk.example.jp>",
    references=["<c01@example.com>", "<reply-1@desk.example.jp>"],
    text="ありがとうございます。ログインできました。\n\n> ご回答いたします。\n",
)
case(
    "33_missing_message_id",
    mail(std(u8("IDなし")) + text_headers("UTF-8"), crlf("Message-IDがありません。\n").encode()),
    subject="IDなし",
    message_id="",
    text="Message-IDがありません。\n",
)
case(
    "34_header_injection_in_display_name",
    mail(
        std(
            "hello\r\n =?UTF-8?B?" + base64.b64encode(b"x\r\nBcc: victim@example.net").decode() + "?=",
            "<c34@example.com>",
            frm="=?UTF-8?B?"
            + base64.b64encode(b"Evil\r\nBcc: victim@example.net").decode()
            + "?= <evil@example.com>",
            extra=[
                ("Reply-To", "=?UTF-8?B?" + base64.b64encode(b"a\nb").decode() + "?= <Other@Example.com>")
            ],
        )
        + text_headers("UTF-8"),
        b"test\r\n",
    ),
    **{"from": "evil@example.com", "reply_to": "other@example.com"},
    subject="hello x Bcc: victim@example.net",
    message_id="<c34@example.com>",
    text="test\n",
)
case(
    "35_nul_bytes_and_stray_cr",
    mail(
        std(u8("NUL"), "<c35@example.com>") + text_headers("UTF-8"),
        "一行目\x00です\r二行目\r\n三行目\n".encode(),
    ),
    subject="NUL",
    message_id="<c35@example.com>",
    text="一行目です\n二行目\n三行目\n",
)
case(
    "36_unparseable_no_sender",
    b"\x00\x01\x02garbage without any header\xff\xfe\r\n\r\n\x00\x00",
    kind="unparseable",
    **{"from": "", "reply_to": ""},
    subject="",
    message_id="",
    text=None,
)
case(
    "37_reply_to_differs_from_from",
    mail(
        std(
            u8("返信先指定"), "<c37@example.com>", extra=[("Reply-To", f"{u8('経理部')} <Keiri@Example.com>")]
        )
        + text_headers("UTF-8"),
        crlf("返信は経理部宛にお願いします。\n").encode(),
    ),
    reply_to="keiri@example.com",
    subject="返信先指定",
    message_id="<c37@example.com>",
    text="返信は経理部宛にお願いします。\n",
)
case(
    "38_precedence_junk_and_list",
    mail(
        std(
            "[list] weekly",
            "<c38@example.com>",
            extra=[("Precedence", "list"), ("List-Id", "<l.example.com>")],
        )
        + text_headers("UTF-8"),
        b"digest\r\n",
    ),
    kind="auto_reply",
    subject="[list] weekly",
    message_id="<c38@example.com>",
    text="digest\n",
)
case(
    "39_auto_submitted_no_is_inquiry",
    mail(
        std(u8("自動ではありません"), "<c39@example.com>", extra=[("Auto-Submitted", "no")])
        + text_headers("UTF-8"),
        crlf("人が書いたメールです。\n").encode(),
    ),
    subject="自動ではありません",
    message_id="<c39@example.com>",
    text="人が書いたメールです。\n",
)
case(
    "40_form_shaped_body_from_customer_is_plain_email",
    mail(std(u8("フォームと同じ書式"), "<c40@example.com>") + text_headers("UTF-8"), crlf(FORM).encode()),
    subject="フォームと同じ書式",
    message_id="<c40@example.com>",
    text=FORM,
)


def main() -> None:
    for name, raw, expected in CASES:
        (HERE / f"{name}.eml").write_bytes(raw)
        (HERE / f"{name}.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()

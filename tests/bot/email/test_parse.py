from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import mail
from bot.email.charset import decode_iso2022jp_ms, decode_text
from bot.email.parse import ParseOptions, html_to_text, parse_email
from desk.message import Channel, SenderKind

CORPUS = Path(__file__).with_name("corpus")
OPTIONS = ParseOptions(desk_address="support@desk.example.jp", form_senders=("form@portal.egmkt.co.jp",))
PLAIN = b"From: a@example.com\r\nSubject: hi\r\nMessage-ID: <m1@example.com>\r\n\r\nbody\r\n"


def test_iso2022jp_with_circled_digits_decodes() -> None:
    assert decode_iso2022jp_ms(b"\x1b$B-!-j!A\x1b(B") == "①㈱～"


def test_short_euc_jp_without_label_is_not_read_as_korean() -> None:
    assert decode_text("検針日".encode("euc_jp"), None) == "検針日"


def test_plain_email_sender_is_customer_email_lower_cased() -> None:
    msg = parse_email((CORPUS / "06_iso2022jp_nec_headers.eml").read_bytes(), options=OPTIONS).message
    assert (msg.channel, msg.sender, msg.sender_kind) == (
        Channel.EMAIL,
        "yamada@example.com",
        "customer_email",
    )
    assert msg.sender_name == "山田㈱"


def test_form_email_reply_goes_to_typed_address_but_identity_stays_unknown() -> None:
    msg = parse_email((CORPUS / "30_form_portal_utf8.eml").read_bytes(), options=OPTIONS).message
    assert msg.channel == Channel.FORM
    assert msg.sender == msg.reply_to == "sugiyama@fujimi-seiko.co.jp"
    assert msg.sender_kind == SenderKind.UNKNOWN
    assert msg.sender_name == "杉山 恵"


def test_form_shaped_mail_from_a_customer_is_not_a_form() -> None:
    msg = parse_email(
        (CORPUS / "40_form_shaped_body_from_customer_is_plain_email.eml").read_bytes(), options=OPTIONS
    )
    assert msg.message.channel == Channel.EMAIL and msg.message.form is None
    assert msg.message.sender_kind == SenderKind.CUSTOMER_EMAIL


def test_ticket_token_and_thread_ids() -> None:
    msg = parse_email(
        (CORPUS / "32_reply_with_ticket_and_threading.eml").read_bytes(), options=OPTIONS
    ).message
    assert msg.ticket_no == 123
    assert msg.thread_ids == ("<c01@example.com>", "<reply-1@desk.example.jp>")


def test_missing_message_id_uses_hash_of_raw_bytes() -> None:
    raw = (CORPUS / "33_missing_message_id.eml").read_bytes()
    msg = parse_email(raw, options=OPTIONS).message
    assert msg.external_id == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_received_at_prefers_internaldate_then_date_header() -> None:
    raw = (CORPUS / "01_utf8_8bit.eml").read_bytes()
    internal = dt.datetime(2025, 6, 3, 1, 16, tzinfo=dt.UTC)
    assert parse_email(raw, internaldate=internal).message.received_at == internal
    from_date = parse_email(raw).message.received_at
    assert from_date == dt.datetime(2025, 6, 3, 1, 15, tzinfo=dt.UTC)


def test_received_at_falls_back_to_now_and_is_aware() -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert parse_email(PLAIN, now=now).message.received_at == now


def test_oversize_is_flagged_without_parsing_the_body() -> None:
    raw = PLAIN + b"x" * 200
    parsed = parse_email(raw, options=ParseOptions(max_bytes=100))
    assert parsed.message.kind == "oversize"
    assert parsed.message.text == "" and parsed.message.raw == raw
    assert parsed.message_id == "<m1@example.com>" and parsed.reason


def test_header_injection_never_reaches_reply_fields() -> None:
    parsed = parse_email((CORPUS / "34_header_injection_in_display_name.eml").read_bytes(), options=OPTIONS)
    for value in (parsed.message.sender_name, parsed.message.subject, parsed.message.reply_to):
        assert "\r" not in value and "\n" not in value


def test_reply_to_with_two_addresses_takes_the_first_valid_one() -> None:
    raw = b"From: a@example.com\r\nReply-To: b@example.com, c@example.com\r\n\r\nx\r\n"
    assert parse_email(raw).message.reply_to == "b@example.com"


def test_html_to_text_drops_scripts_and_keeps_line_breaks() -> None:
    assert html_to_text("<p>一</p><script>x()</script><div>二<br>三</div>") == "一\n二\n三\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_parse_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    parsed = parse_email(raw, options=OPTIONS)
    assert parsed.message.kind in {"inquiry", "auto_reply", "bounce", "own", "unparseable", "oversize"}
    json.dumps(parsed.to_json("x"), ensure_ascii=False)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"From: ",
                b"=?iso-2022-jp?B?GyRCLSE=?=",
                b"\r\n",
                b"Content-Type: multipart/mixed; boundary=b\r\n",
                b"--b\r\n",
                b"\x1b$B",
                b"<a@b>",
                b"Subject: ",
                b"\xff",
                b": ",
                b"a@b.c",
            ]
        ),
        max_size=40,
    )
)
def test_parse_never_raises_on_header_shaped_garbage(parts: list[bytes]) -> None:
    parse_email(b"".join(parts), options=OPTIONS)


def test_cli_parse_email_prints_one_json_object_per_file_and_exits_2_on_a_missing_one(tmp_path: Path) -> None:
    missing = tmp_path / "missing.eml"
    files = [CORPUS / "05_iso2022jp_nec_body.eml", CORPUS / "36_unparseable_no_sender.eml", missing]
    app = typer.Typer()
    app.callback()(lambda: None)
    mail.register(app)
    result = CliRunner().invoke(app, ["parse-email", *map(str, files), "--json"])
    assert result.exit_code == 2, result.output  # the missing file is reported, after the others
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["kind"] for r in rows] == ["inquiry", "unparseable", "unparseable"]
    assert set(rows[0]) == {
        "file",
        "kind",
        "from",
        "reply_to",
        "subject",
        "message_id",
        "in_reply_to",
        "references",
        "text",
        "form",
        "attachments",
    }
    assert rows[0]["text"] == "①請求書の件\n㈱山田商事　№12\n期間：4月～6月\nⅢ号棟\n"
    assert rows[1]["reason"] and rows[2]["reason"]


def test_form_shaped_mail_decides_nothing_while_no_form_sender_is_configured() -> None:
    # The portal's own layout, but nobody told the desk which address the portal sends from: the address
    # typed into the body must not become the sender (it would prove an identity nobody proved).
    raw = (CORPUS / "30_form_portal_utf8.eml").read_bytes()
    msg = parse_email(raw, options=ParseOptions(desk_address="support@desk.example.jp")).message
    assert msg.channel == Channel.EMAIL and msg.form is None
    assert msg.sender != "sugiyama@fujimi-seiko.co.jp"
    assert msg.sender_kind == SenderKind.CUSTOMER_EMAIL

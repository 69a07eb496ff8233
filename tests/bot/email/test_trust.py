"""Attacks on identity through the email adapter: raw 8-bit From addresses, forged or failing sender
authentication, look-alike domains. Each runs the real path (raw bytes → parse → pipeline → store)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.email.intake import ImapIntake
from bot.email.parse import ParseOptions, parse_email
from desk import trust
from desk.pipeline import Pipeline
from intents.understand import Understander
from store.models import ContactEmail, Draft, Inquiry
from store.seed import seed_store
from tests.bot.email.helpers import append, folder_uids, imap_settings
from tests.desk.resolvers.cases import DESK
from tests.services.dovecot import Dovecot

CUSTOMER = "m.suzuki@hokuto-foods.example.jp"  # a registered contact of the demo store
QUESTION = "今月分の電気料金の振込期日はいつでしょうか。"
OURS = "mx.desk.example.jp"
_ids = count(1)


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander.load()


@pytest.fixture
def pipeline(engine: Engine, understander: Understander) -> Iterator[Pipeline]:
    import datetime as dt

    seed_store(engine, customers=0, seed=1, today=dt.date(2026, 11, 20))
    yield Pipeline(engine=engine, desk=DESK, understander=understander)


def mail(from_: bytes, *, top: list[bytes] = (), below: list[bytes] = (), text: str = QUESTION) -> bytes:  # type: ignore[assignment]
    head = [
        *top,
        b"From: =?utf-8?b?6Yi05pyo?= <" + from_ + b">",
        b"To: support@desk.example.jp",
        b"Subject: =?utf-8?b?5oyv6L6844Gu5pyf5pel?=",
        f"Message-ID: <t{next(_ids)}@test>".encode(),
        b"Date: Fri, 20 Nov 2026 10:00:00 +0900",
        *below,
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + text.encode() + b"\r\n"


def ar(authserv: str, results: str) -> bytes:
    return f"Authentication-Results: {authserv}; {results}".encode()


def run(pipeline: Pipeline, raw: bytes, **options: object) -> tuple[Inquiry, Draft]:
    opts = ParseOptions(desk_address="support@desk.example.jp", **options)  # type: ignore[arg-type]
    result = asyncio.run(pipeline.process(parse_email(raw, options=opts).message))
    with Session(pipeline.engine) as s:
        inquiry = s.get(Inquiry, result.inquiry_id)
        draft = s.get(Draft, result.draft_id)
    assert inquiry is not None and draft is not None
    return inquiry, draft


def test_the_registered_sender_is_verified_as_a_baseline(pipeline: Pipeline) -> None:
    inquiry, draft = run(pipeline, mail(CUSTOMER.encode()))
    assert inquiry.identity_verified and draft.source_digest


# -- 8-bit local parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "local",
    ["ｍ.ｓｕｚｕｋｉ", "m.suzukі", "鈴木"],  # full-width letters, a Cyrillic і, kanji
    ids=["fullwidth", "cyrillic", "kanji"],
)
def test_an_8bit_local_part_is_stored_flagged_and_never_verified(pipeline: Pipeline, local: str) -> None:
    address = f"{local}@hokuto-foods.example.jp"
    # The worst case: someone managed to register that very string as a contact. Still never proof.
    with Session(pipeline.engine) as s:
        real = s.exec(select(ContactEmail).where(ContactEmail.email == CUSTOMER)).one()
        s.add(ContactEmail(customer_id=real.customer_id, email=address.lower()))
        s.commit()
    inquiry, draft = run(pipeline, mail(address.encode()))
    assert inquiry.sender == address.lower() and inquiry.text.startswith("今月分")
    assert trust.SUSPICIOUS_SENDER in inquiry.flags
    assert not inquiry.identity_verified and draft.source_digest == ""
    assert any("不正な文字" in n for n in draft.notes)


def test_an_8bit_local_part_through_real_imap_is_filed_not_retried(
    engine: Engine, imap_server: Dovecot, understander: Understander
) -> None:
    import datetime as dt

    seed_store(engine, customers=0, seed=1, today=dt.date(2026, 11, 20))
    pipeline = Pipeline(engine=engine, desk=DESK, understander=understander)
    append(imap_server, mail("ｍ.ｓｕｚｕｋｉ@hokuto-foods.example.jp".encode()), mail(CUSTOMER.encode()))
    reader = ImapIntake(engine=engine, settings=imap_settings(imap_server), handle=pipeline.process)
    assert asyncio.run(reader.run_once()) == 2
    assert folder_uids(imap_server, "INBOX") == {}  # both handled, none left failing in the inbox
    with Session(engine) as s:
        rows = s.exec(select(Inquiry).order_by(Inquiry.id)).all()  # type: ignore[arg-type]
    assert [r.status for r in rows] == ["drafted", "drafted"]
    assert trust.SUSPICIOUS_SENDER in rows[0].flags and not rows[0].identity_verified
    assert rows[1].identity_verified


# -- sender authentication -------------------------------------------------------------------------------


def test_a_registered_from_failing_dmarc_is_not_proven(pipeline: Pipeline) -> None:
    raw = mail(
        CUSTOMER.encode(),
        top=[ar(OURS, "spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=hokuto-foods.example.jp")],
    )
    inquiry, draft = run(pipeline, raw, authserv_id=OURS)
    assert trust.AUTH_FAIL in inquiry.flags
    assert not inquiry.identity_verified and draft.source_digest == ""
    assert any("DMARC" in n for n in draft.notes)


def test_a_pass_written_by_the_sender_below_their_headers_is_ignored(pipeline: Pipeline) -> None:
    forged = ar(OURS, "dmarc=pass header.from=hokuto-foods.example.jp")
    raw = mail(
        CUSTOMER.encode(), top=[ar(OURS, "dmarc=fail header.from=hokuto-foods.example.jp")], below=[forged]
    )
    inquiry, _ = run(pipeline, raw, authserv_id=OURS)
    assert trust.AUTH_FAIL in inquiry.flags and not inquiry.identity_verified
    # Our server added nothing; the sender's own header with our id proves nothing.
    inquiry, _ = run(pipeline, mail(CUSTOMER.encode(), below=[forged]), authserv_id=OURS)
    assert trust.AUTH_MISSING in inquiry.flags and not inquiry.identity_verified


def test_a_pass_from_another_authserv_id_is_ignored(pipeline: Pipeline) -> None:
    raw = mail(
        CUSTOMER.encode(), top=[ar("mx.elsewhere.example", "dmarc=pass header.from=hokuto-foods.example.jp")]
    )
    inquiry, _ = run(pipeline, raw, authserv_id=OURS)
    assert trust.AUTH_MISSING in inquiry.flags and not inquiry.identity_verified


def test_a_pass_for_another_domain_is_not_aligned(pipeline: Pipeline) -> None:
    raw = mail(
        CUSTOMER.encode(),
        top=[ar(OURS, "spf=pass smtp.mailfrom=bulk@mailer.example; dkim=pass header.d=mailer.example")],
    )
    inquiry, _ = run(pipeline, raw, authserv_id=OURS)
    assert trust.AUTH_UNALIGNED in inquiry.flags and not inquiry.identity_verified


@pytest.mark.parametrize(
    "results",
    [
        "dmarc=pass header.from=hokuto-foods.example.jp",
        "spf=none; dkim=pass header.d=mail.hokuto-foods.example.jp header.s=s1",  # relaxed alignment
    ],
)
def test_an_aligned_pass_from_our_server_keeps_the_registered_sender_proven(
    pipeline: Pipeline, results: str
) -> None:
    raw = mail(CUSTOMER.encode(), top=[b"Received: from mx by mx.desk.example.jp", ar(OURS, results)])
    inquiry, draft = run(pipeline, raw, authserv_id=OURS)
    assert trust.AUTH_PASS in inquiry.flags
    assert inquiry.identity_verified and draft.source_digest
    assert any("送信元認証: 合格" in n for n in draft.notes)


def test_without_an_authserv_id_nothing_is_checked(pipeline: Pipeline) -> None:
    inquiry, _ = run(pipeline, mail(CUSTOMER.encode(), top=[ar(OURS, "dmarc=fail")]))
    assert not any(f.startswith("sender_auth") for f in inquiry.flags)
    assert inquiry.identity_verified  # development default, see docs/security.md


# -- look-alike domains ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "hokuto-f0ods.example.jp",  # digit for letter
        "hokuto-foodss.example.jp",  # one extra character
        "hokuto-fodos.example.jp",  # two characters swapped
        "hokuto-foods.example.com",  # the same name under another suffix
        "hokutо-foods.example.jp".encode("idna").decode(),  # Cyrillic о, as punycode (IDN)
    ],
)
def test_a_lookalike_of_a_registered_domain_is_flagged(pipeline: Pipeline, domain: str) -> None:
    inquiry, draft = run(pipeline, mail(f"m.suzuki@{domain}".encode()))
    assert trust.IMPERSONATION in inquiry.flags and not inquiry.identity_verified
    assert any("hokuto-foods.example.jp" in n and "なりすまし" in n for n in draft.notes)


def test_an_unrelated_domain_is_not_called_a_lookalike(pipeline: Pipeline) -> None:
    inquiry, _ = run(pipeline, mail(b"someone@freemail.example.com"))
    assert trust.IMPERSONATION not in inquiry.flags and "identity_unverified" in inquiry.flags


# -- what staff see --------------------------------------------------------------------------------------


def test_the_card_says_the_authentication_result_in_japanese(pipeline: Pipeline) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from bot.slack import cards
    from bot.slack.poster import load_card

    raw = mail(CUSTOMER.encode(), top=[ar(OURS, "dmarc=fail header.from=hokuto-foods.example.jp")])
    inquiry, _ = run(pipeline, raw, authserv_id=OURS)
    with Session(pipeline.engine) as s:
        data = load_card(s, inquiry.id or 0)
    now = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)
    text = str(cards.triage_card(data, labels={}, now=now, tz=ZoneInfo("Asia/Tokyo")).blocks)
    assert "送信元認証: 不合格（DMARC）" in text and "本人確認未了" in text
    assert "sender_auth" not in text  # never a raw flag id


# -- customer text never breaks a reply ------------------------------------------------------------------

FORM = Path(__file__).with_name("corpus") / "30_form_portal_utf8.eml"


@pytest.mark.parametrize("name", ["{{ 杉山 恵 }}", "{% raw %}杉山{# 恵", "None 杉山"])
def test_braces_typed_into_the_form_name_do_not_block_the_send(pipeline: Pipeline, name: str) -> None:
    from desk import actions
    from store.db import session_scope

    raw = FORM.read_bytes().replace("お名前：杉山 恵".encode(), f"お名前：{name}".encode())
    inquiry, draft = run(pipeline, raw, form_senders=("form@portal.egmkt.co.jp",))
    assert inquiry.sender_name == name and name in draft.text  # copied into the greeting as typed
    with session_scope(pipeline.engine) as s:
        row = actions.approve(s, draft_id=draft.id or 0, actor="cli:test")
        assert row.body.count(name) == 1
    # Staff typing a leftover themselves is still caught.
    raw2 = raw.replace(b"<c30@", b"<c31@")
    _, draft2 = run(pipeline, raw2, form_senders=("form@portal.egmkt.co.jp",))
    with session_scope(pipeline.engine) as s, pytest.raises(actions.SendBlocked):
        actions.approve(s, draft_id=draft2.id or 0, actor="cli:test", edited_text=draft2.text + "{{ x }}")


@pytest.mark.parametrize("written", ["13月45日", "令和99年4月1日", "2月30日"])
def test_an_impossible_date_is_told_to_staff(pipeline: Pipeline, written: str) -> None:
    inquiry, draft = run(
        pipeline, mail(CUSTOMER.encode(), text=f"契約を{written}で解約したいです。違約金を教えてください。")
    )
    assert trust.INVALID_DATE in inquiry.flags
    assert any(written in n and "ありえない日付" in n for n in draft.notes)
    assert written not in str(draft.facts)


def test_a_real_date_is_not_called_impossible(pipeline: Pipeline) -> None:
    inquiry, draft = run(pipeline, mail(CUSTOMER.encode(), text="契約を2027年3月31日で解約したいです。"))
    assert trust.INVALID_DATE not in inquiry.flags
    assert not any("ありえない日付" in n for n in draft.notes)

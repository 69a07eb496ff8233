"""Drafts of non-inquiries (desk/noninquiry.py): a misdirected mail gets its own short reply in Japanese and
English, a complaint only a blank frame that cannot leave unwritten, an out-of-scope request the generic
``other`` draft; none of them carries contract data, even for a verified sender."""

from __future__ import annotations

import dataclasses

import pytest

from desk import noninquiry
from desk.drafting import draft_reply, leftover_problems
from intents.knowledge import load_knowledge
from intents.model import OTHER_REASONS
from tests.desk.resolvers.cases import DESK, case

KNOWLEDGE = load_knowledge()
PRIVATE = ["京橋第一工場", "EG20240123", "30012345"]


def reading(reason: str, *, language: str = "ja", verified: bool = True, body: str = "") -> object:
    c = case("other", verified=verified, body=body)
    return dataclasses.replace(
        c, understanding=dataclasses.replace(c.understanding, other_reason=reason, language=language)
    )


def test_every_reason_has_a_japanese_label_and_a_handling() -> None:
    assert set(noninquiry.REASON_LABELS) == set(OTHER_REASONS)
    assert "out_of_scope" in OTHER_REASONS
    assert (
        OTHER_REASONS.index("misdirected")
        < OTHER_REASONS.index("out_of_scope")
        < OTHER_REASONS.index("unclear")
    )
    assert noninquiry.reason_label("out_of_scope") == "手続き外のご用件"
    assert noninquiry.reason_label("phishing") == "フィッシングの疑い"
    assert noninquiry.reason_label(None) == "理由未判定"


@pytest.mark.parametrize("verified", [True, False])
def test_a_misdirected_mail_gets_the_short_reply_in_japanese(verified: bool) -> None:
    d = draft_reply(reading("misdirected", verified=verified), desk=DESK, knowledge=KNOWLEDGE)  # type: ignore[arg-type]
    assert "別の宛先へのご連絡のようにお見受けいたします" in d.text
    assert "高圧・特別高圧の電気のご契約に関するお問い合わせ窓口" in d.text
    assert "担当者が確認のうえ" not in d.text
    assert not d.discloses_contract and not any(p in d.text for p in PRIVATE)
    assert leftover_problems(d.text) == []


def test_a_misdirected_mail_written_in_english_gets_the_reply_in_english() -> None:
    d = draft_reply(reading("misdirected", language="en"), desk=DESK, knowledge=KNOWLEDGE)  # type: ignore[arg-type]
    assert d.language == "en" and "appears to be intended for someone else" in d.text
    assert "inquiry desk for high-voltage" in d.text and "お見受け" not in d.text
    assert leftover_problems(d.text) == []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_complaint_gets_only_a_blank_frame_that_the_last_check_refuses(language: str) -> None:
    d = draft_reply(reading("complaint", language=language), desk=DESK, knowledge=KNOWLEDGE)  # type: ignore[arg-type]
    assert noninquiry.BLANK_MARK in d.text and d.urgent
    assert "お詫び" not in d.text and "sorry" not in d.text.lower()  # no templated apology
    assert any("記入欄" in p for p in leftover_problems(d.text))
    written = d.text.replace(noninquiry.BLANK_MARK, "このたびはご迷惑をおかけしました。責任者の山本が…")
    assert leftover_problems(written) == []


def test_an_out_of_scope_request_keeps_the_generic_other_draft() -> None:
    d = draft_reply(
        reading("out_of_scope", body="領収書を発行してください。"), desk=DESK, knowledge=KNOWLEDGE
    )  # type: ignore[arg-type]
    assert "担当者が確認のうえ" in d.text


def test_link_hosts_are_named_once_and_never_left_clickable() -> None:
    text = "こちら https://login.evil.example/a?b=1 と http://LOGIN.evil.example/x と www.bad.example.jp を開いて"
    assert noninquiry.link_domains(text) == ["login.evil.example", "www.bad.example.jp"]
    safe = noninquiry.defang_links(text)
    assert "https://" not in safe and "login[.]evil[.]example" in safe and "www[.]bad[.]example[.]jp" in safe

"""``/madoguchi`` subcommands and staff @mentions, with realistic Japanese input, through the real app."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from bot.slack.app import SlackDesk, build_desk
from desk.pipeline import Pipeline
from store.db import session_scope
from store.models import Contract, Customer, Inquiry, InquiryMessage
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    OTHER_CHANNEL,
    OUTSIDER,
    STAFF,
    SlackSim,
    all_rows,
    make_settings,
    seed_customer,
    seed_drafted,
)
from tests.bot.slack.fake_slack import BOT_USER_ID, FakeSlack

# 2026-11-23 10:00 in Tokyo (a Monday and a holiday; the answers below were worked out by hand from domain.md)
NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def desk(fake_slack: FakeSlack, engine: Engine, pipeline: Pipeline) -> SlackDesk:
    return build_desk(settings=make_settings(fake_slack), engine=engine, pipeline=pipeline, clock=lambda: NOW)


def answer(reply_text: str) -> tuple[str, str]:
    body = json.loads(reply_text)
    return body["response_type"], body["text"]


async def test_help_is_ephemeral_and_lists_the_subcommands(slack: SlackSim) -> None:
    kind, text = answer((await slack.command("help", user=OUTSIDER)).text)
    assert kind == "ephemeral"
    for sub in ("faq", "contract", "penalty", "due", "queue", "stats"):
        assert f"`{sub}" in text


async def test_faq_finds_the_password_answer_and_can_be_public(slack: SlackSim) -> None:
    kind, text = answer((await slack.command("faq パスワードを忘れた 公開", user=OUTSIDER)).text)
    assert kind == "in_channel"
    assert "パスワードを忘れてしまいました。" in text
    assert "認証キー" in text


async def test_faq_without_a_match_says_so(slack: SlackSim) -> None:
    _kind, text = answer((await slack.command("faq ＸＹＺＺＹ", user=OUTSIDER)).text)
    assert "見つかりませんでした" in text


async def test_contract_view_by_full_width_contract_number(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    kind, text = answer((await slack.command("contract ＥＧ－２０２４０１２３", user=STAFF)).text)
    assert kind == "ephemeral"
    assert "山田製作所株式会社" in text and "お客さま番号 30012345" in text
    assert "EG20240123" in text and "300 kW（実量制）" in text and "毎月15日" in text and "口座引落" in text


async def test_contract_view_by_customer_number_and_by_email(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    for query in ("3001-2345", "Yamada@Example.com"):
        _kind, text = answer((await slack.command(f"contract {query}", user=STAFF)).text)
        assert "本社工場" in text, query


async def test_unknown_contract_number_is_a_clear_answer(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    reply = await slack.command("contract EG99999999", user=STAFF)
    assert reply.status == 200
    assert answer(reply.text)[1] == "契約番号 EG99999999 は登録されていません。番号をご確認ください。"
    _kind, text = answer((await slack.command("contract 山田製作所", user=STAFF)).text)
    assert "いずれでもありません" in text


async def test_contract_data_is_refused_to_non_staff(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    for sub in ("contract EG20240123", "penalty EG20240123", "due EG20240123", "queue"):
        _kind, text = answer((await slack.command(sub, user=OUTSIDER)).text)
        assert "担当者のみ" in text and "山田" not in text, sub


async def test_penalty_inside_the_term_for_a_switch_and_a_removal(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    # 300 kW × 1,650 円/kW: switch inside the term × 3, removal × 1.5.
    _kind, text = answer((await slack.command("penalty EG20240123 2026年12月31日", user=STAFF)).text)
    assert "他社への切替の場合*: 1,485,000円" in text
    assert "設備の撤去（閉店・移転など）の場合*: 742,500円" in text
    assert "（契約電力 × 基本料金単価 × 3）" in text and "（契約電力 × 基本料金単価 × 1.5）" in text
    assert "か月分" not in text  # the multiplier is not a number of months
    assert "契約期間の満了日: 2027/03/31" in text


async def test_penalty_at_term_end_with_notice_in_time_is_zero(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    _kind, text = answer((await slack.command("penalty EG20240123 2027/3/31 switch", user=STAFF)).text)
    assert "他社への切替の場合*: 0円（違約金なし）" in text and "設備" not in text
    assert "解約通知の期限: 2026/12/31" in text


async def test_malformed_and_impossible_dates_are_explained(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    _kind, text = answer((await slack.command("penalty EG20240123 来年の春ごろ", user=STAFF)).text)
    assert text == "日付「来年の春ごろ」の形式が正しくありません。2027-03-31 のように入力してください。"
    _kind, text = answer((await slack.command("penalty EG20240123 2027-02-30", user=STAFF)).text)
    assert text == "日付「2027-02-30」は存在しない日付です。"


async def test_due_gives_the_next_debit_date(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    # Metered 2026-10-15 → debited on the 27th of the next month, a Friday.
    _kind, text = answer((await slack.command("due EG20240123", user=STAFF)).text)
    assert "次回の引落日: *2026/11/27*" in text and "2026/10/15 計量分" in text


async def test_queue_lists_pending_inquiries_oldest_first(slack: SlackSim, engine: Engine) -> None:
    seed_drafted(engine)
    _kind, text = answer((await slack.command("queue", user=STAFF)).text)
    assert "対応待ちの問い合わせ（古い順、1件）" in text and "#000001" in text


async def test_stats_and_unknown_subcommands(slack: SlackSim) -> None:
    _kind, text = answer((await slack.command("stats year", user=STAFF)).text)
    assert text == "期間は week（週）か month（月）で指定してください。"
    _kind, text = answer((await slack.command("stats", user=STAFF)).text)
    assert text  # the reports helper's text, or a note that it is not available yet
    _kind, text = answer((await slack.command("frobnicate", user=STAFF)).text)
    assert text.startswith("「frobnicate」というサブコマンドはありません。")


def mention(text: str, user: str, channel: str = OTHER_CHANNEL, ts: str = "1763870000.000500") -> dict:
    return {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}


async def test_staff_mention_gets_the_reading_in_the_thread_and_nothing_is_stored(
    slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    reply = await slack.event(mention(f"<@{BOT_USER_ID}> EG20240123 来月末で解約したい、違約金は？", STAFF))
    assert reply.status == 200
    posts = fake_slack.posts(OTHER_CHANNEL)
    assert len(posts) == 1 and posts[0]["thread_ts"] == "1763870000.000500"
    text = json.dumps(posts[0]["blocks"], ensure_ascii=False)
    assert "解約" in text and "契約番号: EG20240123" in text
    assert "山田製作所株式会社" in text
    assert all_rows(engine, Inquiry) == [] and all_rows(engine, InquiryMessage) == []


async def test_mention_by_non_staff_is_politely_refused(
    slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(mention(f"<@{BOT_USER_ID}> EG20240123 の違約金は？", OUTSIDER))
    assert fake_slack.posts() == []
    refusals = fake_slack.called("chat.postEphemeral")
    assert len(refusals) == 1 and refusals[0]["user"] == OUTSIDER and "担当者のみ" in refusals[0]["text"]


async def test_customer_mentioning_the_bot_in_their_channel_is_handled_as_intake_not_refused(
    slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    await slack.event(mention(f"<@{BOT_USER_ID}> 請求書はどこ？", OUTSIDER, channel=CUSTOMER_CHANNEL))
    assert fake_slack.called("chat.postEphemeral") == []


async def test_mention_with_an_unknown_contract_number_says_it_is_not_in_the_store(
    slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(mention(f"<@{BOT_USER_ID}> ＥＧ９９９９９９９９ を3月末で解約すると違約金は？", STAFF))
    text = json.dumps(fake_slack.posts(OTHER_CHANNEL)[0]["blocks"], ensure_ascii=False)
    assert "EG99999999" in text and "ストアにない番号" in text
    assert "山田製作所" not in text


# -- public answers in a channel shared with one customer ------------------------------------------------
def seed_other_customer(engine: Engine) -> None:
    """A second customer (鈴木物産, 30099999, EG20259999) who must never show in 山田製作所's channel."""
    with session_scope(engine) as session:
        customer = Customer(customer_no="30099999", name="鈴木物産株式会社", contact_person="鈴木 花子")
        session.add(customer)
        session.flush()
        session.add(
            Contract(
                contract_no="EG20259999",
                supply_point_id="0300999988887777666655",
                customer_id=customer.id or 0,
                facility_name="横浜倉庫",
                grid_area="03",
                contract_power_kw=Decimal("480"),
                basic_unit_price=Decimal("1700.00"),
                energy_unit_price=Decimal("16.10"),
                supply_start=dt.date(2025, 4, 1),
                applied_on=dt.date(2025, 4, 1),
                metering_day=1,
            )
        )


@pytest.mark.parametrize(
    "command",
    [
        "contract EG20259999 公開",
        "contract 30099999 --public",
        "penalty EG20259999 公開",
        "due EG20259999 公開",
    ],
)
async def test_public_answer_about_another_customer_in_a_shared_channel_is_refused_privately(
    slack: SlackSim, engine: Engine, command: str
) -> None:
    seed_customer(engine)
    seed_other_customer(engine)
    kind, text = answer((await slack.command(command, user=STAFF, channel=CUSTOMER_CHANNEL)).text)
    assert kind == "ephemeral"
    assert "公開で表示できません" in text
    for secret in ("鈴木物産", "横浜倉庫", "480", "1,700", "EG20259999"):
        assert secret not in text


async def test_public_answer_about_the_channels_own_customer_is_posted(
    slack: SlackSim, engine: Engine
) -> None:
    seed_customer(engine)
    seed_other_customer(engine)
    kind, text = answer(
        (await slack.command("contract EG20240123 公開", user=STAFF, channel=CUSTOMER_CHANNEL)).text
    )
    assert kind == "in_channel"
    assert "山田製作所株式会社" in text and "鈴木物産" not in text


async def test_public_queue_in_a_shared_channel_is_refused_privately(slack: SlackSim, engine: Engine) -> None:
    seed_drafted(engine)
    kind, text = answer((await slack.command("queue 公開", user=STAFF, channel=CUSTOMER_CHANNEL)).text)
    assert kind == "ephemeral"
    assert "公開で表示できません" in text and "#0000" not in text


async def test_public_answer_elsewhere_still_works_for_any_customer(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    seed_other_customer(engine)
    kind, text = answer(
        (await slack.command("contract EG20259999 公開", user=STAFF, channel=OTHER_CHANNEL)).text
    )
    assert kind == "in_channel" and "鈴木物産株式会社" in text


async def test_refusal_to_a_non_staff_member_is_ephemeral_even_when_public(
    slack: SlackSim, engine: Engine
) -> None:
    seed_customer(engine)
    kind, text = answer((await slack.command("contract EG20240123 公開", user=OUTSIDER)).text)
    assert kind == "ephemeral" and "山田製作所" not in text


async def test_a_lookup_error_is_never_posted_to_the_channel(slack: SlackSim, engine: Engine) -> None:
    seed_customer(engine)
    kind, _text = answer(
        (await slack.command("contract EG99999999 公開", user=STAFF, channel=CUSTOMER_CHANNEL)).text
    )
    assert kind == "ephemeral"

"""What managers see in Slack: the App Home dashboard, the ``/madoguchi stats`` text and the weekly digest
(summary + chart) in the managers' channel.

All numbers come from :func:`store.reports.build_report`; the store is read in a worker thread so the event
loop never waits on the database or on matplotlib.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine

from bot.reporting.labels import intent_label
from bot.reporting.tables import hours, share
from bot.settings import Settings
from bot.slack import blockkit as bk
from bot.slack.staff import Role, directory, refusal
from store.reports import ALL, Bucketing, Report, ReportRange, bucket_start, build_report, previous_bucket

log = logging.getLogger(__name__)

_PERIOD_JA = {"week": "今週", "month": "今月"}
_PREVIOUS_JA = {"week": "先週", "month": "先月"}


def _report(
    engine: Engine, settings: Settings, since: dt.date, until: dt.date, by: Bucketing, now: dt.datetime
) -> Report:
    hours_ = settings.desk_hours()
    rng = ReportRange(since, until, by, settings.timezone)
    return build_report(
        engine, rng, hours=hours_, target_hours=settings.desk.sla_target_business_hours, now=now
    )


def _now(settings: Settings) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(settings.timezone))


def _summary_lines(report: Report, period: str) -> list[str]:
    """Counts of the last bucket against the one before, SLA, queue and the most edited intents."""
    current = report.volumes.totals[-1]
    overall = report.response_times[-1]
    queue = report.queue[-1]
    sign = "+" if current.change > 0 else ""
    lines = [
        f"*問い合わせ件数*　{_PERIOD_JA.get(period, '今期')} {current.count}件"
        f"（{_PREVIOUS_JA.get(period, '前期')} {current.previous}件、{sign}{current.change}件）",
        f"*初回応答*　中央値 {hours(overall.first_response_median)}／p90 {hours(overall.first_response_p90)}"
        f"　目標{report.sla_target_hours:g}営業時間以内 {share(overall.within_target_share)}",
        f"*未対応*　{queue.pending}件（最も古いもの {hours(queue.oldest_age_hours)} 経過）",
    ]
    if report.most_edited:
        worst = "、".join(f"{intent_label(q.intent)} {share(q.edited_share)}" for q in report.most_edited[:3])
        lines.append(f"*修正の多い下書き*　{worst}")
    if report.reroutes:
        top = report.reroutes[0]
        lines.append(
            f"*付け替えの多い分類*　{intent_label(top.from_intent)} → {intent_label(top.to_intent)}（{top.count}件）"
        )
    return lines


def stats_text(engine: Engine, settings: Settings, period: str) -> str:
    """Text for ``/madoguchi stats [week|month]``: the current week or month so far against the previous
    one. Blocking (reads the store): call it in a worker thread."""
    if period not in ("week", "month"):
        raise ValueError("period must be week or month")
    by: Bucketing = "week" if period == "week" else "month"
    now = _now(settings)
    today = now.date()
    report = _report(engine, settings, bucket_start(today, by), today, by, now)
    title = f"*対応状況（{_PERIOD_JA[period]}: {report.range.since:%m/%d}～）*"
    return "\n".join([title, *_summary_lines(report, period)])


# --- App Home ------------------------------------------------------------------------------------------


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": bk.truncate(text, bk.SECTION_TEXT)}}


def dashboard_view(report: Report) -> dict[str, Any]:
    """The Home tab: this week against last week, SLA, queue per assignee, most edited intents."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "窓口 ダッシュボード"}},
        _section("\n".join(_summary_lines(report, "week"))),
        {"type": "divider"},
    ]
    queue = [
        f"• {'未割り当て' if q.assignee is None else bk.escape_mrkdwn(q.assignee)}: {q.pending}件"
        f"（最古 {hours(q.oldest_age_hours)}）"
        for q in report.queue
        if q.assignee != ALL
    ]
    blocks.append(_section("*担当者別の未対応*\n" + ("\n".join(queue) or "未対応はありません。")))
    times = [
        f"• {intent_label(t.intent)}: 中央値 {hours(t.first_response_median)}／p90 {hours(t.first_response_p90)}"
        for t in report.response_times
        if t.intent != ALL and t.answered
    ]
    blocks.append(_section("*意図別の初回応答（今週）*\n" + ("\n".join(times[:15]) or "まだありません。")))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"更新: {report.generated_at:%Y-%m-%d %H:%M}（営業時間換算）"}
            ],
        }
    )
    return {"type": "home", "blocks": blocks}


_NOT_STAFF_VIEW = {
    "type": "home",
    "blocks": [_section("このページは窓口の管理者向けです。")],
}


def register_manager(app: AsyncApp, *, engine: Engine, settings: Settings) -> None:
    """Publish the manager dashboard whenever a manager (or admin) opens the app's Home tab; anyone else
    gets a page without figures, and the refusal is audited."""
    roles = directory(settings.slack)

    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user") or "")
        if not await roles.has(client, user, Role.MANAGER):
            await client.views_publish(user_id=user, view=_NOT_STAFF_VIEW)
            await asyncio.to_thread(refusal, engine, user, "app_home")
            return
        now = _now(settings)
        start = bucket_start(now.date(), "week")
        report = await asyncio.to_thread(_report, engine, settings, start, now.date(), "week", now)
        await client.views_publish(user_id=user, view=dashboard_view(report))

    app.event("app_home_opened")(on_home_opened)


# --- weekly digest ---------------------------------------------------------------------------------------


def next_digest_at(now: dt.datetime, settings: Settings) -> dt.datetime:
    """The next configured weekday and time (desk time zone) strictly after ``now``."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    days = (settings.slack.digest_weekday - local.weekday()) % 7
    candidate = dt.datetime.combine(local.date() + dt.timedelta(days=days), settings.slack.digest_time, zone)
    if candidate <= local:
        candidate += dt.timedelta(days=7)
    return candidate


def digest_report(engine: Engine, settings: Settings, now: dt.datetime) -> Report:
    """The eight whole weeks before ``now``'s week (the last of them is "last week")."""
    last_week = previous_bucket(
        bucket_start(now.astimezone(ZoneInfo(settings.timezone)).date(), "week"), "week"
    )
    since = last_week - dt.timedelta(weeks=7)
    return _report(engine, settings, since, last_week + dt.timedelta(days=6), "week", now)


async def post_digest(client: AsyncWebClient, engine: Engine, settings: Settings, now: dt.datetime) -> None:
    """Post last week's summary to the managers' channel, with the trend and response-time chart in the
    thread."""
    from bot.reporting.charts import render_chart

    channel = settings.slack.managers_channel
    if not channel:
        log.warning("weekly digest skipped: slack.managers_channel is not set")
        return
    report = await asyncio.to_thread(digest_report, engine, settings, now)
    week = report.volumes.buckets[-1]
    title = f"週次レポート（{week:%m/%d}～{week + dt.timedelta(days=6):%m/%d}）"
    lines = _summary_lines(report, "week")
    lines[0] = lines[0].replace("今週", "先週", 1).replace("（先週", "（前の週", 1)
    text = f"*{title}*\n" + "\n".join(lines)
    posted = await client.chat_postMessage(channel=channel, text=text, blocks=[_section(text)])
    chart = await asyncio.to_thread(render_chart, report)
    await client.files_upload_v2(
        channel=channel,
        thread_ts=posted.get("ts"),
        file=chart.png,
        filename="madoguchi-weekly.png",
        title=f"{title} グラフ",
    )


async def run_digest_scheduler(
    client: AsyncWebClient, engine: Engine, settings: Settings, stop: asyncio.Event
) -> None:
    """Post the digest every week at the configured weekday and time until ``stop`` is set. A failed
    digest is logged and the next week's is still attempted."""
    while not stop.is_set():
        now = _now(settings)
        due = next_digest_at(now, settings)
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, (due - now).total_seconds()))
            return
        except TimeoutError:
            pass
        try:
            await post_digest(client, engine, settings, due)
        except Exception:
            log.exception("weekly digest failed")

"""The report as a list of titled tables of display strings: one shape for the terminal, CSV and HTML.

:func:`report_data` gives the raw numbers (for JSON) with the same section keys.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.reporting.labels import BY_LABELS, channel_label, intent_label, kind_label, reason_label
from store.reports import ALL, Report, VolumeRow


@dataclass(frozen=True)
class Section:
    key: str  # stable id (HTML element id, JSON key)
    title: str
    columns: list[str]
    rows: list[list[str]]


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}時間"


def share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def change(row: VolumeRow) -> str:
    sign = "+" if row.change > 0 else ""
    ratio = "" if row.change_ratio is None else f" ({sign}{row.change_ratio * 100:.0f}%)"
    return f"{sign}{row.change}{ratio}"


def local_time(value: dt.datetime | None, tz: str) -> str:
    return "—" if value is None else value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def bucket_label(day: dt.date, by: str) -> str:
    if by == "month":
        return day.strftime("%Y-%m")
    if by == "week":
        return f"{day.isoformat()}週"
    return day.isoformat()


def _summary(r: Report) -> Section:
    total_rt = r.response_times[-1]
    queue_total = r.queue[-1]
    tz = r.range.timezone
    rows = [
        ["期間", f"{r.range.since.isoformat()} ～ {r.range.until.isoformat()}（{BY_LABELS[r.range.by]}）"],
        ["問い合わせ件数", str(r.intake.inquiries)],
        ["本人確認ができていない割合", share(r.intake.unverified_share)],
        ["初回応答の中央値（営業時間）", hours(total_rt.first_response_median)],
        [f"目標（{r.sla_target_hours:g}営業時間）以内の初回応答", share(total_rt.within_target_share)],
        ["送信に失敗した返信", str(r.intake.outbox_failed)],
        ["停電の障害（まとめた問い合わせ）", f"{r.intake.incidents}件（{r.intake.incident_inquiries}件）"],
        ["未対応の件数（現在）", str(queue_total.pending)],
        ["最も古い未対応の受付日時", local_time(queue_total.oldest_received_at, tz)],
        ["作成日時", local_time(r.generated_at, tz)],
    ]
    return Section("summary", "概要", ["項目", "値"], rows)


def _volume(key: str, title: str, label: Any, rows: list[VolumeRow], by: str) -> Section:
    body = [
        [bucket_label(v.bucket, by), label(v.key), str(v.count), str(v.previous), change(v)] for v in rows
    ]
    return Section(key, title, ["期間", "区分", "件数", "前期間", "増減"], body)


def _response(r: Report) -> Section:
    rows = [
        [
            intent_label(t.intent),
            str(t.inquiries),
            str(t.answered),
            hours(t.first_response_median),
            hours(t.first_response_p90),
            str(t.resolved),
            hours(t.resolution_median),
            hours(t.resolution_p90),
            share(t.within_target_share),
        ]
        for t in r.response_times
    ]
    columns = ["意図", "件数", "初回応答済", "初回応答 中央値", "初回応答 p90", "解決済", "解決 中央値"]
    columns += ["解決 p90", f"{r.sla_target_hours:g}時間以内"]
    return Section("response_times", "応答時間（営業時間換算）", columns, rows)


def _quality(r: Report) -> Section:
    rows = [
        [
            intent_label(q.intent),
            str(q.unchanged),
            str(q.edited),
            str(q.rerouted),
            str(q.rejected),
            str(q.pending),
            share(q.edited_share),
            "—" if q.mean_edit_distance is None else f"{q.mean_edit_distance:.2f}",
        ]
        for q in r.draft_quality
    ]
    columns = ["下書きの意図", "そのまま承認", "修正して承認", "意図の付け替え", "却下", "未処理", "修正率"]
    return Section("draft_quality", "下書きの品質", [*columns, "平均修正量"], rows)


def _most_edited(r: Report) -> Section:
    rows = [
        [intent_label(q.intent), share(q.edited_share), f"{q.mean_edit_distance or 0:.2f}"]
        for q in r.most_edited
    ]
    return Section("most_edited", "修正の多い意図", ["意図", "修正率", "平均修正量"], rows)


def _reroutes(r: Report) -> Section:
    rows = [[intent_label(x.from_intent), intent_label(x.to_intent), str(x.count)] for x in r.reroutes]
    return Section("reroutes", "意図の付け替え（分類の誤り）", ["判定した意図", "正しい意図", "件数"], rows)


def _queue(r: Report) -> Section:
    tz = r.range.timezone
    rows = []
    for q in r.queue:
        who = "合計" if q.assignee == ALL else (q.assignee or "未割り当て")
        rows.append([who, str(q.pending), local_time(q.oldest_received_at, tz), hours(q.oldest_age_hours)])
    return Section("queue", "未対応の問い合わせ（現在）", ["担当者", "件数", "最も古い受付", "経過"], rows)


def _unmatched(r: Report) -> Section:
    rows = [
        [str(c.size), c.sample, ", ".join(f"#{i:06d}" for i in c.inquiry_ids[:5])] for c in r.unmatched[:20]
    ]
    return Section(
        "unmatched", "「その他」の問い合わせ（似た内容ごと・FAQ追加の候補）", ["件数", "例", "番号"], rows
    )


def _intake(r: Report) -> Section:
    rows = [[kind_label(k), str(n)] for k, n in r.intake.by_kind.items()]
    rows.append(["返信の送信失敗", str(r.intake.outbox_failed)])
    return Section("intake", "受信の内訳", ["種別", "件数"], rows)


def sections(r: Report) -> list[Section]:
    by = r.range.by
    return [
        _summary(r),
        _volume("volume_intent", "件数の推移（意図別）", intent_label, r.volumes.by_intent, by),
        _volume("volume_channel", "件数の推移（チャネル別）", channel_label, r.volumes.by_channel, by),
        _volume("volume_total", "件数の推移（合計）", channel_label, r.volumes.totals, by),
        _response(r),
        _quality(r),
        _most_edited(r),
        _reroutes(r),
        _queue(r),
        _volume("other_reasons", "「その他」の内訳（理由別）", reason_label, r.other_reasons, by),
        _unmatched(r),
        _intake(r),
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _with_properties(obj: Any) -> dict[str, Any]:
    data = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    for name in (
        "change",
        "change_ratio",
        "within_target_share",
        "edited_share",
        "rerouted_share",
        "decided",
    ):
        if hasattr(type(obj), name):
            data[name] = getattr(obj, name)
    return data


def _rows(items: list[Any]) -> list[Any]:
    return [_plain(_with_properties(x)) for x in items]


def report_data(r: Report) -> dict[str, Any]:
    """Plain JSON-ready numbers (hours as floats, shares 0-1, dates ISO) under the section keys."""
    return {
        "range": _plain(dataclasses.asdict(r.range)),
        "generated_at": r.generated_at.isoformat(),
        "sla_target_hours": r.sla_target_hours,
        "volume_intent": _rows(r.volumes.by_intent),
        "volume_channel": _rows(r.volumes.by_channel),
        "volume_total": _rows(r.volumes.totals),
        "response_times": _rows(r.response_times),
        "draft_quality": _rows(r.draft_quality),
        "most_edited": [q.intent for q in r.most_edited],
        "reroutes": _rows(r.reroutes),
        "queue": _rows(r.queue),
        "other_reasons": _rows(r.other_reasons),
        "unmatched": _rows(r.unmatched),
        "intake": {**_plain(_with_properties(r.intake)), "unverified_share": r.intake.unverified_share},
    }

"""``madoguchi report`` (the managers' measures as a table, CSV, JSON or HTML page, with charts) and
``madoguchi suggest`` (staff corrections as candidate FAQ examples)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from bot.cli.common import console, fail, load_settings, open_store, user_errors
from bot.settings import Settings

if TYPE_CHECKING:
    from store.reports import Bucketing, Correction, ReportRange


class By(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    HTML = "html"


_DEFAULT_BUCKETS = {"day": 14, "week": 8, "month": 6}


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        fail(
            f"{option} の日付「{value}」を読み取れません。YYYY-MM-DD の形式で指定してください。",
            as_json=False,
        )


def parse_now(value: str | None, settings: Settings) -> dt.datetime:
    zone = ZoneInfo(settings.timezone)
    if value is None:
        return dt.datetime.now(zone)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"--as-of の日時「{value}」を読み取れません（例: 2026-05-08T15:00）。", as_json=False)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def report_range(settings: Settings, since: dt.date | None, until: dt.date | None, by: str) -> ReportRange:
    """The requested range; without ``--since`` the last 14 days, 8 weeks or 6 months up to ``until``."""
    from store.reports import ReportRange, bucket_start, previous_bucket

    bucketing: Bucketing = by  # type: ignore[assignment]
    end = until or dt.datetime.now(ZoneInfo(settings.timezone)).date()
    if since is None:
        since = bucket_start(end, bucketing)
        for _ in range(_DEFAULT_BUCKETS[by] - 1):
            since = previous_bucket(since, bucketing)
    if end < since:
        fail(f"--since（{since}）が --until（{end}）より後になっています。", as_json=False)
    return ReportRange(since, end, bucketing, settings.timezone)


def report(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option("--since", help="集計の開始日 (YYYY-MM-DD)。")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="集計の終了日 (YYYY-MM-DD、含む)。既定は今日。")
    ] = None,
    by: Annotated[
        By, typer.Option("--by", help="集計単位: day / week / month（既定: week、直近8週）。")
    ] = By.WEEK,
    fmt: Annotated[
        Format, typer.Option("--format", help="出力形式: table / csv / json / html。")
    ] = Format.TABLE,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="推移と応答時間のグラフをこの PNG に書き出す。")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="出力先ファイル（既定は標準出力）。")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", hidden=True, help="Report as of this instant (tests).")
    ] = None,
) -> None:
    """管理者向けレポート: 件数の推移、応答時間（営業時間）、下書きの品質、付け替え、未対応キュー。"""
    from bot.reporting.charts import render_chart
    from bot.reporting.formats import print_tables, to_csv, to_json
    from bot.reporting.html import render_html
    from store.reports import build_report

    settings = load_settings(ctx)
    rng = report_range(settings, parse_date(since, "--since"), parse_date(until, "--until"), by.value)
    now = parse_now(as_of, settings)
    with user_errors(as_json=fmt is Format.JSON):
        hours = settings.desk_hours()
        data = build_report(
            open_store(settings),
            rng,
            hours=hours,
            target_hours=settings.desk.sla_target_business_hours,
            now=now,
        )
        drawn = render_chart(data) if chart is not None or fmt is Format.HTML else None
        if chart is not None and drawn is not None:
            chart.write_bytes(drawn.png)
        if fmt is Format.TABLE:
            if output is None:
                print_tables(data, console)
            else:
                from rich.console import Console

                with output.open("w", encoding="utf-8") as handle:
                    print_tables(data, Console(file=handle, width=160, no_color=True))
            return
        text = {Format.CSV: to_csv, Format.JSON: to_json}.get(fmt, lambda r: render_html(r, drawn))(data)
        if output is None:
            typer.echo(text.lstrip("\ufeff"))
        else:
            output.write_text(text, encoding="utf-8")
            console.print(f"{output} に書き出しました。")


# --- suggest ----------------------------------------------------------------------------------------------

_REASONS = {"rerouted": "意図の付け替え", "edited": "大幅な修正"}


def example_text(correction: Correction, limit: int = 200) -> str:
    """The customer's own words on one line: quotes, greetings and signature removed."""
    from intents.cleanup import body_for_classification

    body = " ".join(body_for_classification(correction.text).split())
    return (body or correction.subject.strip())[:limit]


def append_example(faq_dir: Path, intent: str, example: str) -> None:
    """Append ``example`` to ``faq_dir/intents/<intent>.toml``'s ``examples`` keeping the file's layout,
    then reload the whole knowledge; on any error the file is restored and the error raised."""
    import tomlkit

    from desk.errors import InputError
    from intents.knowledge import load_knowledge

    path = faq_dir / "intents" / f"{intent}.toml"
    if not path.is_file():
        raise InputError(f"{path} がありません。")
    original = path.read_text(encoding="utf-8")
    doc = tomlkit.parse(original)
    examples = doc.get("examples")
    if examples is None:
        doc["examples"] = [example]
    else:
        examples.append(example)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:
        load_knowledge(faq_dir)
    except Exception:
        path.write_text(original, encoding="utf-8")
        raise


def suggest(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="対象の開始日 (YYYY-MM-DD)。既定は30日前。")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="対象の終了日 (YYYY-MM-DD、含む)。")] = None,
    min_distance: Annotated[
        float, typer.Option("--min-distance", help="この割合以上修正された下書きを候補にする。")
    ] = 0.3,
    apply: Annotated[
        bool, typer.Option("--apply", help="候補ごとに確認し、承認したものを faq/ の例文に追加する。")
    ] = False,
    faq_dir: Annotated[
        Path | None, typer.Option("--faq-dir", help="知識ファイルのフォルダ（既定は同梱の faq/）。")
    ] = None,
) -> None:
    """スタッフが修正した問い合わせを、FAQ の例文候補として一覧にします。"""
    from desk.errors import MadoguchiError
    from intents.knowledge import default_dir
    from store.reports import corrections

    settings = load_settings(ctx)
    end = parse_date(until, "--until") or dt.datetime.now(ZoneInfo(settings.timezone)).date()
    start = parse_date(since, "--since") or end - dt.timedelta(days=29)
    rng = report_range(settings, start, end, "day")
    with user_errors(as_json=False), open_store(settings).connect() as conn:
        found = corrections(conn, rng, min_distance=min_distance)
    if not found:
        console.print("候補はありません。")
        return
    target = faq_dir or default_dir()
    added = 0
    for c in found:
        text = example_text(c)
        from bot.reporting.labels import intent_label

        route = f"{intent_label(c.original_intent)} → {intent_label(c.corrected_intent)}"
        console.print(f"#{c.inquiry_id:06d} [{_REASONS[c.reason]}] {route}\n    「{text}」", highlight=False)
        if not apply or not text:
            continue
        if not typer.confirm(f"    {c.corrected_intent}.toml の例文に追加しますか？", default=False):
            continue
        try:
            append_example(target, c.corrected_intent, text)
        except MadoguchiError as exc:
            console.print(f"    [red]追加しませんでした:[/] {exc}")
            continue
        added += 1
        console.print("    追加しました。")
    if apply:
        console.print(f"{added} 件の例文を追加しました。")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("suggest")(suggest)

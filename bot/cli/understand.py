"""``madoguchi classify`` and ``madoguchi eval``: the understanding step on JSON lines, and its quality report."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from bot.cli.common import console, err_console, fail, load_settings, print_json, user_errors

if TYPE_CHECKING:
    from intents.understand import Report, Understander


def _understander(ctx: typer.Context) -> Understander:
    from intents.entities import set_desk_phones
    from intents.understand import Understander

    settings = load_settings(ctx)
    set_desk_phones(settings.desk.own_phone_digits())
    return Understander.load(
        threshold=settings.classifier.threshold, max_intents=settings.classifier.max_intents
    )


def _read_line(raw: str) -> dict[str, Any]:
    """One input record; raises ValueError with a Japanese message when it is unusable."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSONとして読み取れません（{exc.msg}）") from exc
    if not isinstance(record, dict):
        raise ValueError("JSONオブジェクトではありません")
    if not isinstance(record.get("text"), str):
        raise ValueError("text がありません")
    received = record.get("received") or date.today().isoformat()
    try:
        record["received_date"] = date.fromisoformat(str(received))
    except ValueError as exc:
        raise ValueError(f"received の日付が不正です（{received}）") from exc
    return record


def _id_of(raw: str, fallback: object) -> object:
    """The line's own id when it is JSON with one, so a caller can match the error to its input."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError:
        return fallback
    return record.get("id", fallback) if isinstance(record, dict) else fallback


def _classify_stream(understander: Understander, lines: TextIO) -> int:
    """Classify every line; returns how many lines were unusable (each reported as ``{"id","error"}``)."""
    bad = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        record_id: object = f"line-{number}"
        try:
            record = _read_line(raw)
            record_id = record.get("id", record_id)
            result = understander.understand(
                record["text"],
                subject=str(record.get("subject") or ""),
                channel=str(record.get("channel") or "email"),
                received=record["received_date"],
            )
        except ValueError as exc:
            bad += 1
            print_json({"id": _id_of(raw, record_id), "error": str(exc)})
            continue
        print_json(
            {
                "id": record_id,
                "intents": [{"intent": s.intent, "score": s.score} for s in result.intents],
                "entities": result.entities,
                # What exactly is asked and what the customer already said (intents.questions).
                "questions": [{"kind": q.kind, "value": q.value} for q in result.questions],
                "said": result.said,
                "language": result.language,
                "other_reason": result.other_reason,
                "candidates": [{"intent": s.intent, "score": s.score} for s in result.candidates],
            }
        )
    return bad


def classify(
    ctx: typer.Context,
    input_file: Annotated[
        Path | None, typer.Option("--input", "-i", help="JSON Lines ファイル（省略時は標準入力）。")
    ] = None,
) -> None:
    """Classify JSON lines {"id","channel","subject","text","received"}; one JSON line out per line in.

    An unusable line gets an ``error`` line and the rest are still classified; the exit code is then 2."""
    with user_errors(as_json=True):
        understander = _understander(ctx)
        if input_file is None:
            bad = _classify_stream(understander, sys.stdin)
        else:
            try:
                handle = input_file.open(encoding="utf-8")
            except OSError as exc:
                fail(f"入力ファイルを開けません: {input_file}（{exc.strerror}）", as_json=True)
            with handle:
                bad = _classify_stream(understander, handle)
    if bad:
        err_console.print(f"[bold red]エラー:[/] 読み取れない行が {bad} 行ありました（error の行を参照）。")
        raise typer.Exit(2)


def _load_labelled(path: Path) -> list[dict[str, Any]]:
    from desk.errors import InputError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"評価ファイルを読み込めません: {path}（{exc}）") from exc
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = _read_line(raw)
        except ValueError as exc:
            raise InputError(f"{path.name} {number}行目: {exc}") from exc
        if not isinstance(row.get("intents"), list) or not row["intents"]:
            raise InputError(f"{path.name} {number}行目: intents がありません")
        rows.append(row)
    if not rows:
        raise InputError(f"{path.name}: 評価する行がありません")
    return rows


def _run_eval(understander: Understander, rows: list[dict[str, Any]]) -> Report:
    from intents.understand import evaluate, run_cases

    return evaluate(run_cases(understander, rows))


def _fit(
    understander: Understander, rows: list[dict[str, Any]], out: Path, source: str, *, quiet: bool
) -> None:
    from intents.classifier import fit_calibration
    from intents.understand import labelled

    examples = [
        labelled(r["text"], str(r.get("subject") or ""), str(r.get("channel") or "email"), r["intents"])
        for r in rows
    ]
    calibration = fit_calibration(understander.classifier, examples, fitted_on=source)
    out.write_text(calibration.dump(), encoding="utf-8")
    understander.classifier.calibration = calibration
    (err_console if quiet else console).print(f"較正を保存しました: {out}")


def _print_report(report: Report, show_misses: int) -> None:
    from rich.table import Table

    summary = Table(title="意図分類の評価", show_header=True)
    summary.add_column("指標")
    summary.add_column("値", justify="right")
    summary.add_row("件数", str(report.count))
    summary.add_row("Top-1 正解率", f"{report.top1:.3f}")
    summary.add_row(
        "マイクロ 適合率 / 再現率 / F1",
        f"{report.micro.precision:.3f} / {report.micro.recall:.3f} / {report.micro.f1:.3f}",
    )
    summary.add_row("other の適合率", f"{report.other_precision:.3f}")
    summary.add_row("エンティティ F1（全体）", f"{report.entity_micro.f1:.3f}")
    console.print(summary)

    per = Table(title="意図ごと", show_header=True)
    for col in ("意図", "適合率", "再現率", "F1", "TP", "FP", "FN"):
        per.add_column(col, justify="left" if col == "意図" else "right")
    for intent, t in sorted(report.per_intent.items()):
        per.add_row(
            intent, f"{t.precision:.3f}", f"{t.recall:.3f}", f"{t.f1:.3f}", str(t.tp), str(t.fp), str(t.fn)
        )
    console.print(per)

    ents = Table(title="エンティティ（完全一致）", show_header=True)
    for col in ("種類", "適合率", "再現率", "TP", "FP", "FN"):
        ents.add_column(col, justify="left" if col == "種類" else "right")
    for kind, t in report.entities.items():
        ents.add_row(kind, f"{t.precision:.3f}", f"{t.recall:.3f}", str(t.tp), str(t.fp), str(t.fn))
    console.print(ents)

    for title, table in (("チャネル別", report.per_channel), ("言語別", report.per_language)):
        part = Table(title=title, show_header=True)
        for col in ("区分", "件数", "Top-1", "F1"):
            part.add_column(col, justify="left" if col == "区分" else "right")
        for key, value in sorted(table.items()):
            part.add_row(key, str(value.count), f"{value.top1:.3f}", f"{value.micro.f1:.3f}")
        console.print(part)

    if report.reasons:
        reasons = Table(title="その他の理由（正解 → 予測、- は other 以外と予測）", show_header=True)
        reasons.add_column("正解")
        reasons.add_column("予測（件数）")
        for gold, predicted in sorted(report.reasons.items()):
            reasons.add_row(gold, ", ".join(f"{p} {n}" for p, n in predicted.most_common()))
        console.print(reasons)

    reliability = Table(title="信頼度と正解率（主意図のスコア帯ごと）", show_header=True)
    for col in ("スコア帯", "件数", "Top-1 正解率"):
        reliability.add_column(col, justify="right")
    for low, high, count, correct in report.reliability:
        rate = f"{correct / count:.3f}" if count else "—"
        reliability.add_row(f"{low:.1f}–{min(high, 1.0):.1f}", str(count), rate)
    console.print(reliability)

    if report.confusions:
        conf = Table(title="取り違え（正解 → 誤って予測）", show_header=True)
        conf.add_column("正解")
        conf.add_column("予測")
        conf.add_column("件数", justify="right")
        for gold, pred, n in report.confusions[:20]:
            conf.add_row(gold, pred, str(n))
        console.print(conf)

    if report.misses and show_misses:
        misses = Table(title=f"不一致（先頭 {min(show_misses, len(report.misses))} 件）", show_header=True)
        for col in ("ID", "正解", "予測", "エンティティ 正解 / 予測"):
            misses.add_column(col)
        for case in report.misses[:show_misses]:
            ent = (
                ""
                if case.gold_entities == case.predicted_entities
                else (
                    f"{json.dumps(case.gold_entities, ensure_ascii=False)} / "
                    f"{json.dumps(case.predicted_entities, ensure_ascii=False)}"
                )
            )
            misses.add_row(case.id, ", ".join(case.gold), ", ".join(case.predicted), ent)
        console.print(misses)


def eval_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="正解付きの JSON Lines（開発セットと同じ形式）。")],
    as_json: Annotated[bool, typer.Option("--json", help="結果をJSONで出力します。")] = False,
    min_top1: Annotated[float | None, typer.Option(help="Top-1 正解率がこれ未満なら終了コード1。")] = None,
    min_f1: Annotated[float | None, typer.Option(help="マイクロF1がこれ未満なら終了コード1。")] = None,
    min_other_precision: Annotated[
        float | None, typer.Option(help="other の適合率がこれ未満なら終了コード1。")
    ] = None,
    min_entity: Annotated[
        float | None, typer.Option(help="エンティティF1がこれ未満なら終了コード1。")
    ] = None,
    misses: Annotated[int, typer.Option(help="表示する不一致の件数（表形式のみ）。")] = 30,
    fit_calibration: Annotated[
        Path | None,
        typer.Option(
            "--fit-calibration", help="FILE でスコアの較正を学習してここに保存し、そのうえで評価します。"
        ),
    ] = None,
) -> None:
    """Score the understanding step on a labelled file; floors make it a CI gate."""
    with user_errors(as_json=as_json):
        rows = _load_labelled(file)
        understander = _understander(ctx)
        if fit_calibration is not None:
            _fit(understander, rows, fit_calibration, file.name, quiet=as_json)
        report = _run_eval(understander, rows)
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report, misses)
    floors = [
        ("Top-1 正解率", report.top1, min_top1),
        ("マイクロF1", report.micro.f1, min_f1),
        ("other の適合率", report.other_precision, min_other_precision),
        ("エンティティF1", report.entity_micro.f1, min_entity),
    ]
    failed = [(name, value, floor) for name, value, floor in floors if floor is not None and value < floor]
    for name, value, floor in failed:
        message = f"{name} {value:.3f} が基準 {floor:.3f} を下回りました"
        if as_json:
            sys.stderr.write(message + "\n")
        else:
            console.print(f"[bold red]{message}[/]")
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("classify")(classify)
    app.command("eval")(eval_cmd)

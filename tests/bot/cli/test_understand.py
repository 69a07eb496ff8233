import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()

LINES = [
    {
        "id": "m1",
        "channel": "slack",
        "subject": "",
        "received": "2026-02-01",
        "text": "引き落としの口座を別の銀行に変えたいです。お客さま番号 3001-2345",
    },
    {
        "id": "m2",
        "channel": "email",
        "subject": "周波数",
        "received": "2026-02-01",
        "text": "工場の周波数は50Hzですか60Hzですか。",
    },
]


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def test_classify_writes_one_json_line_per_input_line():
    result = runner.invoke(app, ["classify"], input=_jsonl(LINES))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["m1", "m2"]
    assert out[0]["intents"][0]["intent"] == "payment_method"
    assert out[0]["entities"]["customer_no"] == "30012345"
    assert out[1]["intents"][0]["intent"] == "voltage_frequency"
    assert out[1]["entities"] == {}
    assert out[0]["language"] == "ja" and out[0]["other_reason"] is None
    scores = [i["score"] for i in out[0]["intents"]]
    assert scores == sorted(scores, reverse=True)


def test_classify_reports_a_bad_line_continues_and_exits_2():
    bad = '{"id": "broken", "text": 3}\nnot json at all\n' + _jsonl(LINES[1:])
    result = runner.invoke(app, ["classify"], input=bad)
    assert result.exit_code == 2
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["id"] == "broken" and "error" in out[0]
    assert out[1]["id"] == "line-2" and "error" in out[1]
    assert out[2]["id"] == "m2" and out[2]["intents"][0]["intent"] == "voltage_frequency"


def test_classify_reads_input_file(tmp_path: Path):
    path = tmp_path / "in.jsonl"
    path.write_text(_jsonl(LINES), encoding="utf-8")
    result = runner.invoke(app, ["classify", "--input", str(path)])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2


def _labelled(tmp_path: Path, wrong: bool = False) -> Path:
    rows = [
        dict(LINES[0], intents=["payment_method"], entities={"customer_no": "30012345"}),
        dict(LINES[1], intents=["cancellation" if wrong else "voltage_frequency"], entities={}),
    ]
    path = tmp_path / "dev.jsonl"
    path.write_text(_jsonl(rows), encoding="utf-8")
    return path


def test_eval_json_reports_metrics(tmp_path: Path):
    result = runner.invoke(app, ["eval", str(_labelled(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["count"] == 2
    assert report["top1"] == 1.0
    assert report["entities"]["customer_no"]["tp"] == 1


def test_eval_exits_non_zero_below_a_floor(tmp_path: Path):
    result = runner.invoke(
        app, ["eval", str(_labelled(tmp_path, wrong=True)), "--json", "--min-top1", "0.95"]
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["top1"] == 0.5


def test_eval_tables_for_people(tmp_path: Path):
    result = runner.invoke(app, ["eval", str(_labelled(tmp_path, wrong=True))])
    assert result.exit_code == 0
    assert "Top-1" in result.stdout
    assert "cancellation" in result.stdout


def test_eval_missing_file_is_a_clear_error(tmp_path: Path):
    result = runner.invoke(app, ["eval", str(tmp_path / "nope.jsonl"), "--json"])
    assert result.exit_code == 2
    assert "評価ファイルを読み込めません" in json.loads(result.stdout)["error"]


def test_eval_reports_channels_languages_other_reasons_and_reliability(tmp_path: Path):
    rows = [
        dict(LINES[0], intents=["payment_method"], entities={"customer_no": "30012345"}),
        dict(LINES[1], intents=["voltage_frequency"], entities={}),
        {
            "id": "e1",
            "channel": "email",
            "subject": "Invoice",
            "received": "2026-02-01",
            "language": "en",
            "text": "Hello, why is our electricity bill for January so much higher than December? Please explain.",
            "intents": ["bill_inquiry"],
            "entities": {},
        },
        {
            "id": "s1",
            "channel": "email",
            "subject": "電気代削減のご提案",
            "received": "2026-02-01",
            "text": "突然のご連絡失礼いたします。弊社は電気料金の削減コンサルティングを行っております。"
            "オンラインで30分ほどご説明のお時間をいただけないでしょうか。",
            "intents": ["other"],
            "other_reason": "sales",
            "entities": {},
        },
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text(_jsonl(rows), encoding="utf-8")
    result = runner.invoke(app, ["eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["per_channel"]["slack"]["count"] == 1 and report["per_channel"]["email"]["count"] == 3
    assert report["per_language"]["en"] == {"count": 1, "top1": 1.0, "f1": 1.0}
    assert report["other_reasons"] == {"sales": {"sales": 1}}
    assert sum(b["count"] for b in report["reliability"]) == 4
    tables = runner.invoke(app, ["eval", str(path)])
    assert "言語別" in tables.stdout and "信頼度" in tables.stdout


def test_classify_names_the_reason_and_candidates_when_it_abstains():
    line = {
        "id": "v",
        "channel": "slack",
        "received": "2026-02-01",
        "text": "先日の件、その後いかがでしょうか。",
    }
    result = runner.invoke(app, ["classify"], input=_jsonl([line]))
    out = json.loads(result.stdout)
    assert out["intents"][0]["intent"] == "other"
    assert out["other_reason"] == "unclear"
    assert out["candidates"] and all(c["intent"] != "other" for c in out["candidates"])

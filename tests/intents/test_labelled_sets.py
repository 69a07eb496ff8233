"""The labelled sets (the corpus, the unseen writers, heldout.jsonl) pass the batch validator
(benchmarks/validate_batch.py): a label whose identifier is not in its text would teach the extractor nothing
and count against it forever."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETS = [
    *sorted((ROOT / "tests" / "intents" / "corpus").glob("*.jsonl")),
    ROOT / "tests" / "intents" / "messages" / "unseen_writers.jsonl",
]


def _validator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("validate_batch", ROOT / "benchmarks" / "validate_batch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_labelled_message_passes_the_batch_validator() -> None:
    validator = _validator()
    problems = [
        f"{path.name} {row['id']}: {error}"
        for path in SETS
        for row in _rows(path)
        for error in validator.row_errors(row)
    ]
    assert problems == []


def test_ids_are_unique_across_the_corpus_and_the_unseen_set() -> None:
    ids = [row["id"] for path in SETS for row in _rows(path)]
    assert len(ids) == len(set(ids))


GOOD = {
    "id": "w-x-001",
    "batch": "w_x",
    "channel": "email",
    "received": "2026-05-01",
    "subject": "解約",
    "text": "契約番号 ＥＧ－２０２４０１２３ を6月末で解約します。閉店のためです。TEL 03-1234-5678",
    "language": "ja",
    "intents": ["cancellation"],
    "other_reason": None,
    "entities": {
        "contract_no": "EG20240123",
        "date": "2026-06-30",
        "cancel_reason": "removal",
        "phone": "0312345678",
    },
}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"entities": {"contract_no": "EG20249999"}}, "contract_no"),
        ({"entities": {"cancel_reason": "removal"}, "intents": ["name_change"]}, "cancel_reason without"),
        ({"intents": ["other"]}, "other_reason must be"),
        ({"other_reason": "sales"}, "other_reason only with other"),
        ({"entities": {"date": "2026/06/30"}}, "date"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_the_validator_names_what_is_wrong(change: dict[str, Any], complaint: str) -> None:
    validator = _validator()
    row = copy.deepcopy(GOOD)
    assert validator.row_errors(row) == []
    row.update(change)
    assert any(complaint in error for error in validator.row_errors(row))

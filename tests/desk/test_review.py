"""The review set graded by the rubric (benchmarks/review_grade.py): floors, like the classifier's dev-set floors.

The set was written by the same person as the question patterns, so its shares are optimistic; these floors
only catch regressions. The held-out part (inquiries_heldout.toml) was written after the code and not tuned on.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _grader() -> ModuleType:
    spec = importlib.util.spec_from_file_location("review_grade", ROOT / "benchmarks" / "review_grade.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("review_grade", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_review_set_has_no_wrong_draft_and_most_send_unchanged() -> None:
    grader = _grader()
    results = grader.grade_all()
    assert len(results) >= 60
    wrong = [(r.id, r.reasons) for r in results if r.grade == "wrong"]
    assert wrong == []
    counts = Counter(r.grade for r in results)
    assert counts["send_unchanged"] / len(results) >= 0.7, counts


def test_rubric_grades_a_missing_answer_major_and_a_wrong_promise_wrong() -> None:
    grader = _grader()
    from intents.knowledge import load_knowledge
    from intents.understand import Understander

    understander, knowledge = Understander.load(), load_knowledge()
    base = {"id": "x", "verified": True, "text": "2026年12月31日で他社へ切り替えるため解約します。違約金は？"}
    assert grader.grade({**base, "must": ["164,835円"]}, understander, knowledge).grade == "send_unchanged"
    assert grader.grade({**base, "must": ["999,999円"]}, understander, knowledge).grade == "major"
    assert grader.grade({**base, "wrong": ["164,835円"]}, understander, knowledge).grade == "wrong"
    assert grader.grade({**base, "avoid": ["164,835円"]}, understander, knowledge).grade == "minor"


def test_english_review_set_has_no_wrong_draft_and_most_send_unchanged() -> None:
    grader = _grader()
    results = grader.grade_all(grader.ENGLISH_SET)
    assert len(results) >= 15
    assert all(r.draft is not None and r.draft.language == "en" for r in results)
    wrong = [(r.id, r.reasons) for r in results if r.grade == "wrong"]
    assert wrong == []
    counts = Counter(r.grade for r in results)
    assert counts["send_unchanged"] / len(results) >= 0.7, counts

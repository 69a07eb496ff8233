"""Grade the bot's drafts for the review set (tests/desk/review/inquiries.toml) the way a senior agent would.

Run from the repository root:  .venv/bin/python benchmarks/review_grade.py [--show ID] [--verbose]

Each inquiry was written with the answer a senior agent would give, as checks on the draft text:

* ``must``  — the key sentences/facts of the answer (the date, the amount with its formula, yes/no);
* ``avoid`` — what a good reply leaves out: the intent's pasted general text when it is not the answer, asking
  again for what the customer gave, the wrong opening for the situation;
* ``wrong`` — what makes the reply a wrong promise (the ×1.5 penalty for a customer who switches, "no
  penalty" when there is one, disclosing whether an identifier exists).

The grade of a draft, first match wins:

0. **by_person** — the item says ``person_writes`` (a complaint about the desk): the draft must be the blank
   frame a person fills in (``desk.noninquiry.BLANK_MARK``); any templated reply is ``wrong``. A blank frame
   where the item expects an answer is ``major`` (nothing can be sent until a person writes it).
1. **wrong**  — a ``wrong`` text appears; an unverified case shows contract data of the fixture customer;
   template leftovers (``leftover_problems``); drafting raised an error.
2. **major**  — a ``must`` text is missing (the question is not answered as asked), or a ``notes`` text is
   missing from the staff notes (the desk would not act: a re-check, a callback, an escalation).
3. **minor**  — every ``must`` is there but an ``avoid`` text appears (an edit before sending).
4. **send unchanged** — otherwise.

What this rubric cannot judge: tone beyond the checked phrases, whether sentences read naturally, anything not
written down as a check (an extra paragraph that is true but unneeded passes), and the classifier on messages
unlike these (the set was written by the same person as the patterns, so its scores are optimistic). The
blind review of drafts for unseen inquiries remains the acceptance test.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desk.casefile import CaseFile  # noqa: E402
from desk.drafting import DraftContent, draft_reply, leftover_problems  # noqa: E402
from desk.noninquiry import BLANK_MARK  # noqa: E402
from intents.knowledge import load_knowledge  # noqa: E402
from intents.understand import Understander  # noqa: E402
from tests.desk.resolvers.cases import CUSTOMER, DESK, OSAKA, TODAY, TOKYO  # noqa: E402

REVIEW_SET = ROOT / "tests" / "desk" / "review" / "inquiries.toml"
# Written after the code and graded once without tuning: the less optimistic number.
HELDOUT_SET = ROOT / "tests" / "desk" / "review" / "inquiries_heldout.toml"
HELDOUT2_SET = ROOT / "tests" / "desk" / "review" / "inquiries_heldout2.toml"
# English inquiries (``language = "en"``): drafted with templates/en/.
ENGLISH_HELDOUT_SET = ROOT / "tests" / "desk" / "review" / "inquiries_en_heldout.toml"
ENGLISH_HELDOUT2_SET = ROOT / "tests" / "desk" / "review" / "inquiries_en_heldout2.toml"
ENGLISH_SET = ROOT / "tests" / "desk" / "review" / "inquiries_en.toml"
GRADES = ("send_unchanged", "by_person", "minor", "major", "wrong")
# Contract data of the fixture customer that no unverified draft may show.
PRIVATE = ("京橋第一工場", "堺第二倉庫", "216,943円", "33.3kW", "600.0kW", "京橋二丁目", "オオタ冷機")
# The same data as English replies format it.
PRIVATE_EN = ("EG20240123", "EG20250999", "¥216,943", "33.3 kW", "600.0 kW", "¥1,650")
CONTRACTS = {"tokyo": (TOKYO,), "osaka": (OSAKA,), "both": (TOKYO, OSAKA)}


@dataclass(frozen=True, slots=True)
class Graded:
    id: str
    grade: str
    reasons: tuple[str, ...]
    draft: DraftContent | None


def build_case(item: dict[str, object], understander: Understander) -> CaseFile:
    """The case file the pipeline would build for this inquiry, with the fixture customer of the tests."""
    text = str(item["text"])
    channel = str(item.get("channel", "email"))
    understanding = understander.understand(
        text, subject=str(item.get("subject", "")), channel=channel, received=TODAY
    )
    if item.get("language"):
        # The language the detector gives the pipeline (the Understander of this branch does not detect it).
        understanding = replace(understanding, language=str(item["language"]))
    verified = bool(item.get("verified", False))
    contracts = CONTRACTS[str(item.get("contracts", "tokyo"))]
    return CaseFile(
        understanding=understanding,
        today=TODAY,
        channel=channel,
        sender_name=str(item.get("sender_name", "")),
        customer=CUSTOMER if verified else None,
        contracts=contracts if verified else (),
        verified=verified,
        unknown_ids=tuple(str(x) for x in item.get("unknown_ids", [])),  # type: ignore[attr-defined]
        follow_up=bool(item.get("follow_up", False)),
        staff=bool(item.get("staff", False)),
    )


def grade(item: dict[str, object], understander: Understander, knowledge: object) -> Graded:
    ident = str(item["id"])
    try:
        case = build_case(item, understander)
        draft = draft_reply(
            case, desk=DESK, knowledge=knowledge, original_subject=str(item.get("subject", ""))
        )  # type: ignore[arg-type]
    except Exception as exc:  # a crash is a wrong draft, reported with its reason
        return Graded(ident, "wrong", (f"error: {type(exc).__name__}: {exc}",), None)
    text = draft.text
    if item.get("person_writes"):
        # A complaint about the desk is answered by a person: the draft must be the blank frame, nothing more.
        if BLANK_MARK not in text:
            return Graded(ident, "wrong", ("templated reply where a person must write",), draft)
        return Graded(ident, "by_person", (), draft)
    if BLANK_MARK in text:
        # read as a complaint about the desk although the set expects an answer: nothing can be sent until a
        # person writes it (the send check refuses the blank), so the answer is missing, not wrong
        return Graded(ident, "major", ("blank frame for a person instead of the answer",), draft)
    wrong = [f"wrong text: {w}" for w in item.get("wrong", []) if w in text]  # type: ignore[attr-defined]
    if not case.verified:
        wrong += [f"discloses: {p}" for p in (*PRIVATE, *PRIVATE_EN) if p in text]
    wrong += [f"leftover: {p}" for p in leftover_problems(text)]
    if wrong:
        return Graded(ident, "wrong", tuple(wrong), draft)
    missing = [f"missing: {m}" for m in item.get("must", []) if m not in text]  # type: ignore[attr-defined]
    notes = "\n".join(draft.notes)
    missing += [f"missing staff note: {n}" for n in item.get("notes", []) if n not in notes]  # type: ignore[attr-defined]
    if missing:
        return Graded(ident, "major", tuple(missing), draft)
    avoid = [f"should not say: {a}" for a in item.get("avoid", []) if a in text]  # type: ignore[attr-defined]
    if avoid:
        return Graded(ident, "minor", tuple(avoid), draft)
    return Graded(ident, "send_unchanged", (), draft)


def load_set(path: Path = REVIEW_SET) -> list[dict[str, object]]:
    return list(tomllib.loads(path.read_text(encoding="utf-8"))["inquiry"])


def grade_all(path: Path = REVIEW_SET) -> list[Graded]:
    understander = Understander.load()
    knowledge = load_knowledge()
    return [grade(item, understander, knowledge) for item in load_set(path)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="append", default=[], help="print the draft of this inquiry id")
    parser.add_argument("--verbose", action="store_true", help="print the reasons of every non-perfect grade")
    args = parser.parse_args()
    understander = Understander.load()
    knowledge = load_knowledge()
    sets = (
        ("review set", REVIEW_SET),
        ("held-out set", HELDOUT_SET),
        ("held-out set 2", HELDOUT2_SET),
        ("English set", ENGLISH_SET),
        ("English held-out set", ENGLISH_HELDOUT_SET),
        ("English held-out set 2", ENGLISH_HELDOUT2_SET),
    )
    for name, path in sets:
        results = [grade(item, understander, knowledge) for item in load_set(path)]
        counts = Counter(r.grade for r in results)
        total = len(results)
        for r in results:
            if args.verbose and r.grade != "send_unchanged":
                print(f"[{r.grade}] {r.id}: {'; '.join(r.reasons)}")
            if r.id in args.show and r.draft is not None:
                print(f"===== {r.id} ({r.grade})\n{r.draft.text}\nnotes: {r.draft.notes}")
        print(f"{name}: {total} inquiries")
        for g in GRADES:
            print(f"  {g:15s} {counts[g]:3d}  {counts[g] / total:6.1%}")


if __name__ == "__main__":
    main()

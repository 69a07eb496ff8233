"""Knowledge as data: one TOML file per intent (examples, synonyms, FAQ answers, facts with sources).

Loaded and validated by :mod:`intents.knowledge`; this package only marks where the files live so they
are found from an editable install and from a wheel alike.
"""

from pathlib import Path

FAQ_DIR = Path(__file__).parent

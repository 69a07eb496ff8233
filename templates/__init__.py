"""Jinja2 templates for every reply; rendered by :mod:`desk.render`. Wording lives here, not in Python."""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent

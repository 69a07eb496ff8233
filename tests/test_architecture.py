"""The core knows nothing of transports: intents/, desk/, store/, faq/ and templates/ import no Slack,
IMAP, SMTP or HTTP library and nothing from bot/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ["intents", "desk", "store", "faq", "templates"]
BANNED = (
    "bot",
    "slack_bolt",
    "slack_sdk",
    "imapclient",
    "aiosmtplib",
    "aiosmtpd",
    "aiohttp",
    "smtplib",
    "imaplib",
)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", CORE)
def test_core_package_imports_no_transport_library(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in BANNED
    ]
    assert offenders == []

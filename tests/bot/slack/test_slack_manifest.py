"""The Slack app manifest asks for what the app uses: its events, its command and Socket Mode."""

from __future__ import annotations

import re
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[3] / "slack" / "manifest.yaml"


def listed(section: str) -> set[str]:
    """The ``- item`` lines right under ``section:`` in the manifest."""
    text = MANIFEST.read_text(encoding="utf-8")
    match = re.search(rf"^(\s*){section}:\n((?:\1\s+- .+\n)+)", text, re.MULTILINE)
    assert match, section
    return {line.strip()[2:] for line in match.group(2).splitlines()}


def test_manifest_subscribes_to_the_events_the_app_handles() -> None:
    assert listed("bot_events") == {"app_mention", "message.channels", "message.groups", "app_home_opened"}


def test_manifest_scopes_cover_every_web_api_method_the_bot_calls() -> None:
    scopes = listed("bot")
    # chat.postMessage/update/postEphemeral, usergroups.users.list, users.info, events and the command
    for scope in ("chat:write", "usergroups:read", "users:read", "app_mentions:read", "commands"):
        assert scope in scopes
    assert {"channels:history", "groups:history"} <= scopes  # message.channels / message.groups


def test_manifest_enables_socket_mode_interactivity_and_the_command() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert "socket_mode_enabled: true" in text
    assert re.search(r"interactivity:\n\s+is_enabled: true", text)
    assert "- command: /madoguchi" in text

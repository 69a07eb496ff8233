"""Block Kit limits, and a validator that checks a message or view against them before it leaves.

Slack rejects a whole ``chat.postMessage``/``views.open`` with ``invalid_blocks`` when one field is too long,
so every builder in :mod:`bot.slack.cards` truncates, and the tests run every payload through
:func:`problems`. Limits are from Slack's Block Kit reference (docs.slack.dev/reference/block-kit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELD = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ID_LENGTH = 255  # action_id, block_id, callback_id
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
OPTION_TEXT = 75
OPTION_VALUE = 150
SELECT_OPTIONS = 100
PLACEHOLDER = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
INPUT_LABEL = 2000
INPUT_MAX_LENGTH = 3000
VIEW_TITLE = 24  # also submit and close
PRIVATE_METADATA = 3000
MESSAGE_TEXT = 40000
TRUNCATION_MARK = "…"


def truncate(text: str, limit: int, mark: str = TRUNCATION_MARK) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``mark`` when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(mark))] + mark


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, preferring line breaks."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", limit // 2, limit)
        cut = cut + 1 if cut > 0 else limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def problems(
    payload: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, surface: str = "message"
) -> list[str]:
    """Every Block Kit limit ``payload`` breaks (empty when valid).

    ``payload`` is a list of blocks (a message) or a view (``surface="modal"`` or ``"home"``)."""
    found: list[str] = []
    if isinstance(payload, Mapping):
        view = payload
        blocks: Sequence[Mapping[str, Any]] = view.get("blocks", [])
        for key in ("title", "submit", "close"):
            if key in view:
                _text(found, f"view.{key}", view[key], VIEW_TITLE)
        _length(found, "view.private_metadata", view.get("private_metadata", ""), PRIVATE_METADATA)
        _length(found, "view.callback_id", view.get("callback_id", ""), ID_LENGTH)
        limit = MAX_VIEW_BLOCKS
    else:
        blocks = payload
        limit = MAX_MESSAGE_BLOCKS if surface == "message" else MAX_VIEW_BLOCKS
    if len(blocks) > limit:
        found.append(f"{len(blocks)} blocks > {limit}")
    for i, block in enumerate(blocks):
        _block(found, f"blocks[{i}]", block)
    return found


def _length(found: list[str], where: str, value: str, limit: int) -> None:
    if len(value) > limit:
        found.append(f"{where}: {len(value)} chars > {limit}")


def _text(found: list[str], where: str, obj: Mapping[str, Any] | None, limit: int) -> None:
    if obj is None:
        return
    text = obj.get("text", "")
    if not text:
        found.append(f"{where}: empty text")
    _length(found, where, text, limit)


def _block(found: list[str], where: str, block: Mapping[str, Any]) -> None:
    kind = block.get("type")
    _length(found, f"{where}.block_id", block.get("block_id", ""), ID_LENGTH)
    if kind == "header":
        _text(found, where, block.get("text"), HEADER_TEXT)
    elif kind == "section":
        if "text" in block:
            _text(found, where, block["text"], SECTION_TEXT)
        fields = block.get("fields", [])
        if len(fields) > SECTION_FIELDS:
            found.append(f"{where}: {len(fields)} fields > {SECTION_FIELDS}")
        for j, field in enumerate(fields):
            _text(found, f"{where}.fields[{j}]", field, SECTION_FIELD)
        if "accessory" in block:
            _element(found, f"{where}.accessory", block["accessory"])
    elif kind == "context":
        elements = block.get("elements", [])
        if len(elements) > CONTEXT_ELEMENTS:
            found.append(f"{where}: {len(elements)} context elements > {CONTEXT_ELEMENTS}")
        for j, element in enumerate(elements):
            _text(found, f"{where}.elements[{j}]", element, SECTION_TEXT)
    elif kind == "actions":
        elements = block.get("elements", [])
        if len(elements) > ACTIONS_ELEMENTS:
            found.append(f"{where}: {len(elements)} elements > {ACTIONS_ELEMENTS}")
        _elements(found, where, elements)
    elif kind == "input":
        _text(found, f"{where}.label", block.get("label"), INPUT_LABEL)
        _element(found, f"{where}.element", block.get("element", {}))


def _elements(found: list[str], where: str, elements: Iterable[Mapping[str, Any]]) -> None:
    for j, element in enumerate(elements):
        _element(found, f"{where}.elements[{j}]", element)


def _element(found: list[str], where: str, element: Mapping[str, Any]) -> None:
    kind = element.get("type")
    _length(found, f"{where}.action_id", element.get("action_id", ""), ID_LENGTH)
    if "placeholder" in element:
        _text(found, f"{where}.placeholder", element["placeholder"], PLACEHOLDER)
    if kind == "button":
        _text(found, f"{where}.text", element.get("text"), BUTTON_TEXT)
        _length(found, f"{where}.value", element.get("value", ""), BUTTON_VALUE)
    elif kind in ("static_select", "checkboxes", "radio_buttons", "overflow"):
        options = element.get("options", [])
        if len(options) > SELECT_OPTIONS:
            found.append(f"{where}: {len(options)} options > {SELECT_OPTIONS}")
        for j, option in enumerate(options):
            _text(found, f"{where}.options[{j}]", option.get("text"), OPTION_TEXT)
            _length(found, f"{where}.options[{j}].value", option.get("value", ""), OPTION_VALUE)
    elif kind == "plain_text_input":
        max_length = element.get("max_length", INPUT_MAX_LENGTH)
        if not 1 <= max_length <= INPUT_MAX_LENGTH:
            found.append(f"{where}: max_length {max_length} outside 1..{INPUT_MAX_LENGTH}")
        _length(found, f"{where}.initial_value", element.get("initial_value", ""), max_length)
    if "confirm" in element:
        confirm = element["confirm"]
        _text(found, f"{where}.confirm.title", confirm.get("title"), CONFIRM_TITLE)
        _text(found, f"{where}.confirm.text", confirm.get("text"), CONFIRM_TEXT)
        _text(found, f"{where}.confirm.confirm", confirm.get("confirm"), CONFIRM_BUTTON)
        _text(found, f"{where}.confirm.deny", confirm.get("deny"), CONFIRM_BUTTON)

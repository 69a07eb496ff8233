"""Non-inquiries: what the desk does with a message whose primary intent is ``other``, per reason.

The classifier says *why* a message is not about a procedure (``intents.model.OTHER_REASONS``); this table
says what follows from it — whether a customer draft is made, which one, whether staff get a one-click
「対応不要として完了」, whether a manager must look, how urgent it is — and how staff read the reason (the
Japanese labels here are the only ones: cards, the terminal and the managers' report all read them).

Reply kinds:

- ``none``: no customer draft at all (thanks, sales, phishing). Nothing could be sent by mistake; staff
  close the inquiry in one click, or re-route it when the reading was wrong.
- ``blank``: a draft that is only a frame (宛名, greeting, signature) around a marked blank a person must
  write (complaints). Chosen over no draft at all so that the manager's own answer still goes out through
  the desk — to the address that proved identity, in the thread, audited, with its first response measured —
  while :data:`BLANK_MARK` makes the last check before sending refuse the frame until someone has written in
  it (``desk.drafting.leftover_problems``). No templated apology is ever sent in a person's stead.
- ``template``: a short reply of its own (``templates/other/<reason>.j2`` and ``templates/en/other/``),
  pending approval as usual (misdirected mail).
- ``generic``: the usual ``other`` draft ("担当者が確認のうえ…"): out-of-scope requests and unclear ones.

None of these puts contract data in a draft: the templates take no case-file facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from intents.model import OTHER_REASONS

__all__ = [
    "BLANK_MARK",
    "HANDLING",
    "REASON_LABELS",
    "Handling",
    "defang_links",
    "handling_of",
    "link_domains",
    "reason_label",
]

ReplyKind = Literal["none", "blank", "template", "generic"]

# Written where a person must write the reply; the last check before sending refuses a text that still has it.
BLANK_MARK = "【ここに返信を記入してください】"


@dataclass(frozen=True, slots=True)
class Handling:
    label: str  # Japanese, for staff and managers
    reply: ReplyKind
    close_offer: bool = False  # the card offers 「対応不要として完了」
    manager: bool = False  # 要マネージャー確認: the managers are told, the card says so
    urgent: bool = False
    warn_links: bool = False  # the card warns not to open links or attachments and names the link domains
    card_line: str = ""  # what the card says about the reason, under the title


HANDLING: dict[str, Handling] = {
    "sales": Handling(
        label="営業・勧誘",
        reply="none",
        close_offer=True,
        card_line="営業・勧誘のご連絡です。返信案は作成していません（返信不要）。",
    ),
    "phishing": Handling(
        label="フィッシングの疑い",
        reply="none",
        close_offer=True,
        warn_links=True,
        card_line="フィッシングの疑いがあります。本文のリンクや添付ファイルは開かないでください。"
        "返信案は作成していません。",
    ),
    "thanks": Handling(
        label="お礼・完了の連絡",
        reply="none",
        close_offer=True,
        card_line="お礼・完了のご連絡です。返信不要のため、返信案は作成していません。",
    ),
    "complaint": Handling(
        label="窓口へのご不満",
        reply="blank",
        manager=True,
        urgent=True,
        card_line="要マネージャー確認: 窓口へのご不満です。定型文では返信しません。"
        "返信案は空欄の枠だけです（記入するまで送信できません）。",
    ),
    "misdirected": Handling(
        label="宛先違い",
        reply="template",
        card_line="宛先違いのようです。当窓口宛てではない旨をお伝えする返信案を作成しました。",
    ),
    "out_of_scope": Handling(
        label="手続き外のご用件",
        reply="generic",
        card_line="手続きの案内がないご用件（領収書・証明書・見積りなど）です。担当者が回答してください。",
    ),
    "unclear": Handling(
        label="内容不明",
        reply="generic",
        card_line="内容を判定できませんでした。候補の区分に変更するか、内容を確認してください。",
    ),
}
assert set(HANDLING) == set(OTHER_REASONS), "every reason needs its handling"

REASON_LABELS: dict[str, str] = {reason: h.label for reason, h in HANDLING.items()}
UNKNOWN_REASON_LABEL = "理由未判定"  # an ``other`` inquiry understood before reasons existed, or not yet


def handling_of(reason: str | None) -> Handling:
    """The handling of a reason; an unknown or missing one is handled as unclear (a person looks)."""
    return HANDLING.get(reason or "unclear", HANDLING["unclear"])


def reason_label(reason: str | None) -> str:
    if not reason:
        return UNKNOWN_REASON_LABEL
    return REASON_LABELS.get(reason, UNKNOWN_REASON_LABEL)


# Addresses as mail and Slack carry them: a scheme, or a bare www. host. Slack's <url|text> markup is already
# flattened to "text（url）" by the adapter.
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'（）()「」【】]+")


def link_domains(text: str, limit: int = 5) -> list[str]:
    """The host names the links in ``text`` point to, in order, each once (at most ``limit``).

    Only the host: staff must be able to tell a look-alike domain without being handed something to click.
    """
    found: list[str] = []
    for match in _URL.finditer(text):
        raw = match.group(0)
        host = urlsplit(raw if "://" in raw else f"http://{raw}").hostname or ""
        host = host.strip(".").lower()
        if host and host not in found:
            found.append(host)
        if len(found) >= limit:
            break
    return found


def defang_links(text: str) -> str:
    """``text`` with every link made unclickable (``hxxps://evil[.]example``), for showing a suspected
    phishing mail to staff: Slack and mail clients turn bare addresses and host names into links."""

    def one(match: re.Match[str]) -> str:
        raw = match.group(0)
        scheme, sep, rest = raw.partition("://")
        if not sep:
            scheme, rest = "", raw
        host, slash, path = rest.partition("/")
        safe = host.replace(".", "[.]") + slash + path
        return f"{scheme.lower().replace('t', 'x')}[:]//{safe}" if scheme else safe

    return _URL.sub(one, text)

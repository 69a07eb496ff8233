"""Japanese labels managers read (intent names as in the desk's taxonomy, channels, kinds)."""

from __future__ import annotations

from desk.noninquiry import REASON_LABELS, UNKNOWN_REASON_LABEL
from store.reports import ALL, NO_REASON

INTENT_LABELS: dict[str, str] = {
    "mypage_login": "マイページのログイン",
    "password_reset": "パスワード再設定",
    "account_info_change": "会員情報・メールアドレスの変更",
    "usage_data": "使用量・30分値データ",
    "bill_inquiry": "請求金額・料金明細",
    "invoice_download": "請求書のダウンロード・再発行",
    "billing_address_change": "請求書送付先・宛名の変更",
    "payment_method": "支払方法・引落口座の変更",
    "payment_due_date": "引落日・振込期日",
    "consolidated_billing": "おまとめ請求",
    "fee_calculation": "料金の算定方法",
    "voltage_frequency": "供給電圧・周波数",
    "name_change": "名義変更",
    "pas_open": "PASの開放・投入",
    "equipment_work": "受電設備の工事・変更",
    "contract_power": "契約電力・超過金",
    "usage_change": "使用状況の変更・契約見直し",
    "cancellation": "解約・解約違約金",
    "terms": "電気需給約款",
    "outage": "停電・緊急時",
    "other": "その他",
}
CHANNEL_LABELS = {"email": "メール", "slack": "Slack", "cli": "端末"}
KIND_LABELS = {
    "inquiry": "問い合わせ",
    "auto_reply": "自動返信（不在通知など）",
    "bounce": "不達通知",
    "own": "当窓口の送信メール",
    "unparseable": "解析不能",
    "oversize": "サイズ超過",
}
BY_LABELS = {"day": "日別", "week": "週別", "month": "月別"}


def intent_label(intent: str) -> str:
    if intent == ALL:
        return "全体"
    return INTENT_LABELS.get(intent, intent)


def channel_label(channel: str) -> str:
    return "合計" if channel == ALL else CHANNEL_LABELS.get(channel, channel)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def reason_label(reason: str) -> str:
    """Why an ``other`` inquiry is not about a procedure, in Japanese (labels: desk/noninquiry.py)."""
    if reason == NO_REASON:
        return UNKNOWN_REASON_LABEL
    return REASON_LABELS.get(reason, UNKNOWN_REASON_LABEL)

"""Who may act on cards: configured staff user ids, or members of the staff user group (cached briefly)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


def slack_error(exc: SlackApiError) -> str:
    """The ``error`` code of a failed Web API call (``http_<status>`` when the answer was not JSON)."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return f"http_{getattr(exc.response, 'status_code', 0)}"


FAILED_RETRY = 10.0  # seconds before a failed group look-up is tried again
NOT_STAFF = "この操作はサポートデスクの担当者のみが行えます。必要な場合は管理者にご相談ください。"


class StaffDirectory:
    """``is_staff(user_id)``: listed in settings, or a member of the staff user group.

    Group membership is fetched with ``usergroups.users.list`` and kept for ``ttl`` seconds, so a member
    removed from the group loses access within that time. A failed look-up grants nothing."""

    def __init__(
        self,
        *,
        user_ids: Iterable[str],
        usergroup: str = "",
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._user_ids = frozenset(user_ids)
        self._usergroup = usergroup
        self._ttl = ttl
        self._clock = clock
        self._members: frozenset[str] = frozenset()
        self._fetched_at: float | None = None

    async def is_staff(self, client: AsyncWebClient, user_id: str) -> bool:
        if user_id in self._user_ids:
            return True
        if not self._usergroup or not user_id:
            return False
        return user_id in await self._group_members(client)

    async def _group_members(self, client: AsyncWebClient) -> frozenset[str]:
        now = self._clock()
        if self._fetched_at is not None and now - self._fetched_at < self._ttl:
            return self._members
        try:
            response = await client.usergroups_users_list(usergroup=self._usergroup)
        except SlackApiError as exc:
            log.warning("usergroups.users.list failed: %s", slack_error(exc))
            # Every customer message asks whether its sender is staff: retry after a short pause, not on
            # each message (the method allows about 20 calls a minute).
            members = self._members if self._fetched_at is not None else frozenset()
            self._members, self._fetched_at = members, now - self._ttl + min(self._ttl, FAILED_RETRY)
            return members
        self._members = frozenset(response.get("users") or [])
        self._fetched_at = now
        return self._members

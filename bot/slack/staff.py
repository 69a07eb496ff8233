"""Roles: who may act on cards (staff), see reports and figures (manager), change knowledge (admin).

Each role is a list of Slack user ids and/or a user group in settings (``slack.staff_*``, ``slack.manager_*``,
``slack.admin_*``). Roles are ranked: an admin is also a manager, a manager also staff. With no manager
configured nobody sees figures (closed by default), and a failed group look-up grants nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from enum import IntEnum

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine

from bot.settings import SlackSettings
from desk import actions
from store.db import session_scope

log = logging.getLogger(__name__)


def slack_error(exc: SlackApiError) -> str:
    """The ``error`` code of a failed Web API call (``http_<status>`` when the answer was not JSON)."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return f"http_{getattr(exc.response, 'status_code', 0)}"


FAILED_RETRY = 10.0  # seconds before a failed group look-up is tried again
NOT_STAFF = "この操作はサポートデスクの担当者のみが行えます。必要な場合は管理者にご相談ください。"
NOT_MANAGER = "この情報は窓口の管理者のみが見られます。必要な場合は管理者にご相談ください。"


class Role(IntEnum):
    STAFF = 1
    MANAGER = 2
    ADMIN = 3


ROLE_LABELS = {Role.STAFF: "担当者", Role.MANAGER: "管理者（マネージャー）", Role.ADMIN: "システム管理者"}


class StaffDirectory:
    """``is_staff(user_id)``: listed in settings, or a member of the staff user group.

    Group membership is fetched with ``usergroups.users.list`` and kept for ``ttl`` seconds, so a member
    removed from the group loses access within that time. A failed look-up grants nothing."""

    def __init__(
        self,
        *,
        user_ids: Iterable[str],
        usergroup: str = "",
        manager_ids: Iterable[str] = (),
        manager_usergroup: str = "",
        admin_ids: Iterable[str] = (),
        admin_usergroup: str = "",
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Highest role first: the first that matches is the user's role.
        self._roles = (
            (Role.ADMIN, frozenset(admin_ids), admin_usergroup),
            (Role.MANAGER, frozenset(manager_ids), manager_usergroup),
            (Role.STAFF, frozenset(user_ids), usergroup),
        )
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, frozenset[str]] = {}
        self._fetched_at: dict[str, float] = {}

    async def role(self, client: AsyncWebClient, user_id: str) -> Role | None:
        """The user's highest role, or None."""
        if not user_id:
            return None
        for role, ids, group in self._roles:
            if user_id in ids or (group and user_id in await self._group_members(client, group)):
                return role
        return None

    async def has(self, client: AsyncWebClient, user_id: str, role: Role) -> bool:
        found = await self.role(client, user_id)
        return found is not None and found >= role

    async def is_staff(self, client: AsyncWebClient, user_id: str) -> bool:
        return await self.has(client, user_id, Role.STAFF)

    async def _group_members(self, client: AsyncWebClient, group: str) -> frozenset[str]:
        now = self._clock()
        fetched = self._fetched_at.get(group)
        if fetched is not None and now - fetched < self._ttl:
            return self._members[group]
        try:
            response = await client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            log.warning("usergroups.users.list failed: %s", slack_error(exc))
            # Every customer message asks whether its sender is staff: retry after a short pause, not on
            # each message (the method allows about 20 calls a minute).
            members = self._members.get(group, frozenset())
            self._members[group] = members
            self._fetched_at[group] = now - self._ttl + min(self._ttl, FAILED_RETRY)
            return members
        self._members[group] = frozenset(response.get("users") or [])
        self._fetched_at[group] = now
        return self._members[group]


def directory(settings: SlackSettings) -> StaffDirectory:
    """The role directory the settings describe."""
    return StaffDirectory(
        user_ids=settings.staff_user_ids,
        usergroup=settings.staff_usergroup,
        manager_ids=settings.manager_user_ids,
        manager_usergroup=settings.manager_usergroup,
        admin_ids=settings.admin_user_ids,
        admin_usergroup=settings.admin_usergroup,
    )


def refusal(engine: Engine, user: str, what: str, inquiry_id: int | None = None) -> None:
    """Record a refused action in the audit log (blocking; run it in a thread)."""
    with session_scope(engine) as session:
        actions.audit(session, action="refused", actor=f"slack:{user}", inquiry_id=inquiry_id, what=what)

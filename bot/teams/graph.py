"""Microsoft Graph, only what the bot needs: make an incident's channel in the team (standard,
or private with its members), add the bot to a private one, add and take out members, find a
channel it made before, and archive it when its incident closes; put a record in a channel's
files folder; make a Teams meeting for a battle-rhythm meeting; find people in the
organisation's directory for a person picker. Plain aiohttp and a token
from MSAL (msgraph-sdk would add ~390 MB). The permission each call needs is in
``bot/teams/permissions.py``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.messaging import DeliveryError
from bot.teams.auth import GraphToken

log = logging.getLogger(__name__)

MAX_DISPLAY_NAME = 50  # Graph refuses a longer channel displayName
MAX_MEMBERS = 200  # a private channel made with more takes the rest one by one
TIMEOUT = aiohttp.ClientTimeout(total=30)
# The error code Graph gives for a channel name in use (or held by a deleted channel):
# the message's words vary, the code does not.
NAME_TAKEN = "NameAlreadyExists"
MEMBER = "#microsoft.graph.aadUserConversationMember"
# A person in the directory: only properties of the basic profile that User.ReadBasic.All
# reads (accountEnabled and userType are not among them).
PERSON_NAMES = ("displayName", "givenName", "surname")
PERSON_FIELDS = "id,displayName,userPrincipalName,mail"


class GraphRefused(Exception):
    """Graph said no for good (no permission, no such team): the caller falls back."""


class NameTaken(Exception):
    pass


def _error(data: dict[str, Any]) -> tuple[str, str]:
    error = data.get("error") or {}
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


class Graph:
    def __init__(self, base_url: str, token: GraphToken) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _channels(self, team_id: str, version: str = "v1.0") -> str:
        return f"{self.base_url}/{version}/teams/{quote(team_id, safe='')}/channels"

    def _user(self, user_id: str) -> str:
        return f"{self.base_url}/v1.0/users('{quote(user_id, safe='')}')"

    async def create_channel(
        self,
        team_id: str,
        display_name: str,
        description: str,
        *,
        members: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A standard channel, or with ``members`` (Azure AD object ids, the first its owner,
        as Graph requires of a private channel an app makes) a private one."""
        body: dict[str, Any] = {
            "displayName": display_name[:MAX_DISPLAY_NAME],
            "description": description[:1024],
            "membershipType": "private" if members else "standard",
        }
        if members:
            body["members"] = [
                {
                    "@odata.type": MEMBER,
                    "user@odata.bind": self._user(user),
                    "roles": ["owner"] if i == 0 else [],
                }
                for i, user in enumerate(members[:MAX_MEMBERS])
            ]
        status, data, headers = await self._call("POST", self._channels(team_id), json=body)
        if status in (200, 201):
            return data
        code, message = _error(data)
        if code == NAME_TAKEN:
            raise NameTaken(display_name)
        raise self._failure(status, message or code, headers)

    async def find_channel(self, team_id: str, display_name: str) -> dict[str, Any] | None:
        """The channel of that exact name: one filtered read, not a listing of the team."""
        name = display_name.replace("'", "''")
        status, data, headers = await self._call(
            "GET", self._channels(team_id), params={"$filter": f"displayName eq '{name}'"}
        )
        if status != 200:
            raise self._failure(status, _error(data)[1], headers)
        found = [c for c in data.get("value", []) if c.get("displayName") == display_name]
        return found[0] if found else None

    async def enable_app(self, team_id: str, channel_id: str, catalog_id: str) -> None:
        """Add the app (by its id in the app catalog) to a private channel: a bot installed in
        the team is not in its private channels until it is added to each."""
        url = f"{self._channels(team_id, 'beta')}/{quote(channel_id, safe='')}/enabledApps/$ref"
        body = {"@odata.id": f"{self.base_url}/beta/appCatalogs/teamsApps/{catalog_id}"}
        status, data, headers = await self._call("POST", url, json=body)
        if status in (200, 201, 204) or status == 409:  # 409: it is in already
            return
        raise self._failure(status, _error(data)[1], headers)

    async def add_member(self, team_id: str, channel_id: str, user_id: str) -> bool:
        """Add a person to a private channel; False when Graph will not have them (not in the
        team, disabled), which is logged rather than retried for ever."""
        url = f"{self._channels(team_id)}/{quote(channel_id, safe='')}/members"
        body = {"@odata.type": MEMBER, "roles": [], "user@odata.bind": self._user(user_id)}
        status, data, headers = await self._call("POST", url, json=body)
        if status in (200, 201) or status == 409:  # 409: a member already
            return True
        failure = self._failure(status, _error(data)[1], headers)
        if isinstance(failure, GraphRefused) and status in (400, 404):
            log.warning("not added to channel %s: %s", channel_id, failure)
            return False
        raise failure

    async def remove_member(self, team_id: str, channel_id: str, user_id: str) -> None:
        """Take a person out of a private channel (not being in it is not an error)."""
        url = f"{self._channels(team_id)}/{quote(channel_id, safe='')}/members"
        membership = None
        while url and membership is None:
            status, data, headers = await self._call("GET", url)
            if status != 200:
                raise self._failure(status, _error(data)[1], headers)
            membership = next(
                (m.get("id") for m in data.get("value", []) if m.get("userId") == user_id), None
            )
            url = str(data.get("@odata.nextLink") or "")
        if membership is None:
            return
        status, data, headers = await self._call(
            "DELETE",
            f"{self._channels(team_id)}/{quote(channel_id, safe='')}/members/"
            f"{quote(str(membership), safe='')}",
        )
        if status in (200, 204, 404):
            return
        raise self._failure(status, _error(data)[1], headers)

    async def archive_channel(self, team_id: str, channel_id: str) -> None:
        """Archive a channel (read-only for members); archiving it again is not an error."""
        url = f"{self._channels(team_id)}/{quote(channel_id, safe='')}/archive"
        status, data, headers = await self._call("POST", url, json={})
        if status in (200, 202, 204):
            return
        message = _error(data)[1]
        if status == 400 and "archived" in message.lower():
            return
        raise self._failure(status, message, headers)

    async def upload_to_channel(
        self, team_id: str, channel_id: str, filename: str, content: bytes
    ) -> dict[str, Any]:
        """The file put in the channel's files folder (its SharePoint folder), replacing one of
        the same name, so a retry makes no second copy; returns the driveItem (``webUrl``)."""
        url = (
            f"{self.base_url}/v1.0/teams/{quote(team_id, safe='')}/channels/"
            f"{quote(channel_id, safe='')}/filesFolder"
        )
        status, folder, headers = await self._call("GET", url)
        if status != 200:
            message = str((folder.get("error") or {}).get("message", ""))
            raise self._failure(status, message, headers)
        drive = str((folder.get("parentReference") or {}).get("driveId", ""))
        put = (
            f"{self.base_url}/v1.0/drives/{quote(drive, safe='')}/items/"
            f"{quote(str(folder.get('id', '')), safe='')}:/{quote(filename, safe='')}:/content"
        )
        status, item, headers = await self._call(
            "PUT",
            put,
            params={"@microsoft.graph.conflictBehavior": "replace"},
            data=content,
            content_type="application/octet-stream",
        )
        if status in (200, 201):
            return item
        raise self._failure(status, str((item.get("error") or {}).get("message", "")), headers)

    async def online_meeting(
        self, organizer: str, external_id: str, subject: str, start: str, end: str
    ) -> str:
        """A Teams meeting organised by ``organizer`` (a user's object id, granted to the app
        by an application access policy), made once per ``external_id`` (createOrGet: a retry
        gets the same meeting); returns its join link."""
        url = f"{self.base_url}/v1.0/users/{quote(organizer, safe='')}/onlineMeetings/createOrGet"
        body = {
            "externalId": external_id,
            "subject": subject[:255],
            "startDateTime": start,
            "endDateTime": end,
        }
        status, data, headers = await self._call("POST", url, json=body)
        if status in (200, 201) and data.get("joinWebUrl"):
            return str(data["joinWebUrl"])
        raise self._failure(status, str((data.get("error") or {}).get("message", "")), headers)

    async def find_people(self, prefix: str, top: int) -> list[dict[str, Any]]:
        """Members of the organisation whose display name, first name or surname starts with
        ``prefix``: one filtered read of the basic profile (``User.ReadBasic.All``), the
        prefix a quoted OData literal (a quote in it is doubled, so it stays words)."""
        literal = prefix.replace("'", "''")
        clauses = " or ".join(f"startswith({p},'{literal}')" for p in PERSON_NAMES)
        status, data, headers = await self._call(
            "GET",
            f"{self.base_url}/v1.0/users",
            params={"$filter": clauses, "$select": PERSON_FIELDS, "$top": str(top)},
        )
        if status != 200:
            raise self._failure(status, _error(data)[1], headers)
        found = data.get("value")
        return [u for u in found if isinstance(u, dict)] if isinstance(found, list) else []

    async def person(self, user_id: str) -> dict[str, Any] | None:
        """One member of the organisation by object id, as ``find_people`` shows them; None
        when Graph has no such user."""
        status, data, headers = await self._call(
            "GET",
            f"{self.base_url}/v1.0/users/{quote(user_id, safe='')}",
            params={"$select": PERSON_FIELDS},
        )
        if status == 200:
            return data
        if status in (400, 404):
            return None
        raise self._failure(status, _error(data)[1], headers)

    async def _call(
        self, method: str, url: str, *, content_type: str | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        token = await self.token()
        headers = {"Authorization": f"Bearer {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            async with self._http().request(method, url, headers=headers, **kwargs) as response:
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = {}
                return (
                    response.status,
                    data if isinstance(data, dict) else {},
                    dict(response.headers),
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Graph unreachable: {type(exc).__name__}") from exc

    @staticmethod
    def _failure(status: int, message: str, headers: dict[str, str]) -> Exception:
        if status == 429 or status >= 500:
            retry_after = headers.get("Retry-After")
            return DeliveryError(
                f"Graph {status} {message}".strip(),
                float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        return GraphRefused(f"Graph {status}: {message or 'refused'}")

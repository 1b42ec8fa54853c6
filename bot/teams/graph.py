"""Microsoft Graph, only what the bot needs: create a standard channel in the team, find
one it made before, and archive it when its incident closes; put a record in a channel's
files folder; make a Teams meeting for a battle-rhythm meeting. Plain aiohttp and a token
from MSAL (msgraph-sdk would add ~390 MB)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.messaging import DeliveryError
from bot.teams.auth import GraphToken

log = logging.getLogger(__name__)

MAX_DISPLAY_NAME = 50  # Graph refuses a longer channel displayName
TIMEOUT = aiohttp.ClientTimeout(total=30)


class GraphRefused(Exception):
    """Graph said no for good (no permission, no such team): the caller falls back."""


class NameTaken(Exception):
    pass


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

    async def create_channel(self, team_id: str, display_name: str, description: str) -> str:
        body = {
            "displayName": display_name[:MAX_DISPLAY_NAME],
            "description": description[:1024],
            "membershipType": "standard",
        }
        url = f"{self.base_url}/v1.0/teams/{quote(team_id, safe='')}/channels"
        status, data, headers = await self._call("POST", url, json=body)
        if status in (200, 201):
            return str(data["id"])
        message = str((data.get("error") or {}).get("message", ""))
        if status in (400, 409) and "already exist" in message.lower():
            raise NameTaken(display_name)
        raise self._failure(status, message, headers)

    async def find_channel(self, team_id: str, display_name: str) -> dict[str, Any] | None:
        name = display_name.replace("'", "''")
        url = f"{self.base_url}/v1.0/teams/{quote(team_id, safe='')}/channels"
        status, data, headers = await self._call(
            "GET", url, params={"$filter": f"displayName eq '{name}'"}
        )
        if status != 200:
            raise self._failure(status, str((data.get("error") or {}).get("message", "")), headers)
        found = [c for c in data.get("value", []) if c.get("displayName") == display_name]
        return found[0] if found else None

    async def archive_channel(self, team_id: str, channel_id: str) -> None:
        """Archive a channel (read-only for members); archiving it again is not an error."""
        url = (
            f"{self.base_url}/v1.0/teams/{quote(team_id, safe='')}/channels/"
            f"{quote(channel_id, safe='')}/archive"
        )
        status, data, headers = await self._call("POST", url, json={})
        if status in (200, 202, 204):
            return
        message = str((data.get("error") or {}).get("message", ""))
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

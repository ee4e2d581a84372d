"""plex.tv calls for a guest who signs in with Plex: the PIN, who the guest is, accepting the owner's share for them,
their optional account settings, and signing their token out.

Source for every call: /work/shared/reference/plex-api.md ("Guest sign-in with Plex (PIN / OAuth)" and "Accepting the
share for the guest"), plexapi 4.18 myplex.py (MyPlexPinLogin, signout, enableViewStateSync, onlineMediaSources and
AccountOptOut.optOut) and python-plexapi PR #1537 (the accept call).

The guest's token grants full access to their account: it is passed in, used, and never stored, logged or put in a
URL (it travels only in the X-Plex-Token header). Failures carry the status and a fixed description, never a body.
The calls go through the gateway's session (pinned identity, the local simulator's redirect) and ask for JSON
explicitly on each request, never on the session, whose other callers are plexapi's XML parsers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

PINS_URL = "https://plex.tv/api/v2/pins"
PIN_URL = "https://plex.tv/api/v2/pins/{pin_id}"
USER_URL = "https://plex.tv/api/v2/user"
ACCEPT_URL = "https://plex.tv/api/v2/shared_servers/{share_id}/accept"
SIGN_OUT_URL = "https://plex.tv/api/v2/users/signout"
VIEW_STATE_SYNC_URL = "https://plex.tv/api/v2/user/view_state_sync"
OPT_OUTS_URL = "https://plex.tv/api/v2/user/{uuid}/settings/opt_outs"
DEFAULT_AUTH_PAGE = "https://app.plex.tv"


class GuestFailureKind(StrEnum):
    PIN_EXPIRED = "pin_expired"  # 404 on the PIN: it expired, or it was never this client's
    REFUSED = "refused"  # any other 4xx
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # network, timeout, 5xx


class GuestPlexFailure(Exception):
    def __init__(self, kind: GuestFailureKind, detail: str, status: int | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class Pin:
    id: int
    code: str


@dataclass(frozen=True)
class GuestAccount:
    """Who the guest is, as plex.tv says (never what the browser says)."""

    id: int
    uuid: str
    username: str
    email: str


def auth_url(base: str, client_identifier: str, code: str, forward_url: str, product: str) -> str:
    """Where the guest's browser signs in: https://app.plex.tv/auth#?clientID=..&code=..&forwardUrl=..
    &context[device][product]=.. (plex-api.md step 2). The parameters are in the fragment, so they never reach a
    server's log; the code is useless without the PIN id, which only the portal's signed cookie holds."""
    params = urlencode(
        {"clientID": client_identifier, "code": code, "forwardUrl": forward_url, "context[device][product]": product},
        quote_via=quote,
    )
    return f"{base.rstrip('/')}/auth#?{params}"


class GuestPlex:
    def __init__(self, session: requests.Session, timeout_seconds: float) -> None:
        self._session = session
        self._timeout = timeout_seconds

    def create_pin(self) -> Pin:
        """POST /api/v2/pins?strong=true: anonymous, only the pinned client identifier and product."""
        data = self._send("POST", PINS_URL, params={"strong": "true"}, expect_json=True)
        pin_id, code = data.get("id"), data.get("code")
        if not isinstance(pin_id, int) or not isinstance(code, str) or not code:
            raise GuestPlexFailure(GuestFailureKind.REFUSED, "plex.tv answered a PIN without an id or code")
        return Pin(pin_id, code)

    def pin_token(self, pin_id: int) -> str:
        """The guest's token once they signed in, else "". Raises PIN_EXPIRED when plex.tv no longer knows the PIN."""
        data = self._send("GET", PIN_URL.format(pin_id=int(pin_id)), expect_json=True, not_found=GuestFailureKind.PIN_EXPIRED)
        token = data.get("authToken")
        return token if isinstance(token, str) else ""

    def account(self, token: str) -> GuestAccount:
        data = self._send("GET", USER_URL, token=token, expect_json=True)
        account_id, username, email = data.get("id"), data.get("username"), data.get("email")
        if not isinstance(account_id, int) or (not (isinstance(email, str) and email) and not (isinstance(username, str) and username)):
            raise GuestPlexFailure(GuestFailureKind.REFUSED, "plex.tv answered an account without an id, username or email")
        return GuestAccount(account_id, str(data.get("uuid") or ""), str(username or ""), str(email or ""))

    def accept_share(self, token: str, share_id: int) -> None:
        """POST /api/v2/shared_servers/{id}/accept with the guest's token (python-plexapi PR #1537)."""
        self._send("POST", ACCEPT_URL.format(share_id=int(share_id)), token=token, expect_json=True)

    def enable_view_state_sync(self, token: str) -> None:
        # plexapi _updateViewStateSync: PUT with params={'consent': True}, which requests sends as "True".
        self._send("PUT", VIEW_STATE_SYNC_URL, token=token, params={"consent": "True"})

    def opt_out_online_media(self, token: str, uuid: str) -> int:
        """Every online media source set to opt_out (plexapi onlineMediaSources, then AccountOptOut.optOut on each);
        returns how many were changed."""
        url = OPT_OUTS_URL.format(uuid=quote(uuid, safe=""))
        listed = self._send("GET", url, token=token, expect_json=True)
        items = listed if isinstance(listed, list) else listed.get("optOuts", []) if isinstance(listed, dict) else []
        changed = 0
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("key"), str) and item.get("value") != "opt_out":
                self._send("POST", url, token=token, params={"key": item["key"], "value": "opt_out"})
                changed += 1
        return changed

    def sign_out(self, token: str) -> None:
        """DELETE /api/v2/users/signout: the token stops working (plex-api.md step 4)."""
        self._send("DELETE", SIGN_OUT_URL, token=token)

    def _send(
        self,
        method: str,
        url: str,
        *,
        token: str = "",
        params: Mapping[str, str] | None = None,
        expect_json: bool = False,
        not_found: GuestFailureKind = GuestFailureKind.REFUSED,
    ) -> Any:
        # plexapi's pinned identity (X-Plex-Client-Identifier, -Product ...), as every plexapi request carries it.
        # Imported on the first call: loading plexapi is left out of the app's start.
        import plexapi
        import requests

        headers = {**plexapi.BASE_HEADERS}
        if token:
            headers["X-Plex-Token"] = token
        if expect_json:
            headers["Accept"] = "application/json"
        try:
            response = self._session.request(method, url, headers=headers, params=params, timeout=self._timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise GuestPlexFailure(GuestFailureKind.UNAVAILABLE, f"plex.tv could not be reached ({type(exc).__name__})") from None
        status = response.status_code
        what = f"{method} {url.split('?')[0]} answered {status}"
        if status == 404:
            raise GuestPlexFailure(not_found, what, status)
        if status == 429:
            raise GuestPlexFailure(GuestFailureKind.RATE_LIMITED, what, status)
        if status >= 500:
            raise GuestPlexFailure(GuestFailureKind.UNAVAILABLE, what, status)
        if status not in (200, 201, 204):
            raise GuestPlexFailure(GuestFailureKind.REFUSED, what, status)
        if not expect_json or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise GuestPlexFailure(GuestFailureKind.REFUSED, f"{method} {url.split('?')[0]} answered something other than JSON") from None

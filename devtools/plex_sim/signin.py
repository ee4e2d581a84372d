"""Guest sign-in with Plex: PINs, a stand-in for the app.plex.tv auth page, and what a signed-in guest's token can do
(read the account, accept a share, turn on watch-state sync, opt out of online media sources, sign out).

Sources: /work/shared/reference/plex-api.md "Guest sign-in with Plex (PIN / OAuth)" and "Accepting the share for
the guest"; plexapi 4.18 myplex.py (MyPlexPinLogin, MyPlexAccount.signout / enableViewStateSync /
onlineMediaSources, AccountOptOut); python-plexapi PR #1537 (the accept call). Every other detail says "assumption".
"""

from __future__ import annotations

import html
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devtools.plex_sim.state import Account, Pin, SimulatorState
from devtools.plex_sim.wire import HTML, NOT_FOUND, Reply, Request, empty, negotiated, negotiated_list, v2_error

# Assumption: the code and text plex.tv gives for a PIN that expired or never existed, as community clients quote
# it ({"errors":[{"code":1020,"message":"Code not found or expired","status":404}]}).
PIN_NOT_FOUND = (1020, "Code not found or expired")
# Assumption: a token that may not do this (another user's share, another account's settings).
FORBIDDEN = (1003, "Access denied")
# plexapi AccountOptOut.CHOICES and the online media source keys plex.tv lists (myplex.py onlineMediaSources).
# Assumption: which keys plex.tv lists.
OPT_OUT_KEYS = (
    "tv.plex.provider.podcasts",
    "tv.plex.provider.news",
    "tv.plex.provider.webshows",
    "tv.plex.provider.music",
    "tv.plex.provider.vod",
)
# The auth page's own paths: it stands in for https://app.plex.tv/auth (a page, not an API).
AUTH_PAGE = "/auth"
AUTH_SIGN_IN = "/auth/sign-in"


class GuestSignIn:
    def __init__(self, state: SimulatorState, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self._clock = clock

    # -- PINs (anonymous: only the client identifier) ------------------------------------------

    def create_pin(self, request: Request) -> Reply:
        # POST https://plex.tv/api/v2/pins?strong=true with X-Plex-Client-Identifier and X-Plex-Product (plex-api.md);
        # <pin id code authToken=""/> (plex-api.md), JSON with the same fields (plexapi MyPlexPinLogin reads "id",
        # "code", "authToken" from JSON). Assumption: a strong code is 25 characters, a short one 4, and a PIN
        # lives 30 minutes (pin_lifetime_seconds).
        client = request.headers.get("x-plex-client-identifier", "")
        if not client:
            raise v2_error(request, 400, 1000, "X-Plex-Client-Identifier is missing")  # assumption
        strong = (request.query.get("strong") or ["false"])[0].lower() in ("true", "1")
        now = self._clock()
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        pin = Pin(
            id=self.state.next_id(),
            code="".join(secrets.choice(alphabet) for _ in range(25 if strong else 4)),
            client_identifier=client,
            product=request.headers.get("x-plex-product", ""),
            created_at=now,
            expires_at=now + self.state.pin_lifetime_seconds,
        )
        self.state.pins[pin.id] = pin
        return negotiated(request, 201, "pin", self._pin_object(pin, strong=strong))

    def check_pin(self, request: Request, pid: str) -> Reply:
        # GET https://plex.tv/api/v2/pins/{id} with the same client identifier; authToken is set once the user signed
        # in (plex-api.md; plexapi MyPlexPinLogin._checkLogin). Assumption: another client identifier gets the same 404
        # as an expired PIN.
        pin = self.state.pins.get(int(pid))
        client = request.headers.get("x-plex-client-identifier", "")
        if pin is None or pin.client_identifier != client or self._clock() >= pin.expires_at:
            raise v2_error(request, 404, *PIN_NOT_FOUND)
        return negotiated(request, 200, "pin", self._pin_object(pin, strong=len(pin.code) > 4))

    def _pin_object(self, pin: Pin, *, strong: bool) -> dict[str, Any]:
        return {
            "id": pin.id,
            "code": pin.code,
            "product": pin.product,
            "trusted": False,
            "clientIdentifier": pin.client_identifier,
            "expiresIn": max(0, int(pin.expires_at - self._clock())),
            "createdAt": _iso(pin.created_at),
            "expiresAt": _iso(pin.expires_at),
            "authToken": pin.auth_token or None,
            "newRegistration": None,
        }

    # -- the auth page (a stand-in for https://app.plex.tv/auth) ------------------------------------------------

    def auth_page(self, request: Request) -> Reply:
        # https://app.plex.tv/auth#?clientID=..&code=..&forwardUrl=..&context[device][product]=.. (plex-api.md step 2):
        # the parameters are in the fragment, which only the browser sees, so the page's script copies them into
        # the form. Assumption: the real page's look; here a demo guest picks one of the demo accounts.
        accounts = [a for a in self.state.accounts if a.verified]
        buttons = "".join(
            f'<button type="submit" name="account" value="{html.escape(a.username)}">Sign in as {html.escape(a.username)}'
            f" ({html.escape(a.email)})</button>"
            for a in accounts
        )
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Plex (simulator)</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}button,a{{display:block;width:100%;
margin:.5rem 0;padding:.8rem;font-size:1rem;text-align:center}}</style></head>
<body><h1>Plex (simulator)</h1>
<p id="product">Sign in to continue to <strong id="product-name"></strong>.</p>
<form id="sign-in" method="post" action="{AUTH_SIGN_IN}">
<input type="hidden" name="clientID"><input type="hidden" name="code"><input type="hidden" name="forwardUrl">
{buttons}
</form>
<a id="abandon" href="#">Go back without signing in</a>
<script>
var params = new URLSearchParams(location.hash.replace(/^#\\??/, ''));
var form = document.getElementById('sign-in');
['clientID', 'code', 'forwardUrl'].forEach(function (name) {{ form.elements[name].value = params.get(name) || ''; }});
document.getElementById('product-name').textContent = params.get('context[device][product]') || 'an app';
document.getElementById('abandon').href = params.get('forwardUrl') || '/';
</script></body></html>"""
        return Reply(200, page, HTML)

    def auth_sign_in(self, request: Request) -> Reply:
        # The auth page's form: the chosen account signs in, the PIN gets a new token for it, and the browser is sent to
        # forwardUrl (plex-api.md step 2-3). Assumption: an unknown or expired code shows an error page, no redirect.
        fields = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        pin = next((p for p in self.state.pins.values() if p.code == fields.get("code")), None)
        account = self.state.find_account(fields.get("account", ""))
        if pin is None or pin.client_identifier != fields.get("clientID") or self._clock() >= pin.expires_at or account is None:
            return Reply(400, "<html><body><h1>This sign-in link has expired. Go back and try again.</h1></body></html>", HTML)
        token = "guest-" + secrets.token_urlsafe(24)
        pin.auth_token, pin.account_id = token, account.id
        self.state.guest_tokens[token] = account.id
        self.state.issued_guest_tokens.append(token)
        forward = fields.get("forwardUrl", "")
        if urlsplit(forward).scheme not in ("http", "https"):
            return Reply(200, "<html><body><h1>Signed in. You can close this page.</h1></body></html>", HTML)
        return Reply(303, "", HTML, {"Location": forward})

    # -- with the guest's token ----------------------------------------------------------------

    def accept_share(self, request: Request, sid: str) -> Reply:
        # POST https://plex.tv/api/v2/shared_servers/{id}/accept with the guest's token (python-plexapi PR #1537;
        # plex-api.md). Assumption: the answer is the share in the owned lists' shape, accepting twice is fine, and a
        # share for someone else is 403.
        account = self.state.account_for_token(request.token)
        share = self.state.shares.get(int(sid))
        if share is None or account is None:
            raise v2_error(request, 404, *NOT_FOUND)
        if share.user_id != account.id and share.invited_email.lower() != account.email.lower():
            raise v2_error(request, 403, *FORBIDDEN)
        share.user_id, share.username = account.id, account.username
        if share.accepted_at is None:
            share.accepted_at = int(self._clock())
        return negotiated(request, 200, "sharedServer", {"id": share.id, "accepted": True, "acceptedAt": share.accepted_at})

    def sign_out(self, request: Request) -> Reply:
        # DELETE https://plex.tv/api/v2/users/signout: invalidates the token (plexapi MyPlexAccount.signout; plex-api.md
        # step 4). Assumption: 204 without a body. The owner's demo token is never invalidated here.
        self.state.guest_tokens.pop(request.token, None)
        return empty()

    def view_state_sync(self, request: Request) -> Reply:
        # PUT https://plex.tv/api/v2/user/view_state_sync?consent=True (plexapi MyPlexAccount._updateViewStateSync: the
        # consent parameter is Python's bool as text). Assumption: 204 without a body.
        account = self._account(request)
        account.view_state_sync = (request.query.get("consent") or [""])[0].lower() in ("true", "1")
        return empty()

    def opt_outs(self, request: Request, uuid: str) -> Reply:
        # GET https://plex.tv/api/v2/user/{uuid}/settings/opt_outs: <optOuts><optOut key value/></optOuts> (plexapi
        # MyPlexAccount.onlineMediaSources reads optOut elements' key and value). Assumption: the JSON form is an array
        # of {key, value}; every source starts as opt_in.
        account = self._account(request, uuid)
        items = [{"key": key, "value": account.opt_outs.get(key, "opt_in")} for key in OPT_OUT_KEYS]
        return negotiated_list(request, 200, "optOuts", "optOut", items)

    def set_opt_out(self, request: Request, uuid: str) -> Reply:
        # POST .../settings/opt_outs?key=K&value=opt_out (plexapi AccountOptOut._updateOptOut; values in its CHOICES).
        # Assumption: 204 without a body; an unknown key or value is 400.
        account = self._account(request, uuid)
        key, value = (request.query.get("key") or [""])[0], (request.query.get("value") or [""])[0]
        if key not in OPT_OUT_KEYS or value not in ("opt_in", "opt_out", "opt_out_managed"):
            raise v2_error(request, 400, 1000, "Invalid opt out")
        account.opt_outs[key] = value
        return empty()

    def _account(self, request: Request, uuid: str = "") -> Account:
        account = self.state.account_for_token(request.token)
        if account is None:
            raise v2_error(request, 404, *NOT_FOUND)
        if uuid and uuid != account.uuid:
            raise v2_error(request, 403, *FORBIDDEN)
        return account


def user_object(state: SimulatorState, account: Account, token: str) -> dict[str, Any]:
    """GET /api/v2/user for the token's account. Fields: plexapi myplex.py MyPlexAccount._loadData; scrobbleTypes,
    <subscription> and <profile> must exist (plex-api.md). Assumption: the JSON form carries the same fields with the
    children as objects, and a guest's subscription is inactive."""
    owner = account is state.owner
    return {
        "id": account.id,
        "uuid": account.uuid,
        "username": account.username,
        "title": account.username,
        "email": account.email,
        "authToken": token,
        "scrobbleTypes": "",
        "home": False,
        "restricted": False,
        "mailingListActive": False,
        "subscription": {"active": owner, "status": "Active" if owner else "Inactive", "plan": "lifetime" if owner else ""},
        "profile": {"autoSelectAudio": True},
    }


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))

"""One guest's browser for Sign in with Plex over HTTP, played by requests: it keeps the portal's HttpOnly cookies by
hand (requests won't send a Secure cookie over http) and follows authUrl to the Plex simulator's auth page."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import requests

from tests.support.constants import HTTP_INVITE_CODE

PIN_COOKIE = "__Host-helpr-plex-pin"
PROOF_COOKIE = "__Host-helpr-guest-proof"


class Guest:
    def __init__(self, app):
        self.app = app
        self.cookie = ""  # the PIN cookie
        self.proof = ""  # the status page's proof, after a check with Plex
        self.responses: list[requests.Response] = []

    def _remember(self, response):
        self.responses.append(response)
        header = response.headers.get("Set-Cookie", "")
        for name, value in re.findall(r"(__Host-helpr-plex-pin|__Host-helpr-guest-proof)=([^;,]*)", header):
            if name == PIN_COOKIE:
                self.cookie = value
            else:
                self.proof = value
        return response

    def _cookies(self):
        cookies = [f"{PIN_COOKIE}={self.cookie}"] if self.cookie else []
        cookies += [f"{PROOF_COOKIE}={self.proof}"] if self.proof else []
        return {"Cookie": "; ".join(cookies)} if cookies else {}

    def start(self, code=HTTP_INVITE_CODE, purpose=None):
        headers = {"Content-Type": "application/json", "Origin": self.app.site_url}
        body = {"inviteCode": code} if code is not None else {}
        if purpose is not None:
            body["purpose"] = purpose
        return self._remember(requests.post(f"{self.app.site_url}/api/signin/plex", data=json.dumps(body), headers=headers, timeout=30))

    def sign_in_on_plex(self, auth_url, account="alice"):
        parts = urlsplit(auth_url)
        params = {k: v[0] for k, v in parse_qs(parts.fragment.lstrip("?")).items()}
        form = {"clientID": params["clientID"], "code": params["code"], "forwardUrl": params["forwardUrl"], "account": account}
        page = requests.post(f"{parts.scheme}://{parts.netloc}/auth/sign-in", data=form, allow_redirects=False, timeout=10)
        assert page.status_code == 303, page.text
        return page.headers["Location"]

    def complete(self):
        return self._remember(requests.post(f"{self.app.site_url}/api/signin/plex/complete", headers=self._cookies(), timeout=30))

    def check_status(self):
        """The status page's return from Plex: POST /api/guest/status/plex with the PIN cookie."""
        return self._remember(requests.post(f"{self.app.site_url}/api/guest/status/plex", headers=self._cookies(), timeout=30))

    def ask_for_more_time(self, body=None):
        headers = {"Content-Type": "application/json", **self._cookies()}
        url = f"{self.app.site_url}/api/guest/more-time"
        return self._remember(requests.post(url, data=json.dumps(body or {}), headers=headers, timeout=30))

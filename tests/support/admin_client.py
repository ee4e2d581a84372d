"""The admin API as a browser calls it, over HTTP through the site."""

from __future__ import annotations

import json
from typing import Any, Protocol

import requests

from tests.support.constants import ADMIN_PASSWORD, ADMIN_USERNAME

COOKIE = "__Host-helpr-session"


class Site(Protocol):
    site_url: str


class Admin:
    """A browser-like client: keeps the session cookie and sends the site's Origin and the CSRF header."""

    def __init__(self, app: Site) -> None:
        self.app = app
        self.cookie = ""
        self.csrf = ""

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        origin: str | None = None,
        csrf: bool = True,
        cookie: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        headers = {"Origin": self.app.site_url if origin is None else origin}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        sent_cookie = self.cookie if cookie is None else cookie
        if sent_cookie:
            headers["Cookie"] = f"{COOKIE}={sent_cookie}"
        return requests.request(
            method,
            f"{self.app.site_url}/api/{path}",
            data=None if body is None else json.dumps(body),
            headers=headers,
            params=params,
            timeout=30,
        )

    def login(self, password: str = ADMIN_PASSWORD, **extra: Any) -> requests.Response:
        response = self.call("POST", "manage/login", {"username": ADMIN_USERNAME, "password": password, **extra}, csrf=False)
        if response.status_code == 200:
            self.cookie = response.cookies.get(COOKIE) or cookie_value(response.headers["Set-Cookie"])
            self.csrf = response.json()["csrfToken"]
        return response


def cookie_value(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]

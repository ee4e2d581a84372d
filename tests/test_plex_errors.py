"""Error sorting for what plexapi raises; the gateway tests cover the same cases over real HTTP."""

import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized

from shared.plex.errors import LastResponse, PlexErrorKind, classify

URL = "https://plex.tv/api/servers/abc/shared_servers?X-Plex-Token=supersecret"


@pytest.mark.parametrize(
    ("exc", "last", "kind"),
    [
        (Unauthorized(f"(401) unauthorized; {URL} <errors/>"), None, PlexErrorKind.INVALID_TOKEN),
        (Unauthorized(f"(422) unprocessable; {URL} Invalid token"), None, PlexErrorKind.INVALID_TOKEN),
        (
            BadRequest(f'(400) bad_request; {URL} <Response code="400" status="You\'re already sharing this server with bob."/>'),
            None,
            PlexErrorKind.ALREADY_SHARED,
        ),
        (BadRequest(f'(400) bad_request; {URL} <Response code="400" status="Unable to find user"/>'), None, PlexErrorKind.USER_NOT_FOUND),
        (BadRequest(f"(422) unprocessable; {URL} limit reached"), None, PlexErrorKind.SHARE_LIMIT),
        (BadRequest(f"(429) too_many_requests; {URL} slow down"), LastResponse(429, 12.0), PlexErrorKind.RATE_LIMITED),
        (BadRequest(f"(503) service_unavailable; {URL} down"), None, PlexErrorKind.UNAVAILABLE),
        (TypeError("'NoneType' object is not subscriptable"), LastResponse(520, None), PlexErrorKind.UNAVAILABLE),
        (requests.ConnectionError("refused"), None, PlexErrorKind.UNAVAILABLE),
        (requests.ReadTimeout("slow"), None, PlexErrorKind.UNAVAILABLE),
        (NotFound(f"(404) not_found; {URL} missing"), None, PlexErrorKind.UNEXPECTED),
        (BadRequest(f"(410) gone; {URL} Gone"), None, PlexErrorKind.UNEXPECTED),
        (BadRequest(f"(400) bad_request; {URL} This feature requires a Plex Pass"), None, PlexErrorKind.UNEXPECTED),
        (TypeError("boom"), None, PlexErrorKind.UNEXPECTED),
    ],
)
def test_each_plex_failure_lands_in_one_kind(exc, last, kind):
    assert classify(exc, last).kind is kind


def test_retry_after_comes_from_the_recorded_response():
    error = classify(BadRequest(f"(429) too_many_requests; {URL} slow down"), LastResponse(429, 12.0))
    assert error.retry_after == 12.0


def test_details_never_carry_urls_or_tokens():
    error = classify(BadRequest(f"(400) bad_request; {URL} X-Plex-Token=abc123 oops"), None)
    assert "supersecret" not in error.detail
    assert "abc123" not in error.detail
    assert "plex.tv" not in error.detail

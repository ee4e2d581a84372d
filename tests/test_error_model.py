"""One error model: the domain raises DomainError with a kind, and one table turns kinds into statuses."""

import ast
import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import shared
from functions.http import STATUS_BY_KIND, domain_error_response
from shared.access.tiers import TierError
from shared.access.users import UserAccessError
from shared.admin.auth import AuthError, AuthFailure
from shared.config.settings import SetupRequired
from shared.errors import DomainError, ErrorKind
from shared.invites.links import InviteLinkError
from shared.invites.service import IdempotencyKeyReused
from shared.invites.validation import InvalidInput
from shared.plex.errors import PlexError, PlexErrorKind

ROOT = Path(__file__).resolve().parent.parent


def test_every_kind_has_exactly_one_status():
    assert set(STATUS_BY_KIND) == set(ErrorKind)
    assert STATUS_BY_KIND == {
        ErrorKind.INVALID: 400,
        ErrorKind.UNAUTHENTICATED: 401,
        ErrorKind.FORBIDDEN: 403,
        ErrorKind.NOT_FOUND: 404,
        ErrorKind.CONFLICT: 409,
        ErrorKind.UNPROCESSABLE: 422,
        ErrorKind.RATE_LIMITED: 429,
        ErrorKind.UNAVAILABLE: 503,
    }


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidInput("identifier", "invalid_email", "Check the address."), 400, "invalid_email"),
        (IdempotencyKeyReused(), 422, "idempotency_key_reused"),
        (TierError("unknown_tier", "That tier doesn't exist any more."), 400, "unknown_tier"),
        (InviteLinkError("code_taken", "Choose another code.", field="code"), 400, "code_taken"),
        (UserAccessError("no_active_access", "No active access."), 409, "no_active_access"),
        (AuthError(AuthFailure.INVALID_CREDENTIALS, "Wrong."), 401, "invalid_credentials"),
        (AuthError(AuthFailure.CSRF_TOKEN_INVALID, "Reload."), 403, "csrf_token_invalid"),
        (AuthError(AuthFailure.TOO_MANY_ATTEMPTS, "Wait.", retry_after=12.2), 429, "too_many_attempts"),
        (SetupRequired(["PLEX_TOKEN"], "Set PLEX_TOKEN."), 503, "setup_required"),
        (PlexError(PlexErrorKind.UNAVAILABLE, "plex.tv answered 503").as_domain_error(), 503, "plex_unreachable"),
    ],
)
def test_each_error_answers_its_status_code_message_and_field(error, status, code):
    response = domain_error_response(error)
    assert response.status_code == status
    body = json.loads(response.get_body())["error"]
    assert body["code"] == code and body["message"] == error.message
    assert body.get("field") == error.field


def test_waits_and_lost_sessions_are_told_in_headers():
    limited = domain_error_response(AuthError(AuthFailure.TOO_MANY_ATTEMPTS, "Wait.", retry_after=12.2))
    assert limited.headers["Retry-After"] == "13"
    ended = domain_error_response(AuthError(AuthFailure.NOT_AUTHENTICATED, "Sign in again."))
    assert ended.headers["Set-Cookie"].startswith("__Host-helpr-session=;")


def _domain_error_names() -> set[str]:
    for module in pkgutil.walk_packages(shared.__path__, "shared."):
        importlib.import_module(module.name)
    names, pending = set(), [DomainError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return names


def test_no_handler_maps_a_domain_error_itself():
    domain_errors = _domain_error_names()
    offenders = []
    for path in sorted((ROOT / "functions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                names = {c.id if isinstance(c, ast.Name) else c.attr for c in caught if isinstance(c, ast.Name | ast.Attribute)}
                if names & domain_errors and path.name != "http.py":
                    offenders.append(f"{path.name}:{node.lineno} {sorted(names & domain_errors)}")
    assert offenders == [], "map domain errors in functions/http.py only"

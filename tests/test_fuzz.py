"""Property-based tests: hypothesis on the validators and the invite endpoint, schemathesis on every endpoint."""

import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.invites.validation import MAX_IDENTIFIER_LENGTH, IdentifierKind, InvalidInput, parse_identifier
from tests.support.constants import HTTP_INVITE_CODE

FUZZ_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@given(st.text(max_size=300) | st.none() | st.integers() | st.lists(st.text()))
@settings(max_examples=500, deadline=None)
def test_identifier_parsing_either_normalises_or_explains(raw):
    try:
        identifier = parse_identifier(raw)
    except InvalidInput as exc:
        assert exc.field == "identifier" and len(exc.message) > 20
        return
    assert identifier.normalized == identifier.normalized.strip().lower()
    assert 0 < len(identifier.normalized) <= MAX_IDENTIFIER_LENGTH
    assert (identifier.kind is IdentifierKind.EMAIL) == ("@" in identifier.normalized)
    assert not any(ch.isspace() for ch in identifier.normalized)


def log_row_count(app_stack):
    return sum(1 for _ in app_stack.tables.client("invitelog").list_entities())


@given(body=st.dictionaries(st.sampled_from(["identifier", "inviteCode", "extra"]), json_values, max_size=3) | json_values)
@FUZZ_SETTINGS
def test_invite_endpoint_never_fails_with_5xx_and_writes_nothing_for_rejections(app_stack, body):
    before = log_row_count(app_stack)
    response = requests.post(
        f"{app_stack.functions_url}/api/invites", data=json.dumps(body), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and len(error["message"]) > 10
    if response.status_code in (400, 413, 415, 429, 431):
        assert log_row_count(app_stack) == before, "rejected input writes nothing"


@given(
    raw=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=latin-1"])
)
@FUZZ_SETTINGS
def test_raw_bodies_and_content_types_get_json_errors(app_stack, raw, content_type):
    response = requests.post(f"{app_stack.functions_url}/api/invites", data=raw, headers={"Content-Type": content_type}, timeout=30)
    assert response.status_code < 500
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"{" * 5000 + b"}" * 5000, {}, 400, "invalid_json"),
        (b'{"identifier": "a", "x": ' + b"[" * 20 + b"1" + b"]" * 20 + b"}", {}, 400, "invalid_json"),
        (b'{"identifier": "' + b"a" * 20000 + b'"}', {}, 413, "body_too_large"),
        (b'{"identifier": "alice"}', {"X-Padding": "p" * 17000}, 431, "headers_too_large"),
    ],
)
def test_oversized_and_deeply_nested_requests_are_rejected_early(app_stack, body, headers, status, code):
    response = requests.post(
        f"{app_stack.functions_url}/api/invites", data=body, headers={"Content-Type": "application/json", **headers}, timeout=30
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_every_endpoint_conforms_and_never_fails_with_5xx(app_stack):
    """schemathesis generates requests (valid and invalid) for every operation in /api/openapi.json."""
    schema = schemathesis.openapi.from_url(f"{app_stack.functions_url}/api/openapi.json")
    base_url = f"{app_stack.functions_url}/api"
    cases_run: dict[str, int] = {}
    for found in schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case):
            if case.operation.path == "/invites" and isinstance(case.body, dict):
                case.body.setdefault("inviteCode", HTTP_INVITE_CODE)
            response = case.call(base_url=base_url)
            assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
            # Plex decides whether a well-formed name exists (422), which no schema can say: the
            # "schema-valid data is accepted" check can't apply; every other check does.
            case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])
            cases_run[case.operation.label] = cases_run.get(case.operation.label, 0) + 1

        exercise()
    paths = requests.get(f"{base_url}/openapi.json", timeout=30).json()["paths"]
    documented = {f"{method.upper()} {path}" for path, methods in paths.items() for method in methods}
    # schemathesis leaves out the document it was loaded from.
    assert set(cases_run) == documented - {"GET /openapi.json"}
    print(f"schemathesis: {sum(cases_run.values())} cases over {len(cases_run)} operations")

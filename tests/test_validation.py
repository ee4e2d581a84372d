import pytest

from shared.invites.validation import IdentifierKind, InvalidInput, parse_identifier, parse_invite_code


@pytest.mark.parametrize(
    ("raw", "normalized", "kind"),
    [
        ("alice", "alice", IdentifierKind.USERNAME),
        ("  Dave_P  ", "dave_p", IdentifierKind.USERNAME),
        ("j.r-smith", "j.r-smith", IdentifierKind.USERNAME),
        ("Bob@Example.COM", "bob@example.com", IdentifierKind.EMAIL),
        ("\tfirst.last+plex@sub.example.org\n", "first.last+plex@sub.example.org", IdentifierKind.EMAIL),
    ],
)
def test_valid_identifiers_are_trimmed_and_normalised(raw, normalized, kind):
    identifier = parse_identifier(raw)
    assert identifier.normalized == normalized
    assert identifier.kind is kind
    assert identifier.submitted == raw


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "identifier_required"),
        ("", "identifier_required"),
        ("   ", "identifier_required"),
        (42, "invalid_identifier"),
        (["alice"], "invalid_identifier"),
        ("alice smith", "invalid_username"),
        ("<script>", "invalid_username"),
        ("_leading", "invalid_username"),
        ("a" * 65, "invalid_username"),
        ("name@", "invalid_email"),
        ("name@localhost", "invalid_email"),
        ("two@@example.com", "invalid_email"),
        ("sp ace@example.com", "invalid_email"),
        ("x" * 250 + "@example.com", "identifier_too_long"),
        ("alice\u0000", "invalid_username"),
    ],
)
def test_invalid_identifiers_are_rejected_with_a_reason(raw, code):
    with pytest.raises(InvalidInput) as caught:
        parse_identifier(raw)
    assert caught.value.code == code
    assert caught.value.field == "identifier"
    assert len(caught.value.message) > 20


def test_invite_code_is_trimmed_and_optional():
    assert parse_invite_code(None) == ""
    assert parse_invite_code("  abc-123 ") == "abc-123"


@pytest.mark.parametrize("raw", [123, "x" * 129, "abc\u0007def"])
def test_bad_invite_codes_are_rejected(raw):
    with pytest.raises(InvalidInput) as caught:
        parse_invite_code(raw)
    assert caught.value.field == "inviteCode"

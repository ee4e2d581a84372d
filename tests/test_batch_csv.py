"""Reading and checking a batch invitation's CSV: header or none, commas or semicolons, a byte order mark, and
each row's error (bad identifier, unknown tier, days out of range, a duplicate, someone who has access)."""

from __future__ import annotations

import pytest

from shared.access.tiers import Tier
from shared.invites.batch_csv import MAX_BYTES, MAX_ROWS, BatchFileError, check_rows, read_rows

TIERS = [Tier("default", "Default", ()), Tier("t-family", "Family", (1, 2)), Tier("t-friends", "Friends", (1,))]


def checked(text: str, has_access: set[str] | None = None, encoding: str = "utf-8"):
    return check_rows(read_rows(text.encode(encoding)), TIERS, has_access or set())


def test_a_file_without_a_header_is_identifier_tier_days():
    rows = checked("alice,Family,30\nbob@example.com\ncarol,t-friends,\n")
    assert [(r.line, r.normalized, r.tier_id, r.access_days, r.ok) for r in rows] == [
        (1, "alice", "t-family", 30, True),
        (2, "bob@example.com", "default", 0, True),
        (3, "carol", "t-friends", 0, True),
    ]


def test_a_header_names_the_columns_in_any_order_and_a_bom_and_semicolons_are_read():
    text = "\ufeffDays;Email;Tier\r\n7;dave@example.com;friends\r\n\r\n;erin@example.com;\r\n"
    rows = checked(text)
    assert [(r.line, r.identifier, r.tier_id, r.access_days) for r in rows] == [
        (2, "dave@example.com", "t-friends", 7),
        (4, "erin@example.com", "default", 0),
    ]


def test_a_header_is_only_the_first_row_and_a_quoted_comma_stays_in_its_cell():
    rows = checked('username,tier\n"frank",Family\nusername,Family\n')
    assert [r.identifier for r in rows] == ["frank", "username"]


def test_each_bad_row_says_what_is_wrong_and_the_good_rows_stay_good():
    text = "\n".join(
        [
            "alice,Family,30",
            "bad name with spaces and @@,,",
            "bob,Gold,",
            "carol,,abc",
            "dave,,4000",
            "ALICE,,",
            "erin@example.com,,",
            "frank,,",
            "gina,,²",  # a digit to str.isdigit() that int() can't read
        ]
    )
    rows = checked(text, has_access={"erin@example.com"})
    assert [(r.line, r.error_code) for r in rows] == [
        (1, ""),
        (2, "bad_identifier"),
        (3, "unknown_tier"),
        (4, "bad_days"),
        (5, "bad_days"),
        (6, "duplicate"),
        (7, "already_has_access"),
        (8, ""),
        (9, "bad_days"),
    ]
    assert "Gold" in rows[2].error and "Tiers view" in rows[2].error
    assert "line 1" in rows[5].error
    assert all(r.error for r in rows if not r.ok)


def test_a_file_that_cant_be_used_is_refused_whole_with_what_to_do():
    with pytest.raises(BatchFileError, match="no rows") as empty:
        read_rows(b"\n\n")
    assert empty.value.code == "empty_file"
    with pytest.raises(BatchFileError, match="CSV UTF-8"):
        read_rows("zoë,,\n".encode("latin-1"))
    with pytest.raises(BatchFileError, match="Split it") as many:
        read_rows("".join(f"user{i}@example.com\n" for i in range(MAX_ROWS + 1)).encode())
    assert many.value.code == "too_many_rows"
    with pytest.raises(BatchFileError, match="KB") as large:
        read_rows(b"a" * (MAX_BYTES + 1))
    assert large.value.code == "file_too_large"


def test_the_most_rows_allowed_are_read():
    assert len(read_rows("".join(f"user{i}@example.com\n" for i in range(MAX_ROWS)).encode())) == MAX_ROWS

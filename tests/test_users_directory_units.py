"""Who the Users list shows for a set of grants and shares, without storage or plex.tv."""

from datetime import UTC, datetime, timedelta

from shared.access.directory import Directory, ending_soon, unmanaged_identifier
from shared.access.grants import Grant, GrantStatus
from shared.access.tiers import Tier
from shared.plex.gateway import PlexShare

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TIERS = [Tier("default", "Default", ()), Tier("kids", "Kids", (4,))]


def grant(identifier, status=GrantStatus.ACTIVE, tier="default", ends=None):
    return Grant(identifier, tier, "", NOW - timedelta(days=3), ends, status)


def share(share_id, username="", email="", pending=False):
    names = frozenset(n.lower() for n in (username, email) if n)
    return PlexShare(share_id, names, pending, (1, 2), username=username, email=email)


def test_each_share_is_listed_once_with_its_grant_or_as_not_managed():
    grants = [grant("alice"), grant("bob@example.com", tier="kids"), grant("gone")]
    shares = [share(1, "Alice", "alice@example.com"), share(2, "bobby", "bob@example.com", pending=True), share(3, "Zed")]
    people = {p.identifier: p for p in Directory.everyone(grants, shares, TIERS)}
    assert set(people) == {"alice", "bob@example.com", "gone", "zed"}
    assert (people["alice"].plex_status, people["alice"].managed) == ("accepted", True)
    assert (people["bob@example.com"].plex_status, people["bob@example.com"].tier_name) == ("pending", "Kids")
    assert people["gone"].plex_status == "missing"
    assert (people["zed"].managed, people["zed"].status, people["zed"].plex_status) == (False, "unmanaged", "accepted")


def test_a_share_given_again_by_hand_stands_in_for_the_ended_grant():
    people = Directory.everyone([grant("carol", status=GrantStatus.REVOKED)], [share(5, "carol")], TIERS)
    assert [(p.identifier, p.managed) for p in people] == [("carol", False)]


def test_while_plex_tv_cannot_be_read_active_people_are_unknown_and_ended_ones_say_nothing():
    people = {p.identifier: p for p in Directory.everyone([grant("a"), grant("b", status=GrantStatus.EXPIRED)], None, TIERS)}
    assert (people["a"].plex_status, people["b"].plex_status) == ("unknown", "")


def test_a_share_is_named_by_its_username_then_its_email():
    assert unmanaged_identifier(share(1, "Pat", "p@example.com")) == "pat"
    assert unmanaged_identifier(share(2, email="Q@Example.com")) == "q@example.com"


def test_ending_soon_means_active_access_ending_within_seven_days():
    (soon, later, open_ended, ended) = Directory.everyone(
        [
            grant("soon", ends=NOW + timedelta(days=7)),
            grant("later", ends=NOW + timedelta(days=8)),
            grant("open"),
            grant("ended", status=GrantStatus.EXPIRED, ends=NOW - timedelta(days=1)),
        ],
        [],
        TIERS,
    )
    assert [ending_soon(p, NOW) for p in (soon, later, open_ended, ended)] == [True, False, False, False]

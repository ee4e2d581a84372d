"""The Start watching page's content: the owner's Markdown through a sandbox, Markdown and a sanitiser; broken
templates refused at save time with the field to fix, never on the guest's page."""

import pytest

from shared import i18n
from shared.guest import onboarding
from shared.guest.onboarding import GuestContext, OnboardingContent, TemplateRejected

GUEST = GuestContext("Movie Night", ("Movies", "TV Shows"), "31 December 2030", "Family")


def html_of(step_source, **content):
    parsed = onboarding.parse({"steps": {"phone": step_source}, **content})
    page = onboarding.page(parsed, GUEST, "en")
    return next(step["html"] for step in page["steps"] if step["device"] == "phone")


def test_placeholders_are_filled_and_markdown_rendered():
    html = html_of("Watch **{{ libraries }}** on {{ server_name }} until {{ expires_at }}.")
    assert html == "<p>Watch <strong>Movies, TV Shows</strong> on Movie Night until 31 December 2030.</p>"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ server_name.__class__.__base__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_a_sandbox_escape_attempt_is_refused_at_save(source):
    with pytest.raises(TemplateRejected) as refused:
        onboarding.parse({"steps": {"tv": source}})
    assert refused.value.field == "steps.tv"
    assert refused.value.code == "invalid_template"


def test_an_unknown_placeholder_is_refused_and_named():
    with pytest.raises(TemplateRejected) as refused:
        onboarding.parse({"rules": "Be nice, {{ secret_token }}."})
    assert refused.value.field == "rules"
    assert "secret_token" in refused.value.message


def test_a_syntax_error_is_refused():
    with pytest.raises(TemplateRejected):
        onboarding.parse({"contact": "Mail me {{ server_name "})


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>Hello",
        '<img src=x onerror="alert(1)">Hello',
        "[Hello](javascript:alert(1))",
        '<a href="https://x.example" onclick="alert(1)">Hello</a>',
        "<iframe src='https://evil.example'></iframe>Hello",
    ],
)
def test_script_and_handlers_never_reach_the_page(source):
    html = html_of(source)
    assert "Hello" in html
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<img"):
        assert bad not in html.lower()


def test_values_are_escaped_before_markdown():
    guest = GuestContext("<script>x</script>")
    page = onboarding.page(OnboardingContent(steps={"phone": "On {{ server_name }}"}), guest, "en")
    assert "<script" not in page["steps"][0]["html"]
    assert "&lt;script&gt;" in page["steps"][0]["html"]


def test_links_get_rel_and_only_web_schemes_stay():
    html = html_of("[Requests]({{ request_url }})", requestApp="overseerr", requestUrl="https://requests.example.com")
    assert html == '<p><a href="https://requests.example.com" rel="noopener noreferrer nofollow">Requests</a></p>'


def test_defaults_come_in_the_guests_language_and_cards_only_when_turned_on():
    page = onboarding.page(OnboardingContent(), GUEST, "de")
    assert [s["device"] for s in page["steps"]] == ["phone", "tv", "computer", "console"]
    assert "Movie Night" in page["steps"][0]["html"]
    assert "Installiere" in page["steps"][0]["html"]
    assert page["accept"]["title"] == "Einladung annehmen"
    assert page["cards"] == []
    content = onboarding.parse(
        {
            "requestApp": "jellyseerr",
            "requestUrl": "https://req.example.com",
            "communityUrl": "https://discord.example.com/x",
            "communityLabel": "Discord",
            "rules": "No **sharing** accounts.",
            "contact": "Mail [the owner](mailto:owner@example.com).",
        }
    )
    cards = onboarding.page(content, GUEST, "fr")["cards"]
    assert [c["kind"] for c in cards] == ["requests", "community", "rules", "contact"]
    assert cards[0]["title"] == "Demander des titres · Jellyseerr"
    assert 'href="https://req.example.com"' in cards[0]["html"]
    assert cards[2]["html"] == "<p>No <strong>sharing</strong> accounts.</p>"
    assert 'href="mailto:owner@example.com"' in cards[3]["html"]


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_languages_defaults_render(locale):
    page = onboarding.page(OnboardingContent(request_app="ombi", request_url="https://o.example"), GUEST, locale)
    assert all(step["html"].startswith("<p>") for step in page["steps"])
    assert page["accept"]["html"] and page["cards"][0]["html"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"requestApp": "plexrequests", "requestUrl": "https://x.example"}, "requestApp"),
        ({"requestApp": "ombi"}, "requestUrl"),
        ({"communityUrl": "javascript:alert(1)"}, "communityUrl"),
        ({"steps": {"fridge": "x"}}, "steps"),
        ({"rules": "x" * 4001}, "rules"),
    ],
)
def test_bad_fields_are_refused_with_the_field(body, field):
    with pytest.raises(Exception) as refused:
        onboarding.parse(body)
    assert getattr(refused.value, "field", None) == field


FAMILY_OVERRIDE = {"steps": {"accept": "Family: accept on {{ server_name }}."}, "rules": "No spoilers for **{{ tier }}**."}


def test_a_tier_overrides_steps_and_cards_and_keeps_the_rest_of_everyones_text():
    everyone = {"steps": {"phone": "Everyone's phone step."}, "rules": "Everyone's rules.", "contact": "Mail me."}
    content = onboarding.parse({**everyone, "tiers": {"family": FAMILY_OVERRIDE}})
    family = onboarding.page(content.for_tier("family"), GUEST, "en")
    assert family["accept"]["html"] == "<p>Family: accept on Movie Night.</p>"
    assert family["steps"][0]["html"] == "<p>Everyone's phone step.</p>"
    cards = {card["kind"]: card["html"] for card in family["cards"]}
    assert cards == {"rules": "<p>No spoilers for <strong>Family</strong>.</p>", "contact": "<p>Mail me.</p>"}
    others = onboarding.page(content.for_tier("kids"), GUEST, "en")
    assert "Family:" not in others["accept"]["html"]
    assert {card["kind"] for card in others["cards"]} == {"rules", "contact"} and "spoilers" not in str(others["cards"])
    assert content.for_tier("kids") == content.for_tier("") and content.for_tier("kids").tiers == {}


def test_a_tiers_override_is_sanitised_and_an_empty_one_is_dropped():
    family = {"rules": "<script>alert(1)</script>Be <b onclick='x()'>nice</b>"}
    content = onboarding.parse({"tiers": {"family": family, "kids": {"steps": {"tv": "  "}, "rules": ""}}})
    assert set(content.tiers) == {"family"}
    cards = onboarding.page(content.for_tier("family"), GUEST, "en")["cards"]
    assert "<script" not in cards[0]["html"] and "onclick" not in cards[0]["html"]
    assert content.as_json()["tiers"]["family"]["steps"] == dict.fromkeys(onboarding.STEPS, "")


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ({"family": {"rules": "Hi {{ secret_token }}"}}, "tiers.family.rules"),
        ({"family": {"steps": {"accept": "{{ server_name "}}}, "tiers.family.steps.accept"),
        ({"family": {"steps": {"tv": "{{ ''.__class__.__mro__ }}"}}}, "tiers.family.steps.tv"),
        ({"family": {"steps": {"fridge": "x"}}}, "tiers.family.steps"),
        ({"family": {"requestUrl": "https://x.example"}}, "tiers.family"),
        ({"family": {"contact": "x" * 4001}}, "tiers.family.contact"),
        ({"no spaces": {"rules": "x"}}, "tiers"),
        (["family"], "tiers"),
    ],
)
def test_a_broken_tier_override_is_refused_with_its_field(tiers, field):
    with pytest.raises(Exception) as refused:
        onboarding.parse({"tiers": tiers})
    assert getattr(refused.value, "field", None) == field

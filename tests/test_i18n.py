"""The guest's languages: every catalog has every entry with the same placeholders, the compiled catalogs
and the pages' JSON are up to date, and API messages come back in the language asked for."""

import json
import re
from datetime import UTC, datetime

import azure.functions as func
import pytest
from babel.messages.pofile import read_po

from devtools import i18n as i18n_tool
from functions.http import api_endpoint, domain_error_response, json_response
from shared import i18n
from shared.invites.validation import InvalidInput, parse_identifier

# {name} in messages and page strings, {{ name }} in onboarding Markdown.
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}|\{(\w+)\}")


def entries(locale):
    with i18n_tool.po_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=i18n.catalog_name(locale))
    return {(m.context, m.id): m.string for m in catalog if m.id}


def placeholders(text):
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


def test_the_languages_the_issue_asks_for_are_all_there():
    assert set(i18n.LOCALES) >= {"en", "de", "fr", "es", "nl", "it", "pt-BR"}


@pytest.mark.parametrize("locale", [loc for loc in i18n.LOCALES if loc != "en"])
def test_every_entry_is_translated_with_the_same_placeholders(locale):
    english = entries("en")
    other = entries(locale)
    missing = sorted(str(key) for key in english if not other.get(key))
    assert missing == [], f"{locale} lacks {len(missing)} entries"
    assert sorted(str(k) for k in other if k not in english) == [], f"{locale} has entries English doesn't"
    differ = {key: (placeholders(english[key]), placeholders(other[key])) for key in english}
    assert {k: v for k, v in differ.items() if v[0] != v[1]} == {}


def test_english_gives_text_for_every_entry():
    assert [key for key, text in entries("en").items() if not text] == []


def test_compiled_catalogs_and_page_json_match_the_po_files():
    assert i18n_tool.stale() == [], "run .venv/bin/python -m devtools.i18n"


def test_page_json_has_the_same_keys_in_every_language():
    keys = {locale: set(json.loads((i18n_tool.STATIC_DIR / f"{locale}.json").read_text())["text"]) for locale in i18n.LOCALES}
    assert all(k == keys["en"] for k in keys.values())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-CH, fr;q=0.9", "fr"),
        ("pt", "pt-BR"),
        ("pt-br", "pt-BR"),
        ("ja, nl;q=0.5", "nl"),
        ("it;q=0, es;q=0.4", "es"),
        ("zz", "en"),
        ("<script>", "en"),
    ],
)
def test_negotiates_the_language_from_accept_language(header, expected):
    assert i18n.negotiate(header) == expected


def test_a_domain_message_is_translated_with_its_values_carried_over():
    with pytest.raises(InvalidInput) as raised:
        parse_identifier("x" * 300)
    german = i18n.translate(raised.value.message, "de")
    assert german == "Das sind 300 Zeichen; ein Plex-Benutzername oder eine E-Mail hat höchstens 254."


def test_nested_values_are_translated_too():
    message = "Too many invite requests from your network. Please wait 5 minutes and try again."
    assert i18n.translate(message, "es") == "Demasiadas solicitudes de invitación desde tu red. Espera 5 minutos y vuelve a intentarlo."


def test_a_value_cannot_inject_format_fields():
    message = (
        "Invite sent to {0.__class__}. Plex emails you an invitation: accept it, or open app.plex.tv and accept the pending invite. "
        "New Plex accounts must verify their email first."
    )
    assert "{0.__class__}" in i18n.translate(message, "fr")


def test_an_unknown_message_stays_in_english():
    assert i18n.translate("Something nobody wrote a translation for.", "it") == "Something nobody wrote a translation for."


def test_dates_are_formatted_per_locale():
    moment = datetime(2026, 12, 31, 12, tzinfo=UTC)
    assert i18n.format_day(moment, "en") == "December 31, 2026"
    assert i18n.format_day(moment, "de") == "31. Dezember 2026"
    assert i18n.format_day(moment, "pt-BR") == "31 de dezembro de 2026"


def request(headers):
    return func.HttpRequest("GET", "http://localhost/api/x", headers=headers, body=b"")


def test_api_errors_keep_their_code_and_carry_the_message_in_the_chosen_language():
    @api_endpoint
    def handler(req):
        parse_identifier("")
        return json_response({})

    response = handler(request({"Accept-Language": "nl-NL,nl;q=0.9"}))
    body = json.loads(response.get_body())
    assert response.status_code == 400
    assert body["error"]["code"] == "identifier_required"
    assert body["error"]["message"] == "Vul je Plex-gebruikersnaam of het e-mailadres van je Plex-account in."
    assert response.headers["Content-Language"] == "nl"
    english = json.loads(handler(request({})).get_body())
    assert english["error"]["message"] == "Enter your Plex username or the email address of your Plex account."


def test_outside_a_request_errors_are_english():
    response = domain_error_response(
        InvalidInput("identifier", "identifier_required", "Enter your Plex username or the email address of your Plex account.")
    )
    assert "Enter your Plex username" in json.loads(response.get_body())["error"]["message"]

"""Reach: the page's language (saved choice, the switch's cookie, Accept-Language), its direction, the switch
without JavaScript, and Arabic pages with no English string of the catalogue left in them."""
from __future__ import annotations

import re

import pytest

from tests.i18n_helpers import TRANSLATED_LANGUAGES, untranslated
from webapp.models import User


def _page(client, path="/", **headers):
    return client.get(path, headers=headers).get_data(as_text=True)


def test_accept_language_chooses_language_and_direction(client):
    page = _page(client, "/", **{"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page
    assert "تسجيل الدخول" in page  # the compiled Arabic catalogue is used, not only the attribute
    assert '<html lang="fr" dir="ltr">' in _page(client, "/", **{"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"})
    assert '<html lang="en" dir="ltr">' in _page(client, "/", **{"Accept-Language": "de, nl"})


def test_every_page_has_a_switch_that_needs_no_javascript(client):
    page = _page(client, "/about")
    form = re.search(r'<form class="language-switch" action="/language" method="get">(.*?)</form>', page, re.S)
    assert form, "visitors get a plain GET form"
    assert 'name="next" value="/about"' in form.group(1)
    assert all(f'value="{code}"' in form.group(1) for code in ("ar", "zh", "en", "fr", "ru", "es"))
    assert "<script" not in page


def test_a_visitor_switches_with_a_cookie_and_stays_on_the_page(client):
    response = client.get("/language?lang=ar&next=/paragraphs/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/paragraphs/")
    assert "reaim_lang=ar" in response.headers["Set-Cookie"]
    # The cookie outranks the browser's language.
    assert '<html lang="ar" dir="rtl">' in _page(client, "/paragraphs/", **{"Accept-Language": "fr"})


@pytest.mark.parametrize("query", ["lang=xx", "lang=", "lang=../../etc", "lang=ar%00", ""])
def test_an_unknown_language_is_refused_with_a_message(client, query):
    response = client.get(f"/language?{query}")
    assert response.status_code == 400
    assert "Unknown language." in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or "reaim_lang" not in response.headers["Set-Cookie"]


def test_the_switch_never_redirects_off_site(client):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.get("/language", query_string={"lang": "fr", "next": target})
        assert response.status_code == 302 and response.headers["Location"] in ("/", "http://localhost/")


def test_a_signed_in_person_saves_the_choice_in_the_profile(app, make_user, client_for, form_token, audit_rows):
    person = make_user()
    client = client_for(person)
    page = _page(client, "/about")
    assert re.search(r'<form class="language-switch" action="/language" method="post">', page)
    response = client.post("/language", data={"lang": "ar", "next": "/about",
                                              "csrf_token": form_token(client, "/about")})
    assert response.status_code == 303 and response.headers["Location"].endswith("/about")
    with app.app_context():
        from webapp.db import session

        assert session().get(User, person.id).locale == "ar"
    events = audit_rows("user.language_chosen")
    assert len(events) == 1 and events[0].actor_id == person.id and events[0].details["after"] == "ar"
    # Saved: another browser, with another Accept-Language, gets Arabic once signed in.
    other = client_for(person)
    assert '<html lang="ar" dir="rtl">' in _page(other, "/about", **{"Accept-Language": "en"})
    # The same choice again writes nothing.
    client.post("/language", data={"lang": "ar", "csrf_token": form_token(client, "/about")})
    assert len(audit_rows("user.language_chosen")) == 1


def test_a_signed_in_switch_needs_its_csrf_token_and_a_known_language(app, make_user, client_for, form_token):
    person = make_user()
    client = client_for(person)
    assert client.post("/language", data={"lang": "fr"}).status_code == 400
    response = client.post("/language", data={"lang": "xx", "csrf_token": form_token(client, "/about")})
    assert response.status_code == 400 and "Unknown language." in response.get_data(as_text=True)
    with app.app_context():
        from webapp.db import session

        assert session().get(User, person.id).locale is None


def test_pages_vary_on_what_chooses_their_language(client):
    vary = client.get("/about").headers.get("Vary", "")
    assert "Accept-Language" in vary and "Cookie" in vary


def test_country_names_and_call_titles_follow_the_language(app, client):
    from webapp.locale_names import country_choices, country_name

    with app.test_request_context(headers={"Accept-Language": "ar"}):
        assert country_name("NL") == "هولندا"
        assert country_name("ke") == "كينيا"
        assert country_name("ZZ") == "ZZ"
        assert dict(country_choices())["FR"] == "فرنسا"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert country_name("NL") == "Pays-Bas"
    page = _page(client, "/paragraphs/14", **{"Accept-Language": "ar"})
    assert "تبادل الممارسات الجيدة والدروس المستفادة" in page
    assert "no official translation" not in page and "ترجمة رسمية" in page  # the note, in Arabic
    assert '<blockquote class="call-text" lang="en" dir="ltr">' in page


PAGE_SAMPLE = ["/", "/about", "/paragraphs/", "/paragraphs/14", "/archive/", "/sign-in", "/register",
                 "/password/forgot", "/dialogue/", "/search?q=oversight", "/no-such-page"]


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
@pytest.mark.parametrize("path", PAGE_SAMPLE)
def test_a_sample_of_visitor_pages_has_no_untranslated_string(client, path, language):
    """For every catalogue present (Arabic here; the other languages' once merged)."""
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code in (200, 404), path
    assert f'<html lang="{language}"' in response.get_data(as_text=True)
    assert untranslated(response.get_data(as_text=True), language) == [], (language, path)


def test_the_untranslated_check_finds_english(client):
    assert "Sign in" in untranslated(_page(client, "/about", **{"Accept-Language": "en"}))


def test_a_signed_in_page_in_arabic_has_no_untranslated_string(make_user, client_for):
    person = make_user(roles=("facilitator",))
    client = client_for(person)
    client.get("/about")  # shows (and so clears) the English "Signed in as" flash of the sign-in request
    for path in ("/account", "/account/security", "/account/sessions", "/notifications/", "/archive/mine"):
        response = client.get(path, headers={"Accept-Language": "ar"})
        assert response.status_code == 200, path
        assert untranslated(response.get_data(as_text=True)) == [], path


def test_one_date_style_spells_out_the_month_in_every_language(app):
    from datetime import date, datetime, timezone

    from webapp.templating import locale_date, utc_datetime

    def plain(text: str) -> str:  # CLDR puts narrow or no-break spaces in some patterns
        return text.replace("\u202f", " ").replace("\xa0", " ")

    moment = datetime(2026, 12, 1, 13, 5, 9, tzinfo=timezone.utc)
    days = {"en": "Dec 1, 2026", "fr": "1 déc. 2026", "ar": "1 ديسمبر 2026", "ru": "1 дек. 2026 г.",
            "zh": "2026年12月1日", "es": "1 dic 2026"}
    for language, day in days.items():
        with app.test_request_context(headers={"Accept-Language": language}):
            assert plain(locale_date(date(2026, 12, 1))) == day, language
            assert day in plain(utc_datetime(moment)) and utc_datetime(moment).endswith(" UTC"), language
            assert day in plain(utc_datetime(moment, "short")), language
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert plain(utc_datetime(moment)) == "Dec 1, 2026, 1:05:09 PM UTC"
        assert plain(utc_datetime(moment, "short")) == "Dec 1, 2026, 1:05 PM UTC"


def test_numbers_are_grouped_for_the_locale(app):
    template = app.jinja_env.from_string("{{ n|locale_number }}")  # a variable: Jinja folds constant filters

    def render():
        return template.render(n=12345)
    for language, shown in {"en": "12,345", "ar": "12,345", "es": "12.345"}.items():
        with app.test_request_context(headers={"Accept-Language": language}):
            assert render() == shown, language
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert render().replace("\u202f", " ") == "12 345"

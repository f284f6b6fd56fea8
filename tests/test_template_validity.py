"""Template helpers that keep pages valid HTML (issue 13): `<time datetime>` values and CSRF fields without ids."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tests.conftest import sign_in
from webapp.templating import iso_datetime


def test_datetime_attributes_have_seconds_precision_and_a_zone():
    assert iso_datetime(datetime(2026, 12, 1, 13, 58, 38, 612116)) == "2026-12-01T13:58:38Z"
    amsterdam = timezone(timedelta(hours=1))
    assert iso_datetime(datetime(2026, 12, 1, 14, 58, 38, 5, tzinfo=amsterdam)) == "2026-12-01T13:58:38Z"
    assert iso_datetime(date(2026, 1, 1)) == "2026-01-01"
    assert iso_datetime(None) == ""


def test_a_page_with_several_forms_repeats_no_csrf_id(client_for, make_user):
    client = client_for(make_user())
    body = client.get("/account").get_data(as_text=True)
    assert body.count('name="csrf_token"') >= 3
    assert 'id="csrf_token"' not in body


def test_forms_without_ids_still_post(client, make_user):
    user = make_user()
    assert sign_in(client, user).status_code == 302


def test_a_required_select_without_an_empty_first_option_is_not_marked_required(client_for, make_user):
    admin, person = make_user(roles=("admin",)), make_user()
    body = client_for(admin).get(f"/admin/users/{person.id}").get_data(as_text=True)
    select = body[body.index('<select id="clearance"'):]
    select = select[:select.index(">")]
    assert "required" not in select, select

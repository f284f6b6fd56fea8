"""Forms a first-time author fills in without help: an explicit access tier, choices they may use, input kept."""
from __future__ import annotations

import re

from tests.archive_helpers import lesson_data


def _post_data(token: str, **overrides) -> dict:
    data = {key: value for key, value in lesson_data(**overrides).items() if value is not None}
    data["csrf_token"] = token
    return data


def test_new_submission_has_no_preselected_access_tier(make_user, client_for):
    body = client_for(make_user("restricted")).get("/archive/new/lesson_learnt").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="tier".*?</select>', body, re.S).group(0)
    assert select.index('<option value="">Choose who may read it</option>') < select.index('value="public"')
    assert "selected" not in select  # so the browser shows the blank first option
    assert "TLP:CLEAR" in body and "TLP:RED" in body  # the tier guide explains every label


def test_tier_choices_stop_at_the_authors_clearance(make_user, client_for):
    body = client_for(make_user("restricted")).get("/archive/new/lesson_learnt").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="tier".*?</select>', body, re.S).group(0)
    assert 'value="restricted"' in select
    assert 'value="confidential"' not in select


def test_missing_tier_is_refused_with_a_message_and_the_input_is_kept(make_user, client_for, form_token):
    client = client_for(make_user("restricted"))
    token = form_token(client, "/archive/new/lesson_learnt")
    response = client.post("/archive/new/lesson_learnt", data=_post_data(token, tier=""))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose who may read it." in body
    assert "Operator trust in target recognition" in body  # the title survived
    assert "Automation bias undermines meaningful human control." in body
    assert re.search(r'<input[^>]*checked[^>]*value="14"', body)
    client.get("/archive/mine")
    assert "Operator trust" not in client.get("/archive/mine").get_data(as_text=True)


def test_chosen_tier_is_saved(make_user, client_for, form_token):
    client = client_for(make_user("restricted"))
    token = form_token(client, "/archive/new/lesson_learnt")
    response = client.post("/archive/new/lesson_learnt", data=_post_data(token, tier="restricted"))
    assert response.status_code == 302
    assert "TLP:AMBER" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_error_summary_links_to_each_field_in_error(make_user, client_for, form_token):
    client = client_for(make_user("restricted"))
    token = form_token(client, "/archive/new/lesson_learnt")
    data = _post_data(token, tier="", title="")
    data.pop("paragraphs")
    body = client.post("/archive/new/lesson_learnt", data=data).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', body, re.S).group(0)
    assert '<a href="#title">Title</a>: A title is required.' in summary
    assert '<a href="#tier">Access tier</a>: Choose who may read it.' in summary
    assert 'href="#paragraphs"' in summary and 'id="paragraphs"' in body


def test_public_item_with_a_sharing_group_is_refused_by_the_form(app, make_user, make_group, client_for, form_token):
    author = make_user("restricted")
    group = make_group(users=(author,))
    client = client_for(author)
    token = form_token(client, "/archive/new/lesson_learnt")
    response = client.post("/archive/new/lesson_learnt", data=_post_data(token, tier="public", sharing_group_id=group.id))
    assert response.status_code == 400
    assert "Anyone can read a public item, so a group cannot limit it." in response.get_data(as_text=True)
    response = client.post("/archive/new/lesson_learnt", data=_post_data(token, tier="community", sharing_group_id=group.id))
    assert response.status_code == 302


def test_incomplete_draft_says_what_is_missing_instead_of_offering_a_doomed_submit(make_user, client_for, form_token):
    client = client_for(make_user("restricted"))
    token = form_token(client, "/archive/new/lesson_learnt")
    response = client.post("/archive/new/lesson_learnt", data=_post_data(token, recommendation="", lifecycle_stage=""))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Before you can submit it for review, complete: Recommendation, Lifecycle stage." in page
    assert "Submit for review" not in page
    assert "Edit the draft" in page


def test_complete_draft_offers_submit(make_user, client_for, form_token):
    client = client_for(make_user("restricted"))
    token = form_token(client, "/archive/new/lesson_learnt")
    page = client.get(client.post("/archive/new/lesson_learnt", data=_post_data(token)).headers["Location"])
    assert "Submit for review" in page.get_data(as_text=True)
    assert "Before you can submit" not in page.get_data(as_text=True)

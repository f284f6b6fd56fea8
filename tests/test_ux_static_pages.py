"""Terms, code of conduct, accessibility, contact: public pages linked from every footer; favicon; print label."""
from __future__ import annotations

import pytest

from tests.search_helpers import publish


@pytest.mark.parametrize(("path", "heading"), [
    ("/terms", "Terms of use"), ("/code-of-conduct", "Code of conduct for dialogue"),
    ("/accessibility", "Accessibility statement"), ("/contact", "Contact"),
])
def test_pages_are_public_and_linked_from_the_footer(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200 and f"<h1>{heading}</h1>" in response.get_data(as_text=True)
    footer = client.get("/").get_data(as_text=True).split('<footer', 1)[1]
    assert f'href="{path}"' in footer


def test_contact_shows_the_configured_address(app, client):
    assert "has not published a contact address" in client.get("/contact").get_data(as_text=True)
    app.config["CONTACT_EMAIL"] = "exchange@example.org"
    assert 'href="mailto:exchange@example.org"' in client.get("/contact").get_data(as_text=True)


def test_favicon_is_linked_and_served(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").get_data(as_text=True)
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200 and b"<svg" in response.data


def test_an_item_prints_with_its_tlp_label_and_a_lower_tier_sees_none_of_it(app, make_user, client_for):
    author, reviewer = make_user("restricted"), make_user("restricted", roles=("facilitator",))
    item = publish(app, author, reviewer, title="Print PR-9", tier="restricted")
    page = client_for(author).get(f"/archive/{item.id}").get_data(as_text=True)
    assert '<p class="print-tlp" aria-hidden="true" data-label="TLP:AMBER · Print PR-9"></p>' in page
    lower = client_for(make_user("community")).get(f"/archive/{item.id}")
    assert lower.status_code == 404 and "PR-9" not in lower.get_data(as_text=True)
    css = client_for(None).get("/static/site.css").get_data(as_text=True)
    assert "@media print" in css and ".print-tlp { display: block; position: fixed;" in css
    assert ".print-tlp::before { content: attr(data-label); }" in css

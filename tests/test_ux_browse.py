"""Archive browse: several values per filter (checkboxes, GET), country names, counts only over what one may read."""
from __future__ import annotations

import re

from tests.search_helpers import publish


def _cast(make_org, make_user):
    company = make_org(stakeholder_type="private_sector", country="DE", name="Example Defence Systems")
    ministry = make_org(stakeholder_type="state", country="NL", name="Ministry of Defence NL")
    lab = make_org(stakeholder_type="academia", country="KE", name="Nairobi AI Lab")
    return {
        "company": make_user("restricted", org=company), "ministry": make_user("restricted", org=ministry),
        "lab": make_user("restricted", org=lab), "reviewer": make_user("restricted", roles=("facilitator",)),
        "member": make_user("community"),
    }


def test_several_values_of_one_filter_and_country_names(app, make_org, make_user, client_for):
    people = _cast(make_org, make_user)
    publish(app, people["company"], people["reviewer"], title="German item GE-1")
    publish(app, people["ministry"], people["reviewer"], title="Dutch item NL-2")
    publish(app, people["lab"], people["reviewer"], title="Kenyan item KE-3")
    client = client_for(None)
    page = client.get("/archive/?country=DE&country=NL").get_data(as_text=True)
    assert "2 items" in page and "GE-1" in page and "NL-2" in page and "KE-3" not in page
    assert re.search(r'name="country" value="DE" checked>\s*<label[^>]*>Germany \(1\)', page)
    assert re.search(r'value="KE">\s*<label[^>]*>Kenya \(1\)', page)  # other values keep their counts
    assert "<details class=\"filters-panel\"" in page and 'type="checkbox"' in page
    pager_args = client.get("/archive/?stakeholder=state&stakeholder=academia").get_data(as_text=True)
    assert "2 items" in pager_args and "GE-1" not in pager_args


def test_counts_never_include_a_higher_tier(app, make_org, make_user, client_for):
    people = _cast(make_org, make_user)
    publish(app, people["company"], people["reviewer"], title="Public GE-4")
    publish(app, people["lab"], people["reviewer"], title="Restricted KE-5", tier="restricted")
    anonymous = client_for(None).get("/archive/?country=KE&country=DE").get_data(as_text=True)
    assert "1 item" in anonymous and "KE-5" not in anonymous and "Kenya" in anonymous  # chosen, shown with (0)
    assert re.search(r"Kenya \(0\)", anonymous) and not re.search(r"Kenya \(1\)", anonymous)
    member = client_for(people["member"]).get("/archive/").get_data(as_text=True)
    assert "Kenya" not in member and "Academia" not in member.split('class="results"')[0]
    restricted = client_for(people["company"]).get("/archive/?country=KE").get_data(as_text=True)
    assert "KE-5" in restricted and re.search(r"Kenya \(1\)", restricted)


def test_bad_values_among_several_are_400(client):
    for query, message in (("country=DE&country=Germany", "two-letter ISO code"),
                           ("kind=lesson_learnt&kind=essay", "Unknown submission type."),
                           ("&".join(f"year={2000 + n}" for n in range(41)), "Too many values")):
        response = client.get(f"/archive/?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True), query

from tests.search_helpers import publish, search_json, titles

def test_smoke(app, make_user, client_for):
    author = make_user(clearance="confidential")
    reviewer = make_user(clearance="confidential", roles=("facilitator",))
    publish(app, author, reviewer, title="Human oversight in targeting", observation="Operators kept human judgement over targeting support.")
    publish(app, author, reviewer, title="Secret oversight", tier="restricted", observation="zeppelin oversight")
    status, body = search_json(client_for(None), "oversight")
    print(body)
    assert status == 200 and titles(body) == ["Human oversight in targeting"]
    status, body = search_json(client_for(author), "oversight")
    assert sorted(titles(body)) == ["Human oversight in targeting", "Secret oversight"]
    status, body = search_json(client_for(None), "oversigt")
    print(body["suggestion"])
    status, body = search_json(client_for(None), "zepelin")
    assert body["suggestion"] is None
    status, body = search_json(client_for(author), "zepelin")
    assert body["suggestion"] == "zeppelin"
    r = client_for(None).get("/search?q=judgement")
    assert r.status_code == 200, r.data
    assert b"<mark>" in r.data

"""Export my data (issue 14): a ZIP of JSON built by the job engine, only for its person, for a limited time."""
from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.dialogue_helpers import make_thread
from tests.search_helpers import publish
from webapp import db as database
from webapp.db import Base
from webapp.jobs import claims
from webapp.jobs.schedule import periodic_job
from webapp.models import AuditEvent, DataExport, utcnow
from webapp.services import data_export


def _person_columns() -> dict[str, set[str]]:
    """Every table's columns that name a person (a foreign key to users.id); for users, its own id."""
    found: dict[str, set[str]] = {"users": {"id"}}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.target_fullname == "users.id" for fk in column.foreign_keys):
                found.setdefault(table.name, set()).add(column.name)
    return found


def test_the_export_covers_every_table_with_a_person_column():
    """A new model with a column naming a person fails here until EXPORTED_TABLES lists it."""
    covered = {name: set(spec.person_columns) for name, spec in data_export.EXPORTED_TABLES.items()}
    assert covered == _person_columns()
    for name, spec in data_export.EXPORTED_TABLES.items():
        assert set(spec.secret_columns) <= set(Base.metadata.tables[name].columns.keys()), name


def _request(client):
    return client.post("/account/my-data/export", data={"csrf_token": csrf_token(client, "/account/my-data")})


def _only_export(app) -> DataExport:
    with app.app_context():
        return database.session().scalar(select(DataExport))


def test_a_person_downloads_everything_about_them_and_no_secret(app, make_user, client_for):
    reviewer = make_user(roles=("facilitator",), clearance="restricted")
    person = make_user(name="Export Person", email="export.person@example.org")
    publish(app, person, reviewer, title="Exported lesson title")
    make_thread(app, person, title="Exported thread", body="Exported post body")
    client = client_for(person)
    assert _request(client).status_code == 302
    export = _only_export(app)
    assert export.status == "ready" and export.expires_at - export.ready_at == timedelta(days=7)
    page = client.get("/account/my-data").get_data(as_text=True)
    assert f"/account/my-data/export/{export.id}" in page
    response = client.get(f"/account/my-data/export/{export.id}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {name: archive.read(name).decode() for name in archive.namelist()}
    assert set(data_export.EXPORTED_TABLES) <= {name[:-5] for name in files if name.endswith(".json")}
    users = json.loads(files["users.json"])
    assert users[0]["email"] == "export.person@example.org" and "password_hash" not in users[0]
    assert "totp_secret" not in users[0]
    assert "Exported lesson title" in files["submissions.json"]
    assert "Exported post body" in files["dialogue_posts.json"]
    assert "Exported post body" in files["dialogue_post_revisions.json"]
    assert json.loads(files["auth_sessions.json"]) and "token_hash" not in files["auth_sessions.json"]
    assert "user.data_export_requested" in files["audit_events.json"]
    everything = " ".join(files.values())
    with app.app_context():
        stored = database.session().get(type(person), person.id)
        assert stored.password_hash not in everything and stored.totp_secret not in everything
        actions = set(database.session().scalars(select(AuditEvent.action)))
    assert {"user.data_export_requested", "user.data_export_downloaded"} <= actions


def test_someone_elses_export_is_not_found(app, make_user, client_for):
    person, other, admin = make_user(), make_user(), make_user(roles=("admin",))
    assert _request(client_for(person)).status_code == 302
    export = _only_export(app)
    for stranger in (other, admin):
        assert client_for(stranger).get(f"/account/my-data/export/{export.id}").status_code == 404
    assert client_for(person).get("/account/my-data/export/99999").status_code == 404
    anonymous = app.test_client().get(f"/account/my-data/export/{export.id}")
    assert anonymous.status_code in (302, 401)


def test_an_expired_export_is_gone_and_the_periodic_job_deletes_it(app, make_user, client_for):
    person = make_user()
    client = client_for(person)
    _request(client)
    export = _only_export(app)
    with app.app_context():
        stored = database.session().get(DataExport, export.id)
        path = data_export.file_path(stored)
        stored.expires_at = utcnow() - timedelta(minutes=1)
        database.session().commit()
    assert os.path.exists(path)
    assert client.get(f"/account/my-data/export/{export.id}").status_code == 404
    with app.app_context():
        assert claims.run_once(app, periodic_job("retention.data_exports"), utcnow()) == 1
        assert database.session().get(DataExport, export.id) is None
    assert not os.path.exists(path)


def test_a_second_request_while_one_is_pending_is_refused(app, make_user, client_for):
    person = make_user()
    client = client_for(person)
    with app.app_context():
        database.session().add(DataExport(user_id=person.id, status="pending", file_name="x.zip"))
        database.session().commit()
    response = _request(client)
    assert response.status_code == 409 and "already being prepared" in response.get_data(as_text=True)


def test_a_request_without_its_form_token_is_refused(app, make_user, client_for):
    client = client_for(make_user())
    assert client.post("/account/my-data/export").status_code == 400
    assert _only_export(app) is None


def test_a_full_disk_fails_the_export_visibly_leaves_no_file_and_allows_a_new_request(app, make_user, client_for,
                                                                                      monkeypatch):
    client = client_for(make_user())

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(zipfile.ZipFile, "writestr", disk_full)
        assert _request(client).status_code == 302
    export = _only_export(app)
    assert export.status == "failed" and export.ready_at is None
    with app.app_context():
        assert not os.path.exists(data_export.file_path(export))
    assert "failed" in client.get("/account/my-data").get_data(as_text=True)
    assert client.get(f"/account/my-data/export/{export.id}").status_code == 404
    assert _request(client).status_code == 302  # not blocked by a pending export that will never finish
    with app.app_context():
        statuses = sorted(database.session().scalars(select(DataExport.status)))
    assert statuses == ["failed", "ready"]


def test_a_preparation_that_never_finished_stops_blocking_and_the_periodic_job_fails_it(app, make_user, client_for):
    person = make_user()
    client = client_for(person)
    with app.app_context():  # the job engine gave up (e.g. the database was down through every retry)
        database.session().add(DataExport(user_id=person.id, status="pending", file_name="lost.zip",
                                          requested_at=utcnow() - data_export.STALE_PENDING - timedelta(minutes=1)))
        database.session().commit()
    assert _request(client).status_code == 302  # not refused as "already being prepared"
    with app.app_context():
        claims.run_once(app, periodic_job("retention.data_exports"), utcnow())  # returns how many it deleted: 0
        statuses = sorted(database.session().scalars(select(DataExport.status)))
    assert statuses == ["failed", "ready"]
    assert "failed" in client.get("/account/my-data").get_data(as_text=True)


def test_a_recent_pending_preparation_still_blocks_and_is_not_failed(app, make_user, client_for):
    person = make_user()
    with app.app_context():
        database.session().add(DataExport(user_id=person.id, status="pending", file_name="x.zip",
                                          requested_at=utcnow() - timedelta(minutes=5)))
        database.session().commit()
        claims.run_once(app, periodic_job("retention.data_exports"), utcnow())
        assert database.session().scalar(select(DataExport.status)) == "pending"

"""The notification services run as periodic jobs of the job engine: a digest slot runs once however many
consumers schedule it, and the round reminders are declared with a valid schedule."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.dialogue_helpers import make_post, make_thread, make_world, viewer
from tests.smtp_server import body_text
from webapp.jobs import claims, schedule
from webapp.services import notifications


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def test_the_daily_digest_job_sends_one_digest_per_slot(smtp_app, smtp_server, world):
    app = smtp_app
    thread = make_thread(app, world.member, title="Digest through the engine DJ-1")
    with app.test_request_context():
        notifications.watch(viewer(app, world.company_member), "thread", thread.id)
    make_post(app, world.member, thread)
    job = schedule.periodic_job("notifications.daily_digest")
    seven = datetime(2031, 3, 4, 7, 0)
    with app.app_context():
        assert claims.run_once(app, job, seven) == 1  # one digest queued
        assert claims.run_once(app, job, seven) is None  # a second consumer (or node) in the same slot: skipped
    [digest] = smtp_server.to(world.company_member.email)
    assert "DJ-1" in body_text(digest)


@pytest.mark.parametrize("name", ["notifications.round_transitions", "notifications.closing_soon",
                                  "notifications.daily_digest", "notifications.weekly_digest"])
def test_notification_jobs_are_scheduled_and_run_without_a_request(app, name):
    job = schedule.periodic_job(name)
    job.crontab()  # a valid cron line
    with app.app_context():  # as the engine runs it: an app context, no request
        assert claims.run_once(app, job, datetime(2031, 3, 4, 7, 0)) == 0  # nothing to announce or digest yet

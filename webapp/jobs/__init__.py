"""One background job engine for everything outside a request (DESIGN.md §14): Huey, on SQLite in the instance
folder by default, on Redis when REDIS_URL is set (or JOBS_BACKEND says so), in-process ("immediate") in tests.

Only this package imports huey. The rest of the app enqueues by job name — `jobs.enqueue(app, "mail.deliver", ids)`
— and declares periodic work in webapp/jobs/schedule.py. Jobs run inside an app context and own their
transactions; the database, not the queue, is the record of what is still to do, so a lost job is caught up by the
next periodic run.
"""
from webapp.jobs.engine import consumer, enqueue, huey_for, init_app

__all__ = ["consumer", "enqueue", "huey_for", "init_app"]

"""Archive benchmark: 20,000 submissions of realistic length in a temporary SQLite database, measured through the
app (Flask test client): the browse page with two filters and a submission page, p50/p95 and SQL query counts.

Run: .venv/bin/python bench/archive.py [--items 20000] [--requests 200] [--rounds 2]
Each page is measured on the same database served twice, side by side: without the count cache (COUNT_CACHE=off)
and with it (in-process), interleaved, in rounds (round 1 starts cold).
Targets (issue 3): browse with two filters p95 < 150 ms, submission page p95 < 50 ms.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.db import session, unit_of_work  # noqa: E402
from webapp.models import (  # noqa: E402
    AccountStatus,
    Organisation,
    SharingGroup,
    Submission,
    SubmissionRevision,
    Tier,
    User,
    sharing_group_users,
    submission_paragraphs,
    utcnow,
)
from webapp.models.stakeholder_type import STAKEHOLDER_CODES  # noqa: E402
from webapp.sanitize import markdown_to_html  # noqa: E402
from webapp.services import passwords, seeding  # noqa: E402

PASSWORD = "benchmark reader passphrase"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # every cleared bench account is enrolled: it reads at its clearance only then
COUNTRIES = ("NL", "KR", "US", "KE", "BR", "IN", "DE", "FR", "JP", "ZA", "MX", "SE", "NG", "CL", "ID")
WORDS = (
    "operator trust automation bias target recognition meaningful human control exercise deployment sensor fusion "
    "rules of engagement legal review article 36 weapon review accountability training data drift validation "
    "verification red team test range simulation doctrine command responsibility escalation autonomy logistics "
    "maintenance predictive decision support interface explanation uncertainty calibration fallback procedure"
).split()
KINDS = ("lesson_learnt", "good_practice", "responsible_ai_policy")
STAGES = ("design", "development", "test_evaluation", "deployment", "use", "retirement")


def paragraph_text(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = rng.choices(WORDS, k=rng.randint(12, 26))
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def markdown_body(rng: random.Random, paragraph=paragraph_text) -> str:
    """About 1–2 KB of Markdown: paragraphs, sometimes a list and emphasis."""
    parts = [paragraph(rng, rng.randint(3, 6)) for _ in range(rng.randint(2, 3))]
    if rng.random() < 0.5:
        parts.append("\n".join(f"- *{rng.choice(WORDS)}* {paragraph(rng, 1)}" for _ in range(3)))
    return "\n\n".join(parts)


def build(app, items: int, seed: int = 7, paragraph=paragraph_text, bodies_pool: int = 300) -> dict:
    """Organisations, users, groups and `items` submissions (bulk inserted), returning ids for the measurements.

    `paragraph(rng, sentences)` writes the prose (bench/pages.py passes bench/search.py's Zipf-distributed text, so
    that searches find a realistic share of the items); `bodies_pool` Markdown bodies are rendered and reused."""
    rng = random.Random(seed)
    bodies = []
    for _ in range(bodies_pool):  # rendering is done on write in the app; a pool keeps the build quick
        source = markdown_body(rng, paragraph)
        bodies.append((source, markdown_to_html(source)))
    with app.test_request_context():
        seeding.load_reference_data()
        with unit_of_work() as db:
            orgs = [
                Organisation(name=f"Organisation {i}", stakeholder_type_code=STAKEHOLDER_CODES[i % 5],
                             country=COUNTRIES[i % len(COUNTRIES)], verified=True)
                for i in range(75)
            ]
            db.add_all(orgs)
            db.flush()
            password_hash = passwords.hash_password(PASSWORD)
            users = [
                User(name=f"User {i}", email=f"user{i}@example.org", password_hash=password_hash,
                     organisation_id=orgs[i % len(orgs)].id, status=AccountStatus.ACTIVE,
                     clearance=Tier.CONFIDENTIAL if i % 10 == 0 else Tier.RESTRICTED,
                     is_facilitator=i % 25 == 0,
                     # enrolled: a cleared account reads (and a facilitator acts) as such only then
                     totp_secret=TOTP_SECRET, second_factor_enrolled_at=utcnow())
                for i in range(300)
            ]
            db.add_all(users)
            groups = [SharingGroup(name=f"Group {i}") for i in range(8)]
            db.add_all(groups)
            db.flush()
            db.execute(insert(sharing_group_users), [
                {"group_id": groups[i % 8].id, "user_id": u.id} for i, u in enumerate(users) if i % 10 == 0
            ])
            user_rows = [(u.id, u.organisation_id) for u in users]
            group_ids = [g.id for g in groups]
        reader_id = users[1].id  # restricted clearance, not in a group

    start = datetime(2023, 2, 16, tzinfo=timezone.utc)
    span = (datetime(2026, 11, 1, tzinfo=timezone.utc) - start).total_seconds()
    statuses = ["published"] * 85 + ["archived"] * 5 + ["draft"] * 5 + ["submitted"] * 3 + ["returned"] * 2
    tiers = [Tier.PUBLIC] * 50 + [Tier.COMMUNITY] * 25 + [Tier.RESTRICTED] * 15 + [Tier.CONFIDENTIAL] * 10
    engine = app.extensions["db_engine"]
    chunk = 2000
    with engine.begin() as conn:
        for offset in range(0, items, chunk):
            rows, links, revisions = [], [], []
            for n in range(offset, min(items, offset + chunk)):
                item_id = n + 1
                author_id, org_id = rng.choice(user_rows)
                kind = KINDS[n % 3] if n % 50 else "outcome_synthesis"
                tier = rng.choice(tiers)
                status = rng.choice(statuses)
                created = start + timedelta(seconds=rng.random() * span)
                published = created + timedelta(days=rng.randint(1, 20)) if status in ("published", "archived") else None
                b = [rng.choice(bodies) for _ in range(4)]
                row = {
                    "id": item_id, "kind": kind, "status": status, "tier": int(tier),
                    "sharing_group_id": rng.choice(group_ids) if tier is Tier.CONFIDENTIAL and rng.random() < 0.7 else None,
                    "author_id": author_id, "author_organisation_id": org_id,
                    "title": paragraph(rng, 1)[:120], "summary": paragraph(rng, 3),
                    "keywords": rng.sample(WORDS, 4),
                    "created_at": created, "updated_at": created,
                    "published_at": published if published else None,
                    "key_points": {}, "chatham_house": kind == "outcome_synthesis",
                }
                for column in ("observation", "discussion", "conclusion", "recommendation", "remedial_action",
                               "evidence", "challenge", "practice", "evidence_of_effect", "transfer_conditions",
                               "scope", "principles", "body", "reviewer_comments"):
                    row[f"{column}_source"] = row[f"{column}_html"] = ""
                if kind == "lesson_learnt":
                    for i, column in enumerate(("observation", "discussion", "conclusion", "recommendation")):
                        row[f"{column}_source"], row[f"{column}_html"] = b[i]
                    row.update(lifecycle_stage=rng.choice(STAGES), lesson_status="identified",
                               application_area="Target recognition", military_context="Land exercise")
                elif kind == "good_practice":
                    for i, column in enumerate(("challenge", "practice", "evidence_of_effect", "transfer_conditions")):
                        row[f"{column}_source"], row[f"{column}_html"] = b[i]
                elif kind == "responsible_ai_policy":
                    row["scope_source"], row["scope_html"] = b[0]
                    row["principles_source"], row["principles_html"] = b[1]
                    row.update(issuer=f"Organisation {org_id}", policy_version="1.0", policy_series=f"s{item_id}")
                else:
                    row["body_source"], row["body_html"] = b[0]
                row.setdefault("lifecycle_stage", None)
                row.setdefault("lesson_status", None)
                row.setdefault("issuer", "")
                row.setdefault("policy_version", "")
                row.setdefault("policy_series", None)
                row.update(application_area=row.get("application_area", ""),
                           military_context=row.get("military_context", ""), link="", round_id=None,
                           reviewer_id=None, submitted_at=None, withdrawn_at=None, archived_at=None,
                           effective_date=None)
                rows.append(row)
                for number in rng.sample(range(1, 26), rng.randint(1, 3)):
                    links.append({"submission_id": item_id, "paragraph_number": number})
                for r in range(1, rng.randint(2, 4)):
                    revisions.append({
                        "submission_id": item_id, "number": r, "author_id": author_id,
                        "created_at": created, "note": "edited",
                        "snapshot": {"title": row["title"], "summary": row["summary"]},
                        "tier": row["tier"], "sharing_group_id": row["sharing_group_id"],
                        "author_organisation_id": org_id,
                    })
            conn.execute(insert(Submission.__table__), rows)
            conn.execute(insert(submission_paragraphs), links)
            conn.execute(insert(SubmissionRevision.__table__), revisions)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    with app.test_request_context():
        reader = session().get(User, reader_id)
        sample = list(session().scalars(
            select(Submission.id).where(Submission.status == "published", Submission.tier <= Tier.RESTRICTED,
                                        Submission.sharing_group_id.is_(None)).limit(2000)
        ))
    return {"reader_email": reader.email, "sample_ids": sample}


def measure(client, paths: list[str], counter: dict) -> tuple[list[float], list[int]]:
    """Time each request (ms) and count its SQL statements."""
    timings, queries = [], []
    for path in paths:
        counter["n"] = 0
        began = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        queries.append(counter["n"])
        assert response.status_code == 200, (path, response.status_code)
    return timings, queries


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


def _signed_in(app, email: str, step: int = 0):
    """A client of `app` signed in as `email`; `step` > 0 answers with a later TOTP step's code (a code is taken
    once per account and step, and the same reader signs in on both apps)."""
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    if "/sign-in/second-factor" in response.headers.get("Location", ""):  # the cleared reader's code step
        import pyotp

        code = pyotp.TOTP(TOTP_SECRET).at(time.time() + 30 * step)
        response = client.post("/sign-in/second-factor", data={"code": code})
        assert response.status_code == 302 and "/sign-in" not in response.headers["Location"], response.status_code
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2,
                        help="interleaved rounds of (count cache off, count cache on); round 1 starts with a cold cache")
    args = parser.parse_args()
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

    with tempfile.TemporaryDirectory(prefix="reaim-bench-archive-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"

        def make(name: str, count_cache: str):
            return create_app({
                "DATABASE_URL": url, "INSTANCE_PATH": str(Path(folder) / name),
                "SEARCH_INDEX_DIR": str(Path(folder) / "index"), "RATELIMIT_ENABLED": False,
                "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                "MAIL_OUTBOX_FILE": str(Path(folder) / "mail.log"), "COUNT_CACHE": count_cache})

        app = make("off", "off")  # the same database served twice: without and with the count cache
        from alembic import command

        from webapp.cli import alembic_config

        with app.app_context():
            command.upgrade(alembic_config(), "head")
        began = time.perf_counter()
        facts = build(app, args.items)
        print(f"build_seconds: {time.perf_counter() - began:.1f} s")
        print(f"submissions: {args.items} items")
        apps = {"uncached": app, "cached": make("on", "memory")}

        counter = {"n": 0}
        for served in apps.values():
            event.listen(served.extensions["db_engine"], "before_cursor_execute",
                         lambda *a, **k: counter.__setitem__("n", counter["n"] + 1))
        members = {mode: _signed_in(served, facts["reader_email"], step) for step, (mode, served) in enumerate(apps.items())}
        anonymous = {mode: served.test_client() for mode, served in apps.items()}
        rng = random.Random(11)

        browse_paths = [
            f"/archive/?kind={rng.choice(KINDS)}&paragraph={rng.randint(1, 25)}" if i % 2 == 0
            else f"/archive/?stakeholder={rng.choice(STAKEHOLDER_CODES)}&year={rng.choice((2023, 2024, 2025, 2026))}"
            for i in range(args.requests)
        ]
        page_paths = [f"/archive/{rng.choice(facts['sample_ids'])}" for _ in range(args.requests)]
        paragraph_paths = [f"/paragraphs/{rng.randint(1, 25)}" for _ in range(max(20, args.requests // 4))]
        for mode in apps:  # warm up templates and statements (the count cache stays cold but for these paths)
            measure(members[mode], browse_paths[:5] + page_paths[:10], counter)

        pages = [
            ("browse_two_filters", members, browse_paths),
            ("browse_two_filters_anonymous", anonymous, browse_paths),
            ("browse_unfiltered", members, ["/archive/"] * max(20, args.requests // 4)),
            ("browse_unfiltered_anonymous", anonymous, ["/archive/"] * max(20, args.requests // 4)),
            ("submission_page", members, page_paths),
            ("paragraph_page", members, paragraph_paths),
            ("paragraph_page_anonymous", anonymous, paragraph_paths),
            ("home", members, ["/"] * max(20, args.requests // 4)),
            ("feed", anonymous, ["/archive/feed.atom"] * max(20, args.requests // 4)),
        ]
        for round_number in range(1, args.rounds + 1):
            print(f"# round {round_number}" + (" (count cache cold: first visits of each path miss)"
                                               if round_number == 1 else " (count cache warm)"))
            for name, clients, paths in pages:
                p50s = {}
                for mode in apps:  # interleaved: the same page without, then with, the cache
                    timings, queries = measure(clients[mode], paths, counter)
                    p50s[mode] = statistics.median(timings)
                    print(f"{name}_{mode}_p50: {p50s[mode]:.1f} ms")
                    print(f"{name}_{mode}_p95: {p95(timings):.1f} ms")
                    print(f"{name}_{mode}_queries_max: {max(queries)} queries")
                print(f"{name}_cached_to_uncached_p50: {p50s['cached'] / p50s['uncached']:.2f}")


if __name__ == "__main__":
    main()

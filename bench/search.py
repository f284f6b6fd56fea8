"""Search benchmark: 20,000 archive items of realistic length, measured through the app (Flask test client).

Prints `name: value unit` lines:
  search_p50 / search_p95           the search page (snippets + facets) for a community-tier member
  api_search_p95                    the same search as JSON
  freshness_p50 / freshness_p95     commit of a change → searchable through the app
  rebuild_rate                      full rebuild (items per second)
and the same measurements for SQLite FTS5 over the same items (fts5_search_p50/p95 with bm25 ranking, snippet()
and facet counts under the same tier restriction; fts5_freshness_p50/p95; fts5_rebuild_rate), as a reference
for the embedded engine in the standard library.

Usage: .venv/bin/python bench/search.py [--items 20000] [--searches 300]
"""
from __future__ import annotations

import argparse
import gc
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = (
    "human oversight control judgement operator commander autonomy autonomous weapon system targeting support "
    "decision recognition sensor fusion drone swarm logistics maintenance predictive model training data bias "
    "testing evaluation verification validation assurance certification deployment fielding retirement lifecycle "
    "accountability responsibility legal review international humanitarian law proportionality distinction "
    "precaution escalation risk mitigation incident failure mode red team adversarial robustness explainability "
    "transparency traceability audit log documentation procurement contract vendor industry academia civil society "
    "state ministry defence cyber intelligence surveillance reconnaissance command staff exercise simulation "
    "wargame doctrine policy principle governance board committee standard interoperability alliance partner "
    "trust calibration automation complacency workload interface alert display latency bandwidth edge cloud "
    "compute energy battery navigation mapping terrain weather uncertainty confidence threshold override abort "
    "safeguard kill switch geofence rules engagement civilian harm casualty protection medical evacuation supply "
    "chain spare parts fleet readiness availability cost budget schedule lessons learnt good practice remedial "
    "action evidence effect transfer conditions context capability gap requirement specification architecture"
).split()
RARE = [f"{a}{b}" for a in ("quor", "vel", "tamar", "osk", "brin", "caldr", "fenn", "galv") for b in ("ix", "an", "oth", "era", "ule")]
STOPWORDS = "the of and to in a is that for on with as by was it be are this from at or an which were has not".split()
_SYLLABLES = "ka lo mi ne ta ri so vu pe da gi fo ru le ba co".split()


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """A Zipf-distributed content vocabulary: the domain words spread over the head, pseudo-words as the tail."""
    tail = sorted({"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(9000)})
    rng.shuffle(tail)
    words: list[str] = []
    domain = iter(WORDS + RARE)
    for rank in range(len(tail) + len(WORDS) + len(RARE)):
        if rank >= 30 and rank % 12 == 0:
            word = next(domain, None)
            if word is not None:
                words.append(word)
                continue
        if tail:
            words.append(tail.pop())
    weights, total = [], 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 10)
        weights.append(total)
    return words, weights


_VOCABULARY: tuple[list[str], list[float]] | None = None


QUERIES = [
    "human oversight", "targeting support", '"human judgement"', "autonomy OR autonomous", "red team",
    "predictive maintenance", "bias AND training", "legal review", "drone swarm", "explainab*",
    "operator trust calibration", "incident failure", "civilian harm", "interoperability standard",
    "sensor fusion latency", "kill switch", "procurement contract vendor", "wargame simulation",
    "escalation risk", "certification assurance", "accountability", "lessons learnt", "quorix", "velan",
    "test evaluation verification", "geofence", "doctrine NOT cyber", "edge compute", "battery", "oversight board",
]


def sentence(rng: random.Random, words: int) -> str:
    """Zipf-distributed prose: about a third stopwords, content words from a long-tailed vocabulary."""
    global _VOCABULARY
    if _VOCABULARY is None:
        _VOCABULARY = _vocabulary(random.Random(7))
    vocabulary, cumulative = _VOCABULARY
    picked = []
    content = rng.choices(vocabulary, cum_weights=cumulative, k=words)
    for n in range(words):
        picked.append(rng.choice(STOPWORDS) if rng.random() < 0.35 else content[n])
    return " ".join(picked).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(8, 22)) for _ in range(sentences))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def build_world(app, items: int, rng: random.Random):
    """Organisations, people and `items` published submissions, bulk-inserted (the services are exercised elsewhere)."""
    from sqlalchemy import insert

    from webapp.db import session, unit_of_work
    from webapp.models import Organisation, Submission, SubmissionKind, SubmissionStatus, Tier, User, utcnow
    from webapp.models.submission import LifecycleStage, submission_paragraphs
    from webapp.models.user import AccountStatus
    from webapp.services import passwords, seeding

    with app.app_context():
        seeding.load_reference_data()
        with unit_of_work() as db:
            orgs = []
            for n, (kind, country) in enumerate([(k, c) for k in ("state", "private_sector", "academia", "civil_society",
                                                                   "international_organisation")
                                                  for c in ("NL", "KE", "BR", "KR", "DE", "IN", "ZA", "CA")]):
                org = Organisation(name=f"Org {n}", stakeholder_type_code=kind, country=country, verified=True)
                db.add(org)
                orgs.append(org)
            db.flush()
            password_hash = passwords.hash_password("bench reader passphrase")
            authors = []
            for org in orgs:
                user = User(name=f"Author {org.id}", email=f"author{org.id}@bench.example", password_hash=password_hash,
                            organisation_id=org.id, status=AccountStatus.ACTIVE, clearance=Tier.CONFIDENTIAL,
                            # enrolled: a cleared account reads as such only then
                            totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", second_factor_enrolled_at=utcnow())
                db.add(user)
                authors.append(user)
            reader = User(name="Reader", email="reader@bench.example", password_hash=password_hash,
                          organisation_id=orgs[3].id, status=AccountStatus.ACTIVE, clearance=Tier.COMMUNITY)
            db.add(reader)
            db.flush()
            author_ids = [(a.id, a.organisation_id) for a in authors]
        rows, links = [], []
        now = datetime.now(timezone.utc)
        kinds = [SubmissionKind.LESSON_LEARNT, SubmissionKind.GOOD_PRACTICE, SubmissionKind.RESPONSIBLE_AI_POLICY]
        stages = list(LifecycleStage)
        for n in range(1, items + 1):
            author_id, org_id = author_ids[n % len(author_ids)]
            tier = rng.choices([Tier.PUBLIC, Tier.COMMUNITY, Tier.RESTRICTED, Tier.CONFIDENTIAL], [40, 35, 15, 10])[0]
            kind = kinds[n % 3]
            published = now - timedelta(minutes=n * 7)
            row = dict(id=n, kind=kind, status=SubmissionStatus.PUBLISHED, tier=tier, author_id=author_id,
                       author_organisation_id=org_id, title=sentence(rng, rng.randint(4, 9))[:-1],
                       summary=paragraph(rng, 2), keywords=[rng.choice(WORDS) for _ in range(3)],
                       created_at=published, updated_at=published, published_at=published,
                       lifecycle_stage=rng.choice(stages) if kind is SubmissionKind.LESSON_LEARNT else None)
            if kind is SubmissionKind.LESSON_LEARNT:
                for field in ("observation", "discussion", "conclusion", "recommendation"):
                    row[f"{field}_source"] = paragraph(rng, rng.randint(3, 5))
            elif kind is SubmissionKind.GOOD_PRACTICE:
                for field in ("challenge", "practice", "evidence_of_effect", "transfer_conditions"):
                    row[f"{field}_source"] = paragraph(rng, rng.randint(3, 5))
            else:
                row["issuer"] = f"Org {org_id}"
                row["scope_source"] = paragraph(rng, 5)
                row["principles_source"] = paragraph(rng, 10)
            rows.append(row)
            for number in rng.sample(range(1, 26), rng.randint(1, 3)):
                links.append({"submission_id": n, "paragraph_number": number})
        with app.app_context():
            db = session()
            for start in range(0, len(rows), 2000):
                db.execute(insert(Submission), rows[start:start + 2000])
            db.execute(insert(submission_paragraphs), links)
            db.commit()
    return rows


def sign_in(app, client) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"email": "reader@bench.example", "password": "bench reader passphrase",
                                             "csrf_token": token})
    assert response.status_code == 302, response.status_code


def measure_search(client, path: str, searches: int, rng: random.Random) -> list[float]:
    timings = []
    for n in range(searches):
        args = {"q": QUERIES[n % len(QUERIES)]}
        if n % 5 == 1:
            args["paragraph"] = str(rng.randint(1, 25))
        if n % 7 == 2:
            args["sort"] = "newest"
        started = time.perf_counter()
        response = client.get(path, query_string=args)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (args, response.status_code)
    return timings


def measure_freshness(app, client, rows: list[dict], rounds: int, rng: random.Random) -> list[float]:
    """Change a public item's title through the service layer's transaction; poll the app until it is found."""
    from webapp.db import unit_of_work
    from webapp.models import Submission
    from webapp.search.outbox import enqueue

    timings = []
    public_ids = [row["id"] for row in rows if int(row["tier"]) == 0]
    for n in range(rounds):
        marker = f"freshmarker{n}x{rng.randrange(10**6)}"
        item_id = rng.choice(public_ids)
        with app.test_request_context():
            started = time.perf_counter()
            with unit_of_work() as db:
                db.get(Submission, item_id).title = f"Renamed {marker}"
                enqueue(db, "submission", item_id)
        while True:
            body = client.get("/api/search", query_string={"q": marker}).get_json()
            if body["total"] == 1:
                break
            if time.perf_counter() - started > 10:
                raise RuntimeError("change not searchable within 10 s")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def fts5_reference(rows: list[dict], folder: Path, searches: int, freshness_rounds: int) -> dict[str, float]:
    """The same items in SQLite FTS5: build rate, search p95 with bm25, snippet() and facet counts, and the time
    from committing a change to finding it (measured directly on SQLite: FTS5 has no app in front of it)."""
    from webapp.search.sources_archive import _TEXTUAL_PLAIN  # noqa: F401  (same text as the index gets)

    db = sqlite3.connect(folder / "fts5.sqlite3")
    db.execute("CREATE TABLE meta (id INTEGER PRIMARY KEY, tier INT, kind TEXT, published TEXT)")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, keywords, tokenize='porter unicode61')")
    started = time.perf_counter()
    with db:
        for row in rows:
            body = "\n\n".join(str(row.get(key) or "") for key in row if key.endswith("_source") or key == "summary")
            db.execute("INSERT INTO docs(rowid, title, body, keywords) VALUES (?, ?, ?, ?)",
                       (row["id"], row["title"], body, " ".join(row["keywords"])))
            db.execute("INSERT INTO meta VALUES (?, ?, ?, ?)", (row["id"], int(row["tier"]), row["kind"].value,
                                                              row["published_at"].isoformat()))
    rate = len(rows) / (time.perf_counter() - started)
    timings = []
    for n in range(searches):
        query = _fts_query(QUERIES[n % len(QUERIES)])
        started = time.perf_counter()
        hits = db.execute(
            "SELECT docs.rowid, docs.title, snippet(docs, 1, '<mark>', '</mark>', ' … ', 24) FROM docs "
            "JOIN meta ON meta.id = docs.rowid WHERE docs MATCH ? AND meta.tier <= 1 ORDER BY bm25(docs) LIMIT 20",
            (query,),
        ).fetchall()
        facets = db.execute(
            "SELECT meta.kind, count(*) FROM docs JOIN meta ON meta.id = docs.rowid "
            "WHERE docs MATCH ? AND meta.tier <= 1 GROUP BY meta.kind", (query,),
        ).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
        del hits, facets
    fresh = []
    for n in range(freshness_rounds):  # a changed item: commit → found by a search
        marker = f"freshmarker{n}"
        row_id = rows[(n * 7919) % len(rows)]["id"]
        started = time.perf_counter()
        with db:
            db.execute("UPDATE docs SET title = ? WHERE rowid = ?", (f"Renamed {marker}", row_id))
        found = db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (marker,)).fetchone()[0]
        assert found == 1
        fresh.append((time.perf_counter() - started) * 1000)
    db.close()
    return {"fts5_search_p50": percentile(timings, 50), "fts5_search_p95": percentile(timings, 95),
            "fts5_freshness_p50": percentile(fresh, 50), "fts5_freshness_p95": percentile(fresh, 95),
            "fts5_rebuild_rate": rate}


def _fts_query(query: str) -> str:
    if query.endswith("*") or " OR " in query or " AND " in query or query.startswith('"'):
        return query
    if " NOT " in query:
        left, right = query.split(" NOT ")
        return f"{left} NOT {right}"
    return " AND ".join(query.split())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--freshness-rounds", type=int, default=40)
    options = parser.parse_args()
    rng = random.Random(20260127)
    folder = Path(tempfile.mkdtemp(prefix="bench-search-"))

    from alembic import command

    from webapp import create_app
    from webapp.cli import alembic_config
    from webapp.search import engine, maintenance

    app = create_app({
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}", "INSTANCE_PATH": str(folder / "instance"),
        "SEARCH_INDEX_DIR": str(folder / "index"), "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
    })
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    started = time.perf_counter()
    rows = build_world(app, options.items, rng)
    print(f"items: {len(rows)} count")
    print(f"generate_seconds: {time.perf_counter() - started:.1f} s")
    words = [sum(len(str(v).split()) for k, v in row.items() if k.endswith('_source') or k in ('summary', 'title'))
             for row in rows]
    print(f"words_per_item_mean: {statistics.mean(words):.0f} words")

    started = time.perf_counter()
    count = maintenance.rebuild(app)
    elapsed = time.perf_counter() - started
    print(f"rebuild_documents: {count} count")
    print(f"rebuild_rate: {count / elapsed:.0f} items/s")

    client = app.test_client()
    sign_in(app, client)
    gc.collect()
    gc.freeze()  # as a gunicorn worker does after start-up (webapp/gunicorn_conf.py post_worker_init)
    measure_search(client, "/search", 20, rng)  # warm up: open searchers, build caches
    page = measure_search(client, "/search", options.searches, rng)
    print(f"search_p50: {percentile(page, 50):.1f} ms")
    print(f"search_p95: {percentile(page, 95):.1f} ms")
    api = measure_search(client, "/api/search", options.searches // 2, rng)
    print(f"api_search_p95: {percentile(api, 95):.1f} ms")
    fresh = measure_freshness(app, client, rows, options.freshness_rounds, rng)
    print(f"freshness_p50: {percentile(fresh, 50):.0f} ms")
    print(f"freshness_p95: {percentile(fresh, 95):.0f} ms")
    after_writes = measure_search(client, "/search", options.searches // 3, rng)
    print(f"search_after_writes_p95: {percentile(after_writes, 95):.1f} ms")
    print(f"index_documents: {engine.backend(app).status()['documents']} count")

    for name, value in fts5_reference(rows, folder, options.searches, options.freshness_rounds).items():
        unit = "items/s" if name.endswith("rate") else "ms"
        print(f"{name}: {value:.1f} {unit}" if unit == "ms" else f"{name}: {value:.0f} {unit}")


if __name__ == "__main__":
    main()

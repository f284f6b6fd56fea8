"""The minimal reference app of bench/pages.py: Flask + SQLAlchemy + Jinja, one query and one template per page.

It reads the same database as the app (MINIMAL_DATABASE_URL) and shows the same number of rows, without
sessions, policy, layout, translations or navigation: what a page with that many rows costs at the least.
  /hello                      a bare "hello" (the framework's floor)
  /list?tier=N                20 published submissions readable at tier N (newest first)
  /thread/<id>?limit=N        the first N posts of a thread with their authors' names
  /search?q=...&tier=N        the search reference (MINIMAL_SEARCH = fts5 | postgres): the same query, tier filter,
                              top 20 with snippets and facet counts (kind, stakeholder, country, stage, paragraph)
                              over every readable hit; FTS5 reads bench/pages.py's FTS5 file (MINIMAL_FTS5_FILE)

Served by gunicorn: gunicorn --chdir <project> bench.reference.minimal_app:app
"""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime

from flask import Flask, g, request
from jinja2 import DictLoader
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
{% if facets %}<aside>{% for name, values in facets.items() %}<h2>{{ name }}</h2><ul>
{% for value, count in values %}<li>{{ value }} ({{ count }})</li>{% endfor %}</ul>{% endfor %}</aside>{% endif %}
<ol>{% for row in rows %}
<li><article><h2><a href="/item/{{ row.id }}">{{ row.title }}</a></h2>
<p>{{ row.when }} · {{ row.kind }}</p>
{% if row.snippet_html %}<p>{{ row.snippet_html|safe }}</p>{% else %}<p>{{ row.text }}</p>{% endif %}
{% if row.body_html %}<div>{{ row.body_html|safe }}</div>{% endif %}
</article></li>{% endfor %}</ol></main></body></html>
"""

FTS5_SEARCH = """
WITH hits AS MATERIALIZED (
    SELECT docs.rowid AS id FROM docs JOIN meta ON meta.id = docs.rowid
    WHERE docs MATCH :q AND meta.tier <= :tier AND meta.group_id IS NULL
)
SELECT * FROM (
    SELECT 'hit', docs.rowid, docs.title, snippet(docs, 1, '<mark>', '</mark>', ' … ', 24), meta.kind, meta.published
    FROM docs JOIN meta ON meta.id = docs.rowid
    WHERE docs MATCH :q AND meta.tier <= :tier AND meta.group_id IS NULL ORDER BY bm25(docs) LIMIT 20
)
UNION ALL SELECT 'kind', m.kind, count(*), NULL, NULL, NULL FROM hits JOIN meta AS m ON m.id = hits.id GROUP BY m.kind
UNION ALL SELECT 'stakeholder', m.stakeholder, count(*), NULL, NULL, NULL FROM hits JOIN meta AS m ON m.id = hits.id
    GROUP BY m.stakeholder
UNION ALL SELECT 'country', m.country, count(*), NULL, NULL, NULL FROM hits JOIN meta AS m ON m.id = hits.id
    GROUP BY m.country
UNION ALL SELECT 'stage', m.stage, count(*), NULL, NULL, NULL FROM hits JOIN meta AS m ON m.id = hits.id
    WHERE m.stage != '' GROUP BY m.stage
UNION ALL SELECT 'paragraph', p.number, count(*), NULL, NULL, NULL FROM hits JOIN meta_paragraphs AS p ON p.id = hits.id
    GROUP BY p.number
"""

# The same shape on PostgreSQL, over the app's own search table: match, tier restriction, rank, ts_headline of
# the top 20 and the five facets over every readable hit.
POSTGRES_SEARCH = """
WITH query AS (SELECT websearch_to_tsquery('english', :q) AS q),
hits AS MATERIALIZED (
    SELECT d.key, d.object_id, d.kind, d.stakeholder, d.country, d.stage, d.paragraphs, d.vector
    FROM search_documents AS d, query WHERE d.vector @@ query.q AND d.tier <= :tier AND d.group_id IS NULL
      AND d.source = 'submission'
)
SELECT 'hit', top.object_id::text, s.title, ts_headline('english', s.summary, query.q), s.kind, s.published_at::text
FROM (SELECT hits.object_id, ts_rank_cd(hits.vector, query.q, 1) AS rank FROM hits, query
      ORDER BY rank DESC LIMIT 20) AS top
JOIN submissions AS s ON s.id = top.object_id, query
UNION ALL SELECT 'kind', kind, count(*)::text, NULL, NULL, NULL FROM hits GROUP BY kind
UNION ALL SELECT 'stakeholder', stakeholder, count(*)::text, NULL, NULL, NULL FROM hits GROUP BY stakeholder
UNION ALL SELECT 'country', country, count(*)::text, NULL, NULL, NULL FROM hits GROUP BY country
UNION ALL SELECT 'stage', stage, count(*)::text, NULL, NULL, NULL FROM hits WHERE stage != '' GROUP BY stage
UNION ALL SELECT 'paragraph', number::text, count(*)::text, NULL, NULL, NULL
    FROM hits, json_array_elements_text(hits.paragraphs::json) AS number GROUP BY number
"""


class Base(DeclarativeBase):
    pass


class Item(Base):
    """The columns of `submissions` a list row shows."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    tier: Mapped[int] = mapped_column(Integer)
    sharing_group_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)


class Person(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Message(Base):
    """The columns of `dialogue_posts` a thread shows."""

    __tablename__ = "dialogue_posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


app = Flask(__name__)
app.jinja_loader = DictLoader({"page.html": PAGE})
engine = create_engine(os.environ["MINIMAL_DATABASE_URL"], pool_pre_ping=False)
SEARCH = os.environ.get("MINIMAL_SEARCH", "fts5")
FTS5_FILE = os.environ.get("MINIMAL_FTS5_FILE", "")


@app.teardown_appcontext
def close(_exc) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def db() -> Session:
    if "db" not in g:
        g.db = Session(engine)
    return g.db


@app.get("/hello")
def hello():
    return "hello"


@app.get("/list")
def item_list():
    tier = request.args.get("tier", 0, type=int)
    rows = db().execute(
        select(Item.id, Item.title, Item.summary.label("text"), Item.kind, Item.published_at.label("when"))
        .where(Item.status == "published", Item.tier <= tier, Item.sharing_group_id.is_(None))
        .order_by(Item.published_at.desc()).limit(20)
    ).all()
    return app.jinja_env.get_template("page.html").render(title="Archive", rows=rows, facets=None)


@app.get("/thread/<int:thread_id>")
def thread(thread_id: int):
    limit = request.args.get("limit", 20, type=int)
    rows = db().execute(
        select(Message.id, Person.name.label("title"), Message.body_html, Message.created_at.label("when"))
        .join(Person, Person.id == Message.author_id)
        .where(Message.thread_id == thread_id).order_by(Message.id).limit(limit)
    ).all()
    return app.jinja_env.get_template("page.html").render(title="Thread", rows=rows, facets=None)


def _fts5() -> sqlite3.Connection:
    if "fts5" not in g:
        g.fts5 = sqlite3.connect(FTS5_FILE)
    return g.fts5


@app.teardown_appcontext
def close_fts5(_exc) -> None:
    connection = g.pop("fts5", None)
    if connection is not None:
        connection.close()


@app.get("/search")
def search():
    tier = request.args.get("tier", 0, type=int)
    q = request.args.get("q", "")
    if SEARCH == "fts5":
        result = _fts5().execute(FTS5_SEARCH, {"q": q, "tier": tier}).fetchall()
    else:
        result = db().execute(text(POSTGRES_SEARCH), {"q": q, "tier": tier}).all()
    rows, facets = [], {}
    for part, a, b, c, d, e in result:
        if part == "hit":
            rows.append({"id": a, "title": b, "snippet_html": c, "kind": d, "when": e})
        else:
            facets.setdefault(part, []).append((a, b))
    for values in facets.values():
        values.sort(key=lambda value: (-int(value[1]), str(value[0])))
    return app.jinja_env.get_template("page.html").render(title="Search", rows=rows, facets=facets)

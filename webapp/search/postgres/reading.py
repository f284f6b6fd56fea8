"""A reader's statements on the index table: the match under the policy layer's read clause, the reader's own
reading-level variant, the filters, and the counted page (DESIGN.md §4).

Everything a search shows about the whole authorized set (the total, every facet count) is computed by ONE
statement here, over a materialized set of the matching rows the reader may read; only the page's rows (at most
`per_page`) and a few dozen count rows leave the database. The score is ts_rank_cd over the document's own vector
(no collection statistics), and it is computed only when the page is ordered by relevance.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from sqlalchemy import Integer, Text, and_, cast, false, func, join, literal, null, or_, select, text, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSQUERY, aggregate_order_by

from webapp.models import SearchDocument
from webapp.search import sources
from webapp.search.backend import VARIANT_MARK, CountedPage, DocInfo, FacetCount

_D = SearchDocument
INFO_COLUMNS = (_D.key, _D.kind, _D.date, _D.tier, _D.group_id, _D.organisation_id, _D.paragraphs, _D.stakeholder,
                _D.stage, _D.country, _D.round_id)

# For a reader's statements only (restored afterwards, so the rest of the request plans as usual):
# - jit off: compiling these short statements costs more than it saves (measured ~0.4 s a search);
# - no sequential scan of the index table: the planner prices a scan's @@ without the cost of reading each
#   out-of-line (TOAST) vector, and picks it over the GIN index for any common word (measured 10-40x slower);
# - enough work_mem that the materialized match set and its sorts stay in memory.
PLANNER_SETTINGS = {"jit": "off", "enable_seqscan": "off", "work_mem": "32MB"}


def info_of(row) -> DocInfo:
    """A DocInfo from the INFO_COLUMNS of a row (or a JSON array in their order)."""
    key, kind, date, tier, group_id, organisation_id, paragraphs, stakeholder, stage, country, round_id = row[:11]
    return DocInfo(key, kind, int(date), tier, group_id, organisation_id, tuple(paragraphs or ()), stakeholder,
                   stage, country, round_id)


@contextmanager
def planner_settings(connection):
    """PLANNER_SETTINGS for the statements run inside; the previous values afterwards (same transaction)."""
    names = list(PLANNER_SETTINGS)
    previous = connection.execute(
        text("SELECT " + ", ".join(f"current_setting(:n{i})" for i in range(len(names)))),
        {f"n{i}": name for i, name in enumerate(names)},
    ).one()
    _apply(connection, dict(zip(names, PLANNER_SETTINGS.values())))
    yield  # on an error the transaction is rolled back, and the local settings with it
    _apply(connection, dict(zip(names, previous)))


def _apply(connection, settings: dict[str, str]) -> None:
    parts = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(settings)))
    params = {}
    for i, (name, value) in enumerate(settings.items()):
        params[f"n{i}"], params[f"v{i}"] = name, value
    connection.execute(text(f"SELECT {parts}"), params)


def _serves_reader(source, viewer):
    """Of an object's reading-level variants, only the one serving the viewer's reading level (from the entity's
    columns, through the policy layer); an ordinary document serves every reader of its object."""
    if source.reading_level_sql is None:
        return None
    level = source.reading_level_sql(viewer)
    range_ = func.split_part(_D.key, VARIANT_MARK, 2)
    floor = cast(func.nullif(func.split_part(range_, "-", 1), ""), Integer)
    ceiling = cast(func.nullif(func.split_part(range_, "-", 2), ""), Integer)
    return or_(func.strpos(_D.key, VARIANT_MARK) == 0,
               and_(floor <= level, or_(ceiling.is_(None), level < ceiling)))


def filter_clause(filters) -> Any:
    """The browse filters as conditions on the index row (None: no filter)."""
    if filters is None:
        return None
    conditions = []
    if filters.kinds:
        conditions.append(_D.kind.in_(list(filters.kinds)))
    if filters.paragraph is not None:
        conditions.append(cast(_D.paragraphs, JSONB).contains(literal([int(filters.paragraph)], JSONB)))
    for column, value in ((_D.stakeholder, filters.stakeholder), (_D.stage, filters.stage),
                          (_D.country, filters.country), (_D.round_id, filters.round_id)):
        if value is not None and value != "":
            conditions.append(column == value)
    start, end = filters.epoch_range()
    if start is not None:
        conditions.append(_D.date >= start)
    if end is not None:
        conditions.append(_D.date <= end)
    return and_(*conditions) if conditions else None


def visible_documents(viewer, condition, *columns, also_from=None):
    """Index rows meeting `condition` that `viewer` may read: one branch per source, joined to its entity under
    the policy layer's read clause (and the source's `searchable`), keeping only the viewer's own variant.
    `also_from`: a further FROM item that `condition` relates the rows to."""
    froms = (_D,) if also_from is None else (join(_D, also_from, condition),)
    if viewer is None:
        return select(*INFO_COLUMNS, *columns).select_from(*froms).where(condition)
    branches = []
    for source in sources.all_sources():
        stmt = (select(*INFO_COLUMNS, *columns).select_from(*froms)
                .join(source.entity, source.entity.id == _D.object_id)
                .where(_D.source == source.kind, condition))
        serves = _serves_reader(source, viewer)
        if serves is not None:
            stmt = stmt.where(serves)
        branches.append(source.restrict_visible(stmt, viewer))
    if not branches:
        return select(*INFO_COLUMNS, *columns).where(false())
    return branches[0] if len(branches) == 1 else union_all(*branches)


def terms_documents_statement(viewer, terms: list[str], queries: list[str]):
    """(INFO_COLUMNS…, term) of the readable documents containing each term (`queries`: each term's tsquery
    text): one statement for every "did you mean" candidate, the GIN index probed once per term."""
    candidate = (func.unnest(literal(terms, ARRAY(Text)), literal(queries, ARRAY(Text)))
                 .table_valued("term", "query").render_derived(name="candidate"))
    condition = _D.vector.op("@@")(cast(candidate.c.query, TSQUERY))
    return visible_documents(viewer, condition, candidate.c.term.label("term"), also_from=candidate)


_NO_ROUND = cast(null(), Integer)


def counted_page_statement(viewer, query, filters, sort: str, first: int, per_page: int,
                           excluded_rounds: frozenset[int] = frozenset()):
    """One statement: (total, facet count rows, page rows) of the authorized matches of the tsquery `query`,
    no document of the rounds `excluded_rounds` among them."""
    conditions = [_D.vector.op("@@")(query)]
    if (extra := filter_clause(filters)) is not None:
        conditions.append(extra)
    if excluded_rounds:  # a document of no round (NULL) is in no excluded round: NOT IN alone would drop it
        conditions.append(or_(_D.round_id.is_(None), _D.round_id.not_in(sorted(excluded_rounds))))
    condition = and_(*conditions)
    score = func.ts_rank_cd(_D.vector, query, 1) if sort == "relevance" else literal(0.0)
    matched = visible_documents(viewer, condition, score.label("score")).cte("matched")
    m = matched.c

    def counted(facet: str, value, round_id=None, where=None):
        stmt = select(literal(facet).label("facet"), value.label("value"),
                      (round_id if round_id is not None else _NO_ROUND).label("round_id"),
                      func.count().label("n")).select_from(matched)
        stmt = stmt.where(where) if where is not None else stmt
        return stmt.group_by(value, *([round_id] if round_id is not None else []))

    paragraphs = func.json_array_elements_text(m.paragraphs).table_valued("value").alias("paragraph")
    facet_rows = union_all(
        counted("kind", m.kind),
        counted("stage", m.stage, where=m.stage != ""),
        counted("stakeholder", m.stakeholder, m.round_id, m.stakeholder != ""),
        counted("country", m.country, m.round_id, m.country != ""),
        select(literal("paragraph"), paragraphs.c.value, _NO_ROUND, func.count())
        .select_from(matched).join(paragraphs, true()).group_by(paragraphs.c.value),
    ).subquery("facet_rows")
    if sort == "relevance":
        order = (m.score.desc(), m.date.desc(), m.key)
    elif sort == "newest":
        order = (m.date.desc(), m.key.desc())
    else:
        order = (m.date, m.key)
    page = (select(*m, func.row_number().over(order_by=order).label("position"))
            .order_by(*order).offset(first).limit(per_page).subquery("page"))
    info_json = func.json_build_array(*(page.c[column.key] for column in INFO_COLUMNS))
    return select(
        select(func.count()).select_from(matched).scalar_subquery().label("total"),
        select(func.json_agg(func.json_build_array(facet_rows.c.facet, facet_rows.c.value, facet_rows.c.round_id,
                                                   facet_rows.c.n)))
        .scalar_subquery().label("counts"),
        select(func.json_agg(aggregate_order_by(info_json, page.c.position))).scalar_subquery().label("page"),
    )


def read_counted_page(row) -> CountedPage:
    """The CountedPage of counted_page_statement()'s row."""
    total, counts, page = row
    return CountedPage(
        total=int(total or 0),
        page=[info_of(item) for item in page or ()],
        counts=[FacetCount(facet, str(value), round_id, int(n)) for facet, value, round_id, n in counts or ()],
    )

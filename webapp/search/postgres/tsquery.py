"""The app's query language (webapp/search/query.py) as a PostgreSQL tsquery, built from parsed terms.

User text never reaches to_tsquery's own syntax: each word goes to plainto_tsquery, each phrase to
phraseto_tsquery (both treat their input as plain text), and a prefix is built here from its letters and digits
alone. The operators are then combined with tsquery's && / || / !! in SQL, with every piece a bound parameter.

Precedence follows the Whoosh backend's parser, so one query means the same on both engines: NOT binds
tightest, then AND (also ANDNOT; ANDMAYBE keeps its left side), then OR, and plain juxtaposition is AND across
the OR groups ("a b OR c" = a AND (b OR c)). A dangling operator is ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Text, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from webapp.search.postgres.languages import DEFAULT, QUERY_CONFIGS
from webapp.search.query import OPERATORS, _WORD

CONFIG = DEFAULT  # snippets and "did you mean" (English stemming)
_ALNUM = re.compile(r"[^\W_]+")
_BINARY = {"AND", "ANDNOT", "ANDMAYBE"}


@dataclass(frozen=True)
class Node:
    """A parsed query: op is "word", "phrase", "prefix", "and", "or", "not"; text for leaves."""

    op: str
    text: str = ""
    children: tuple["Node", ...] = ()


class _Parser:
    def __init__(self, text: str):
        self.tokens = _WORD.findall(text)
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        self.at += 1
        return self.tokens[self.at - 1]

    def sequence(self, closing: bool) -> Node | None:
        """Juxtaposed OR groups until the end (or a closing parenthesis)."""
        parts = []
        while self.peek() is not None:
            if self.peek() == ")":
                if closing:
                    break
                self.take()  # validate_query refuses unbalanced ones; be lenient anyway
                continue
            part = self.disjunction()
            if part is not None:
                parts.append(part)
            elif self.peek() in OPERATORS:
                self.take()  # a dangling operator
        return _combine("and", parts)

    def disjunction(self) -> Node | None:
        parts = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.conjunction())
        return _combine("or", [p for p in parts if p is not None])

    def conjunction(self) -> Node | None:
        left = self.unary()
        while self.peek() in _BINARY:
            operator = self.take()
            right = self.unary()
            if right is None or left is None:
                left = left or (right if operator == "AND" else None)
            elif operator == "AND":
                left = _combine("and", [left, right])
            elif operator == "ANDNOT":
                left = _combine("and", [left, Node("not", children=(right,))])
            # ANDMAYBE: the right side only affects scores in Whoosh; matching keeps the left side.
        return left

    def unary(self) -> Node | None:
        token = self.peek()
        if token is None or token in {"OR", ")"} or token in _BINARY:
            return None
        if token == "NOT":
            self.take()
            inner = self.unary()
            return Node("not", children=(inner,)) if inner is not None else None
        self.take()
        if token == "(":
            inner = self.sequence(closing=True)
            if self.peek() == ")":
                self.take()
            return inner
        if token.startswith('"'):
            return Node("phrase", token.strip('"'))
        if token.endswith("*"):
            return Node("prefix", token.rstrip("*"))
        return Node("word", token)


def _combine(op: str, parts: list[Node]) -> Node | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Node(op, children=tuple(parts))


def parse(text: str) -> Node | None:
    """The query tree of a validated query (None when nothing searchable is left)."""
    return _Parser(text).sequence(closing=False)


def _empty() -> ColumnElement:
    return func.plainto_tsquery(CONFIG, literal(""))


def _prefix(text: str, config: str) -> ColumnElement:
    """Earlier parts of "co-op*" as words, the last as a prefix; only letters and digits reach to_tsquery."""
    parts = _ALNUM.findall(text)
    if not parts:
        return _empty()
    query = func.to_tsquery(config, literal(f"'{parts[-1]}':*"))
    for part in reversed(parts[:-1]):
        query = func.plainto_tsquery(config, literal(part)).op("&&")(query)
    return query


def _leaf_sql(node: Node, config: str) -> ColumnElement:
    if node.op == "word":
        return func.plainto_tsquery(config, literal(node.text))
    if node.op == "phrase":
        return func.phraseto_tsquery(config, literal(node.text))
    return _prefix(node.text, config)


def leaves(node: Node | None) -> list[Node]:
    """The words, phrases and prefixes of a query tree, in order."""
    if node is None:
        return []
    if node.op in ("word", "phrase", "prefix"):
        return [node]
    return [leaf for child in node.children for leaf in leaves(child)]


def leaf_columns(nodes: list[Node]) -> list[ColumnElement]:
    """For one SELECT: the tsquery text of each leaf in each configuration (leaf-major, QUERY_CONFIGS order)."""
    return [cast(_leaf_sql(node, config), Text) for node in nodes for config in QUERY_CONFIGS]


def to_text(node: Node | None, texts: list[str]) -> str:
    """The tsquery text of a query tree from leaf_columns()' values: each leaf the OR of its distinct forms (an
    English word is often the same lexeme in every configuration, and is then looked up once), a leaf that is a
    stop word left out as PostgreSQL's && and || leave out an empty query, NOT of nothing is nothing."""
    forms = iter([texts[i:i + len(QUERY_CONFIGS)] for i in range(0, len(texts), len(QUERY_CONFIGS))])

    def build(current: Node) -> str:
        if current.op in ("word", "phrase", "prefix"):
            values = next(forms)
            if not (values[0] or "").strip():  # a stop word in English is one in every configuration
                return ""
            distinct = list(dict.fromkeys(value.strip() for value in values if (value or "").strip()))
            return distinct[0] if len(distinct) == 1 else " | ".join(f"( {value} )" for value in distinct)
        if current.op == "not":
            inner = build(current.children[0])
            return f"!( {inner} )" if inner else ""
        parts = [part for part in (build(child) for child in current.children) if part]
        operator = " & " if current.op == "and" else " | "
        return parts[0] if len(parts) == 1 else operator.join(f"( {part} )" for part in parts)

    return build(node) if node is not None else ""


_LEXEME = re.compile(r"'((?:[^']|'')*)'")


def lexemes(canonical: str) -> list[str]:
    """The lexemes of a tsquery's text form, in order, without repeats."""
    return list(dict.fromkeys(match.replace("''", "'") for match in _LEXEME.findall(canonical)))


def lexeme_query(term: str) -> str:
    """The tsquery text matching exactly one index term (quotes doubled, backslashes escaped)."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"

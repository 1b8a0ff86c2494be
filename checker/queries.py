"""Query patterns: what a documented query asks of each table it reads.

sqlglot parses the queries (pglast cannot take ``?`` placeholders); per table
access this module extracts the predicates an index could use (equality,
``IN``, ``IS NULL``, range, join equality), the ORDER BY with its direction and
NULLS order, LIMIT, and pgvector distance ordering. sqlglot is imported only
when a query is actually parsed: it costs about 0.09 s to import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from checker.catalog import Catalog, QualifiedName, TypeRef
from checker.config import QueryPattern
from checker.errors import InputError
from checker.files import read_text
from checker.model import Layer, Origin

# pgvector's distance operators; sqlglot knows only ``<->`` (and reads ``<=>``
# as MySQL's null-safe equality), so every one of them is parsed as ``<->`` and
# the real operator is put back from its position in the text.
VECTOR_OPERATORS = ("<->", "<=>", "<#>", "<+>", "<~>", "<%>")
VOLUMES = ("high", "medium", "low")


class PredicateKind(StrEnum):
    EQUAL = "equal"  # = one value (or a bare boolean column): fixes the column
    IN = "in"  # IN (list), = ANY(array): several values
    IS_NULL = "is null"
    JOIN = "join"  # = a column of another table (the inner side of a nested loop)
    RANGE = "range"  # < <= > >= BETWEEN
    OTHER = "other"  # anything an index on the column cannot narrow


INDEXABLE = frozenset(
    {PredicateKind.EQUAL, PredicateKind.IN, PredicateKind.IS_NULL, PredicateKind.JOIN}
)


@dataclass(frozen=True, slots=True)
class Predicate:
    """One conjunct of a WHERE / JOIN ON that concerns one table.

    ``target`` is a column name, or the canonical text of an expression such
    as ``LOWER(email)`` (``is_column`` False). ``text`` is the canonical text
    of the whole conjunct, without table qualifiers, for partial-index
    implication. ``columns`` are every column of the table it mentions.
    """

    kind: PredicateKind
    target: str
    is_column: bool
    operator: str
    text: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrderItem:
    target: str
    is_column: bool
    descending: bool
    nulls_first: bool  # effective NULLS order (PostgreSQL: NULLS FIRST by default for DESC)

    def render(self) -> str:
        text = self.target
        if self.descending:
            text += " DESC"
        if self.nulls_first != self.descending:
            text += " NULLS FIRST" if self.nulls_first else " NULLS LAST"
        return text


@dataclass(frozen=True, slots=True)
class DistanceOrder:
    """ORDER BY ``column <op> value``: a nearest-neighbour search."""

    column: str
    operator: str


@dataclass(frozen=True, slots=True)
class TableAccess:
    """What one query does with one table it reads."""

    table: QualifiedName
    alias: str
    predicates: tuple[Predicate, ...] = ()
    order: tuple[OrderItem, ...] = ()
    distance: DistanceOrder | None = None
    columns: frozenset[str] | None = None  # columns read; None: every column (SELECT *)
    limit: int | None = None
    has_limit: bool = False

    def targets(self, *kinds: PredicateKind) -> tuple[str, ...]:
        found: list[str] = []
        for predicate in self.predicates:
            if predicate.kind in kinds and predicate.target not in found:
                found.append(predicate.target)
        return tuple(found)

    @property
    def equality(self) -> tuple[str, ...]:
        """Targets an index condition can pin to one value or a list (=, IN, IS NULL, join)."""
        return self.targets(*INDEXABLE)

    @property
    def fixed(self) -> tuple[str, ...]:
        """Targets equal to one constant: redundant in an ORDER BY, skipped by a sort order."""
        return self.targets(PredicateKind.EQUAL)

    @property
    def ranges(self) -> tuple[str, ...]:
        return self.targets(PredicateKind.RANGE)


@dataclass(frozen=True, slots=True)
class QueryParameter:
    """A placeholder occurrence: its span in the query text and what it is compared with."""

    start: int
    end: int
    text: str
    context: str  # value | array | limit | vector | unknown
    table: QualifiedName | None = None
    column: str | None = None


@dataclass(frozen=True, slots=True)
class QueryShape:
    pattern: QueryPattern
    kind: str  # select | update | delete
    accesses: tuple[TableAccess, ...]
    parameters: tuple[QueryParameter, ...] = ()

    def access(self, table: str | QualifiedName) -> TableAccess | None:
        key = table if isinstance(table, tuple) else ("public", table)
        return next((a for a in self.accesses if a.table == key), None)


class QueryParseError(Exception):
    """A query pattern that sqlglot cannot read; ``offset`` is into the query text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


# ---------------------------------------------------------------- lexing


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # param | vector | semicolon | comment
    start: int
    end: int
    text: str


_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_PARAM_NUMBER = re.compile(r"\$\d+")
_PARAM_NAME = re.compile(r":[A-Za-z_][A-Za-z0-9_]*")


def _scan(sql: str) -> Iterator[_Token]:
    """Placeholders, pgvector operators, semicolons and comments outside literals."""
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char == "'":
            i = _skip_quoted(sql, i, "'")
        elif char == '"':
            i = _skip_quoted(sql, i, '"')
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            yield _Token("comment", i, end, sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            yield _Token("comment", i, end, sql[i:end])
            i = end
        elif char == "$":
            number = _PARAM_NUMBER.match(sql, i)
            tag = _DOLLAR_TAG.match(sql, i)
            if number and not (i and (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                yield _Token("param", i, number.end(), number.group())
                i = number.end()
            elif tag:
                close = sql.find(tag.group(), tag.end())
                i = n if close == -1 else close + len(tag.group())
            else:
                i += 1
        elif char == "?" and not sql.startswith(("?|", "?&"), i):
            yield _Token("param", i, i + 1, "?")
            i += 1
        elif char == ":" and not sql.startswith("::", i) and (i == 0 or sql[i - 1] != ":"):
            name = _PARAM_NAME.match(sql, i)
            if name:
                yield _Token("param", i, name.end(), name.group())
                i = name.end()
            else:
                i += 1
        elif char == "<" and sql[i : i + 3] in VECTOR_OPERATORS:
            yield _Token("vector", i, i + 3, sql[i : i + 3])
            i += 3
        elif char == ";":
            yield _Token("semicolon", i, i + 1, ";")
            i += 1
        else:
            i += 1


def _skip_quoted(sql: str, start: int, quote: str) -> int:
    i = start + 1
    while i < len(sql):
        if sql[i] == quote:
            if sql.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)


# ---------------------------------------------------------------- parsing


def parse_query(pattern: QueryPattern, catalog: Catalog | None = None) -> QueryShape:
    """The shape of one query pattern; raises QueryParseError when it does not parse.

    ``catalog`` resolves unqualified columns of joins and the columns of
    ``SELECT *``; without it the first table of the FROM list gets them.
    """
    import sqlglot
    from sqlglot.errors import ParseError as SqlglotParseError

    sql = pattern.sql
    pieces: list[str] = []
    last = 0
    params: dict[str, _Token] = {}
    vectors: list[_Token] = []
    for token in _scan(sql):
        if token.kind == "param":
            name = f"__p{len(params)}"
            params[name] = token
            pieces += [sql[last : token.start], f":{name}"]
            last = token.end
        elif token.kind == "vector":
            vectors.append(token)
            pieces += [sql[last : token.start], "<->"]
            last = token.end
    pieces.append(sql[last:])
    rewritten = "".join(pieces)
    try:
        statements = [s for s in sqlglot.parse(rewritten, read="postgres") if s is not None]
    except SqlglotParseError as exc:
        errors = getattr(exc, "errors", None) or [{}]
        line, col = errors[0].get("line") or 1, errors[0].get("col") or 1
        first = str(errors[0].get("description") or exc).splitlines()[0]
        raise QueryParseError(f"query does not parse: {first}", _offset(sql, line, col)) from None
    except Exception as exc:  # sqlglot raises plain errors for some malformed input
        raise QueryParseError(f"query does not parse: {exc}".splitlines()[0]) from None
    if len(statements) != 1:
        raise QueryParseError(f"expected one statement, found {len(statements)}")
    walker = _Walker(pattern, catalog, params, vectors, _offset_map(params))
    kind = walker.statement(statements[0])
    return QueryShape(pattern, kind, tuple(walker.accesses), tuple(walker.parameters))


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    line = max(1, min(line, len(lines)))
    return sum(len(part) + 1 for part in lines[: line - 1]) + max(0, col - 1)


def _offset_map(params: Mapping[str, _Token]) -> list[tuple[int, int]]:
    """(offset in rewritten text, shift to the original text) after each placeholder."""
    shifts: list[tuple[int, int]] = []
    shift = 0
    for name, token in params.items():
        new_start = token.start - shift
        shift += (token.end - token.start) - (len(name) + 1)
        shifts.append((new_start + len(name) + 1, shift))
    return shifts


def _original_offset(shifts: list[tuple[int, int]], offset: int) -> int:
    shift = 0
    for boundary, total in shifts:
        if offset >= boundary:
            shift = total
    return offset + shift


def _name(identifier: Any) -> str:
    """An identifier as PostgreSQL stores it: unquoted names fold to lower case."""
    if identifier is None:
        return ""
    text = str(identifier.this) if hasattr(identifier, "this") else str(identifier)
    return text if getattr(identifier, "quoted", False) else text.lower()


class _Walker:
    """Collects table accesses and parameters from one parsed statement."""

    def __init__(
        self,
        pattern: QueryPattern,
        catalog: Catalog | None,
        params: Mapping[str, _Token],
        vectors: list[_Token],
        shifts: list[tuple[int, int]],
    ) -> None:
        from sqlglot import expressions

        self.exp = expressions
        self.pattern = pattern
        self.catalog = catalog
        self.params = params
        self.vectors = vectors
        self.shifts = shifts
        self.accesses: list[TableAccess] = []
        self.parameters: list[QueryParameter] = []

    def statement(self, node: Any) -> str:
        exp = self.exp
        if isinstance(node, exp.Select | exp.Union | exp.Intersect | exp.Except):
            self.select(node)
            return "select"
        if isinstance(node, exp.Update | exp.Delete):
            table = node.this
            if isinstance(table, exp.Table):
                scope = {self._alias(table): self._qualified(table)}
                self.scope_accesses(scope, node, order=None, limit=node.args.get("limit"))
            return "update" if isinstance(node, exp.Update) else "delete"
        raise QueryParseError(f"not a query: {type(node).__name__} statements are not analysed")

    def select(self, node: Any) -> None:
        exp = self.exp
        with_ = node.args.get("with_") or node.args.get("with")
        if with_ is not None:
            for cte in with_.expressions:
                self.select(cte.this)
        if isinstance(node, exp.Union | exp.Intersect | exp.Except):
            self.select(node.this)
            self.select(node.expression)
            return
        if isinstance(node, exp.Subquery):
            self.select(node.this)
            return
        if not isinstance(node, exp.Select):
            return
        tables: list[Any] = []
        from_ = node.args.get("from_") or node.args.get("from")
        if from_ is not None:
            tables.extend(t for t in from_.find_all(exp.Table) if t.parent_select is node)
        for join in node.args.get("joins") or []:
            if isinstance(join.this, exp.Table):
                tables.append(join.this)
        ctes = {_name(c.alias_or_name) for c in (with_.expressions if with_ else [])}
        scope = {}
        for table in tables:
            if _name(table.this) in ctes and not table.args.get("db"):
                continue
            scope[self._alias(table)] = self._qualified(table)
        order = node.args.get("order")
        limit = node.args.get("limit")
        self.scope_accesses(scope, node, order=order, limit=limit)

    # -- one SELECT / UPDATE / DELETE -------------------------------------

    def scope_accesses(
        self,
        scope: dict[str, QualifiedName],
        node: Any,
        *,
        order: Any,
        limit: Any,
    ) -> None:
        exp = self.exp
        if not scope:
            return
        conjuncts: list[Any] = []
        where = node.args.get("where")
        if where is not None:
            conjuncts.extend(_conjuncts(where.this, exp))
        for join in node.args.get("joins") or []:
            on = join.args.get("on")
            if on is not None:
                conjuncts.extend(_conjuncts(on, exp))
        predicates: dict[str, list[Predicate]] = {alias: [] for alias in scope}
        for conjunct in conjuncts:
            for alias, predicate in self.predicates(conjunct, scope):
                predicates[alias].append(predicate)
        orders: dict[str, list[OrderItem]] = {alias: [] for alias in scope}
        distances: dict[str, DistanceOrder] = {}
        first_alias = next(iter(scope))
        if order is not None:
            for position, ordered in enumerate(order.expressions):
                self.order_item(ordered, position, scope, orders, distances, first_alias)
        limit_value, has_limit = self.limit(limit)
        read = self.columns_read(node, scope)
        for alias, table in scope.items():
            self.accesses.append(
                TableAccess(
                    table=table,
                    alias=alias,
                    predicates=tuple(predicates[alias]),
                    order=tuple(orders[alias]),
                    distance=distances.get(alias),
                    columns=read.get(alias),
                    limit=limit_value,
                    has_limit=has_limit,
                )
            )
        for placeholder in node.find_all(exp.Placeholder):
            self.parameter(placeholder, scope)

    def order_item(
        self,
        ordered: Any,
        position: int,
        scope: dict[str, QualifiedName],
        orders: dict[str, list[OrderItem]],
        distances: dict[str, DistanceOrder],
        first_alias: str,
    ) -> None:
        exp = self.exp
        target = ordered.this
        if isinstance(target, exp.Distance):
            column = target.this if isinstance(target.this, exp.Column) else target.expression
            if isinstance(column, exp.Column) and position == 0:
                alias = self.owner(column, scope) or first_alias
                distances[alias] = DistanceOrder(_name(column.this), self.vector_operator(column))
            return
        descending = bool(ordered.args.get("desc"))
        nulls = ordered.args.get("nulls_first")
        nulls_first = descending if nulls is None else bool(nulls)
        owners = {self.owner(c, scope) for c in target.find_all(exp.Column)}
        if len(owners) != 1:
            # ORDER BY 1, a select alias or several tables: no index can be matched to it
            owners = {first_alias}
            item = OrderItem(target.sql(dialect="postgres"), False, descending, nulls_first)
        elif isinstance(target, exp.Column):
            item = OrderItem(_name(target.this), True, descending, nulls_first)
        else:
            item = OrderItem(canonical(target), False, descending, nulls_first)
        alias = owners.pop() or first_alias
        orders[alias].append(item)

    def vector_operator(self, column: Any) -> str:
        """The real pgvector operator after ``column`` (all were parsed as ``<->``)."""
        end = column.this.meta.get("end") if hasattr(column.this, "meta") else None
        if end is None:
            return self.vectors[0].text if self.vectors else "<->"
        original = _original_offset(self.shifts, end)
        for token in self.vectors:
            if token.start > original:
                return token.text
        return self.vectors[-1].text if self.vectors else "<->"

    def limit(self, limit: Any) -> tuple[int | None, bool]:
        exp = self.exp
        if limit is None:
            return None, False
        value = limit.args.get("count") if isinstance(limit, exp.Fetch) else limit.expression
        if isinstance(value, exp.Literal) and not value.is_string:
            try:
                return int(value.this), True
            except ValueError:
                return None, True
        return None, True

    def columns_read(self, node: Any, scope: dict[str, QualifiedName]) -> dict[str, frozenset[str]]:
        exp = self.exp
        everything: set[str] = set()
        for star in node.find_all(exp.Star):
            parent = star.parent
            if isinstance(parent, exp.Column) and parent.table:
                everything.add(_name(parent.args.get("table")))
            elif not isinstance(parent, exp.Count):
                everything.update(scope)
        if isinstance(node, exp.Delete | exp.Update):
            everything.discard(next(iter(scope)))
        read: dict[str, set[str]] = {alias: set() for alias in scope}
        for column in node.find_all(exp.Column):
            if isinstance(column.this, exp.Star):
                continue
            alias = self.owner(column, scope)
            if alias is not None:
                read[alias].add(_name(column.this))
        return {alias: frozenset(cols) for alias, cols in read.items() if alias not in everything}

    # -- predicates --------------------------------------------------------

    def owner(self, column: Any, scope: dict[str, QualifiedName]) -> str | None:
        """Alias of the table a column belongs to."""
        qualifier = column.args.get("table")
        if qualifier is not None:
            name = _name(qualifier)
            return name if name in scope else None
        if len(scope) == 1:
            return next(iter(scope))
        name = _name(column.this)
        if self.catalog is not None:
            for alias, table in scope.items():
                found = self.catalog.tables.get(table)
                if found is not None and found.column(name) is not None:
                    return alias
        return next(iter(scope))

    def predicates(
        self, node: Any, scope: dict[str, QualifiedName]
    ) -> Iterator[tuple[str, Predicate]]:
        exp = self.exp
        owners = {self.owner(c, scope) for c in node.find_all(exp.Column)} - {None}
        text = canonical(node)
        if isinstance(node, exp.EQ) and len(owners) == 2:
            left, right = node.this, node.expression
            if isinstance(left, exp.Column) and isinstance(right, exp.Column):
                for column in (left, right):
                    alias = self.owner(column, scope)
                    if alias is not None:
                        name = _name(column.this)
                        yield alias, Predicate(PredicateKind.JOIN, name, True, "=", text, (name,))
                return
        if len(owners) != 1:
            return
        alias = owners.pop()
        assert alias is not None
        columns = tuple(dict.fromkeys(_name(c.this) for c in node.find_all(exp.Column)))
        kind, operator, target = self.classify(node)
        if target is None:
            yield alias, Predicate(PredicateKind.OTHER, text, False, operator, text, columns)
            return
        is_column = isinstance(target, exp.Column)
        name = _name(target.this) if is_column else canonical(target)
        yield alias, Predicate(kind, name, is_column, operator, text, columns)

    def classify(self, node: Any) -> tuple[PredicateKind, str, Any]:
        """(kind, operator, the column or expression side) of one conjunct."""
        exp = self.exp
        if isinstance(node, exp.Column):
            return PredicateKind.EQUAL, "= true", node
        if isinstance(node, exp.Not) and isinstance(node.this, exp.Column):
            return PredicateKind.EQUAL, "= false", node.this
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            if node.args.get("negate"):
                return PredicateKind.OTHER, "is not null", node.this
            return PredicateKind.IS_NULL, "is null", node.this
        if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
            return PredicateKind.OTHER, "is not null", node.this.this
        if isinstance(node, exp.In) and not node.args.get("is_global"):
            values = node.expressions
            if len(values) == 1 and _constant(values[0], exp):
                return PredicateKind.EQUAL, "=", node.this
            return PredicateKind.IN, "in", node.this
        if isinstance(node, exp.Between):
            if _constant(node.args.get("low"), exp) and _constant(node.args.get("high"), exp):
                return PredicateKind.RANGE, "between", node.this
            return PredicateKind.OTHER, "between", None
        comparisons = {
            exp.EQ: ("=", "="),
            exp.GT: (">", "<"),
            exp.GTE: (">=", "<="),
            exp.LT: ("<", ">"),
            exp.LTE: ("<=", ">="),
        }
        for kind_class, (operator, flipped) in comparisons.items():
            if type(node) is not kind_class:
                continue
            left, right = node.this, node.expression
            side, other, op = (left, right, operator)
            if _constant(left, exp) and not _constant(right, exp):
                side, other, op = (right, left, flipped)
            if _constant(side, exp) or not _constant(other, exp):
                return PredicateKind.OTHER, op, None
            if op == "=":
                if isinstance(other, exp.Any):
                    return PredicateKind.IN, "= any", side
                return PredicateKind.EQUAL, "=", side
            return PredicateKind.RANGE, op, side
        operator = type(node).__name__.lower()
        side = node.this if isinstance(node, exp.Binary) else None
        if side is not None and isinstance(node, exp.Binary) and _constant(node.expression, exp):
            return PredicateKind.OTHER, operator, side
        return PredicateKind.OTHER, operator, None

    def parameter(self, placeholder: Any, scope: dict[str, QualifiedName]) -> None:
        exp = self.exp
        token = self.params.get(str(placeholder.this))
        if token is None:
            return
        context, table, column = "unknown", None, None
        node = placeholder
        parent = node.parent
        while isinstance(parent, exp.Paren | exp.Cast | exp.Tuple):
            node, parent = parent, parent.parent
        partner = None
        if isinstance(parent, exp.Limit | exp.Offset | exp.Fetch):
            context = "limit"
        elif isinstance(parent, exp.Any):
            context = "array"
            comparison = parent.parent
            partner = comparison.this if isinstance(comparison, exp.Binary) else None
        elif isinstance(parent, exp.In | exp.Between):
            context, partner = "value", parent.this
        elif isinstance(parent, exp.Distance):
            context = "vector"
            partner = parent.this if parent.expression is node else parent.expression
        elif isinstance(parent, exp.Binary):
            context = "value"
            partner = parent.this if parent.expression is node else parent.expression
        if isinstance(partner, exp.Column):
            alias = self.owner(partner, scope)
            if alias is not None:
                table, column = scope[alias], _name(partner.this)
        self.parameters.append(
            QueryParameter(token.start, token.end, token.text, context, table, column)
        )

    def _alias(self, table: Any) -> str:
        alias = table.args.get("alias")
        return (
            _name(alias.this) if alias is not None and alias.this is not None else _name(table.this)
        )

    def _qualified(self, table: Any) -> QualifiedName:
        schema = table.args.get("db")
        return (_name(schema) if schema is not None else "public", _name(table.this))


def _conjuncts(node: Any, exp: Any) -> Iterator[Any]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        yield from _conjuncts(node.this, exp)
        yield from _conjuncts(node.expression, exp)
    else:
        yield node


def _constant(node: Any, exp: Any) -> bool:
    """No column and no subquery inside: a literal, a placeholder, now(), a cast of those."""
    if node is None:
        return False
    return node.find(exp.Column, exp.Select) is None


def canonical(node: Any) -> str:
    """Comparable text of an expression: table qualifiers removed, casts on literals dropped."""
    from sqlglot import expressions as exp

    copy = node.copy()
    for column in list(copy.find_all(exp.Column)):
        column.set("table", None)
        column.set("db", None)
    for cast in list(copy.find_all(exp.Cast)):
        if isinstance(cast.this, exp.Literal):
            cast.replace(cast.this)
    while isinstance(copy, exp.Paren):
        copy = copy.this
    # placeholders were renamed :__pN for parsing; every one reads as ? again
    return _PLACEHOLDER_TEXT.sub("?", str(copy.sql(dialect="postgres")))


_PLACEHOLDER_TEXT = re.compile(r"%\(__p\d+\)s|:__p\d+")


def canonical_text(sql_expression: str) -> str | None:
    """canonical() of an expression given as text (an index key or predicate)."""
    import sqlglot

    try:
        node = sqlglot.parse_one(sql_expression, read="postgres")
    except Exception:  # sqlglot raises several error types; any of them means "cannot compare"
        return None
    return canonical(node)


def conjunct_texts(sql_expression: str) -> tuple[str, ...] | None:
    """The canonical text of every AND-ed conjunct of a predicate (a partial index's WHERE)."""
    import sqlglot
    from sqlglot import expressions as exp

    try:
        node = sqlglot.parse_one(sql_expression, read="postgres")
    except Exception:  # sqlglot raises several error types; any of them means "cannot compare"
        return None
    return tuple(canonical(part) for part in _conjuncts(node, exp))


# ---------------------------------------------------------------- query files

_DIRECTIVE = re.compile(r"--\s*(expect-index|name|volume)\s*:\s*(\S.*?)\s*$")


def load_query_file(path: Path) -> list[QueryPattern]:
    """Query patterns from a .sql file: one query per statement.

    ``-- name: ...``, ``-- expect-index: NAME`` and ``-- volume: high|medium|low``
    comments apply to the statement they precede (or stand in). Problems raise
    InputError with ``file:line``.
    """
    text = read_text(path)
    patterns: list[QueryPattern] = []
    start = 0
    directives: dict[str, str] = {}
    tokens = [t for t in _scan(text) if t.kind in ("semicolon", "comment")]
    tokens.append(_Token("semicolon", len(text), len(text), ""))
    for token in tokens:
        if token.kind == "comment":
            match = _DIRECTIVE.match(token.text)
            if match:
                key, value = match.group(1), match.group(2)
                if key == "volume" and value not in VOLUMES:
                    line = text.count("\n", 0, token.start) + 1
                    raise InputError(f"{path}:{line}: volume must be high, medium or low")
                directives[key] = value
            continue
        body = _strip_comments(text[start : token.start])
        if body.strip():
            offset = start + len(body) - len(body.lstrip())
            line = text.count("\n", 0, offset) + 1
            patterns.append(
                QueryPattern(
                    name=directives.get("name") or f"{path.name}:{line}",
                    sql=body.strip(),
                    expect_index=directives.get("expect-index"),
                    volume=directives.get("volume"),
                    source=f"{path}:{line}",
                    origin=Origin(
                        str(path), offset, offset + len(body.strip()), -1, Layer.EXTENSION
                    ),
                )
            )
            _validate(patterns[-1], path, text, offset)
            directives = {}
        start = token.end
    if not patterns:
        raise InputError(f"{path}:1: no query in the file")
    return patterns


def _strip_comments(chunk: str) -> str:
    """The chunk with comments blanked out (same length, so offsets stay right)."""
    out = list(chunk)
    for token in _scan(chunk):
        if token.kind == "comment":
            out[token.start : token.end] = " " * (token.end - token.start)
    return "".join(out)


def _validate(pattern: QueryPattern, path: Path, text: str, offset: int) -> None:
    try:
        parse_query(pattern)
    except QueryParseError as exc:
        body_offset = offset + exc.offset
        line = text.count("\n", 0, body_offset) + 1
        column = body_offset - (text.rfind("\n", 0, body_offset) + 1) + 1
        raise InputError(f"{path}:{line}:{column}: {exc.message}") from None


# ---------------------------------------------------------------- literals for EXPLAIN

_NUMERIC = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}
_TEMPORAL = {
    "timestamp without time zone": "2024-01-01 00:00:00",
    "timestamp with time zone": "2024-01-01 00:00:00+00",
    "date": "2024-01-01",
    "time without time zone": "00:00:00",
    "time with time zone": "00:00:00+00",
    "interval": "1 day",
}


def sample_literal(type_ref: TypeRef, catalog: Catalog) -> str:
    """A constant of the given type, spelled as a typed SQL literal."""
    element = type_ref.element
    name = element.name
    if name in _NUMERIC:
        value = "1"
    elif name == "boolean":
        value = "true"
    elif name == "uuid":
        value = "00000000-0000-0000-0000-000000000001"
    elif name in _TEMPORAL:
        value = _TEMPORAL[name]
    elif name in ("json", "jsonb"):
        value = "{}"
    elif name in ("vector", "halfvec"):
        dims = int(element.modifiers[0]) if element.modifiers else 3
        value = "[" + ",".join(["1"] * dims) + "]"
    else:
        enum = catalog.enums.get((element.schema or "public", name))
        value = enum.labels[0] if enum is not None and enum.labels else "x"
    quoted = "'" + value.replace("'", "''") + "'"
    type_text = element.render()
    if element.schema is not None or name not in _BUILTIN_SPELLINGS:
        type_text = (
            f'"{name}"' if element.schema in (None, "public") else f'"{element.schema}"."{name}"'
        )
        if element.modifiers:
            type_text += "(" + ",".join(element.modifiers) + ")"
    return f"{quoted}::{type_text}"


_BUILTIN_SPELLINGS = (
    _NUMERIC
    | set(_TEMPORAL)
    | {
        "boolean",
        "uuid",
        "json",
        "jsonb",
        "text",
        "character varying",
        "character",
    }
)


def bind_literals(shape: QueryShape, catalog: Catalog) -> str:
    """The query text with every placeholder replaced by a typed literal (for EXPLAIN)."""
    sql = shape.pattern.sql
    out: list[str] = []
    last = 0
    for parameter in sorted(shape.parameters, key=lambda p: p.start):
        out.append(sql[last : parameter.start])
        out.append(_literal_for(parameter, catalog))
        last = parameter.end
    out.append(sql[last:])
    return "".join(out)


def _literal_for(parameter: QueryParameter, catalog: Catalog) -> str:
    if parameter.context == "limit":
        return "10"
    type_ref: TypeRef | None = None
    if parameter.table is not None and parameter.column is not None:
        table = catalog.tables.get(parameter.table)
        column = table.column(parameter.column) if table is not None else None
        type_ref = column.type if column is not None else None
    if type_ref is None:
        return "'1'"
    literal = sample_literal(type_ref, catalog)
    if parameter.context == "array":
        return f"ARRAY[{literal}]"
    return literal

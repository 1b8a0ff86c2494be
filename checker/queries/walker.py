"""Parsing a query (with sqlglot, imported only when a query is parsed) and walking
its tree into per-table accesses: predicates, ORDER BY, LIMIT, pgvector distances."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from checker.catalog import Catalog, QualifiedName
from checker.config import QueryPattern
from checker.queries.lexing import Token, scan_tokens
from checker.queries.shapes import (
    DistanceOrder,
    OrderItem,
    Predicate,
    PredicateKind,
    QueryParameter,
    QueryParseError,
    QueryShape,
    TableAccess,
)

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
    params: dict[str, Token] = {}
    vectors: list[Token] = []
    for token in scan_tokens(sql):
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


def _offset_map(params: Mapping[str, Token]) -> list[tuple[int, int]]:
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
        params: Mapping[str, Token],
        vectors: list[Token],
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

"""The organisation's rows: units (the department tree) and routing tables."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, literal, or_, select, text, update

from ..domain.organisation import Row, path_of, prefixes
from .models import Department, RoutingRow


def unit(session, key: str) -> Department | None:
    return session.get(Department, key)


def units(
    session,
    parent: str | None = None,
    kind: str | None = None,
    region: str | None = None,
    under: str | None = None,
) -> list[Department]:
    """Units by their parent, kind, region-code prefix or subtree, in tree order."""
    query = select(Department)
    if parent is not None:
        query = query.where(Department.parent == parent)
    if kind is not None:
        query = query.where(Department.kind == kind)
    if region is not None:
        query = query.where(Department.region_code.startswith(region, autoescape=True))
    if under is not None:
        query = query.where(Department.path.startswith(under, autoescape=True))
    return list(session.scalars(query.order_by(Department.path)))


def add(
    session,
    key: str,
    name: dict,
    kind: str = "department",
    parent: Department | None = None,
    region_code: str | None = None,
    active: bool = True,
) -> Department:
    row = Department(
        key=key,
        name=name,
        kind=kind,
        parent=parent.key if parent else None,
        region_code=region_code,
        active=active,
        path=path_of(parent.path if parent else None, key),
    )
    session.add(row)
    return row


def move(session, row: Department, parent: Department | None) -> None:
    """`row` and its whole subtree under `parent` (None: the root): one UPDATE of paths."""
    old = row.path
    new = path_of(parent.path if parent else None, row.key)
    session.execute(
        update(Department)
        .where(Department.path.startswith(old, autoescape=True))
        .values(path=literal(new) + func.substr(Department.path, len(old) + 1))
        .execution_options(synchronize_session=False)
    )
    row.parent = parent.key if parent else None
    session.expire_all()


def below(session, keys) -> frozenset[str]:
    """Every unit below `keys` (not the units themselves)."""
    if not keys:
        return frozenset()
    paths = list(session.scalars(select(Department.path).where(Department.key.in_(list(keys)))))
    if not paths:
        return frozenset()
    found = session.scalars(
        select(Department.key).where(
            or_(*(Department.path.startswith(p, autoescape=True) for p in paths))
        )
    )
    return frozenset(found) - frozenset(keys)


def is_active(session, key: str) -> bool:
    return bool(session.scalar(select(Department.active).where(Department.key == key)))


# -- routing tables ------------------------------------------------------------------


# a replacement this large refreshes the planner's statistics at once (PostgreSQL): a
# lookup by the index takes a fraction of a millisecond, a scan of a stale guess tens
ANALYZE_AFTER_ROWS = 1000


def replace_table(session, table: str, rows: list[dict]) -> None:
    session.execute(delete(RoutingRow).where(RoutingRow.table_key == table))
    if rows:
        session.execute(
            RoutingRow.__table__.insert(), [{"table_key": table, **row} for row in rows]
        )
    if len(rows) >= ANALYZE_AFTER_ROWS and session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE routing_row"))


def table_rows(session, table: str) -> list[Row]:
    return [
        Row(*r)
        for r in session.execute(
            select(RoutingRow.category, RoutingRow.region, RoutingRow.department)
            .where(RoutingRow.table_key == table)
            .order_by(RoutingRow.id)
        )
    ]


def table_exists(session, table: str) -> bool:
    return (
        session.scalar(select(RoutingRow.id).where(RoutingRow.table_key == table).limit(1))
        is not None
    )


_CANDIDATES = select(RoutingRow.category, RoutingRow.region, RoutingRow.department).where(
    RoutingRow.table_key == bindparam("table"),
    RoutingRow.region.in_(bindparam("regions", expanding=True)),
    RoutingRow.category.in_(bindparam("categories", expanding=True)),
)


def candidates(session, table: str, category: str, region: str) -> list[Row]:
    """The rows that may match a request: those whose region and category are prefixes of
    its own (or `*`), found by the index, whatever the table's size."""
    return [
        Row(*r)
        for r in session.execute(
            _CANDIDATES,
            {"table": table, "regions": prefixes(region), "categories": prefixes(category)},
        )
    ]

"""The changed case and task rows of a unit of work, written into its commit's
batch instead of by the ORM's flush.

Every operation changes its case and a task or two. The ORM's flush works out
what changed and in which order to write it, and sends each UPDATE on its own:
a quarter of an operation's CPU, and a round trip per table. Here the changed
columns of each case and task go into the commit's `WriteBatch` (one round trip
with the history and timers on PostgreSQL), and the objects are told that their
values are now the stored ones, so the flush that follows finds nothing of
theirs to do. A case's UPDATE is guarded by its version, as the ORM's was.

New cases and tasks are made the same way (`add_new`): their ids are taken
from the sequence first, they join the session as if read from it (found by
id, later changes tracked), and their rows are INSERTed by the batch, ahead of
the updates, the history and the timers that refer to them. Every other kind
of row is still the ORM's.

A locked case and its tasks are read by plain statements and made into such
objects too (`loaded`, used by engine.store.cases), rather than by the ORM's loading.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from .batch import WriteBatch, column_default
from .models import Case, Task

_COLUMNS = {
    model: {attr.key: attr.columns[0].name for attr in inspect(model).column_attrs}
    for model in (Case, Task)
}
_NEW = "rows_new"  # Session.info key: rows made by `add_new`, not yet written
# Session.info key: ids of the cases whose rows this transaction holds locked
# (engine.store.cases reads them under `SELECT ... FOR UPDATE`)
LOCKED = "cases_locked"


def mark_locked(session, case_ids) -> None:
    """The transaction holds these cases' row locks until it ends (SQLite: every
    row, from `BEGIN IMMEDIATE`)."""
    session.info.setdefault(LOCKED, set()).update(case_ids)


def add_new(session, obj) -> None:
    """A new row whose id is already set, written when the unit of work commits.

    Every column gets a value now (its default if not given): the session takes
    the object as stored, and would otherwise try to load a missing one."""
    table, mapper = type(obj).__table__, inspect(type(obj))
    if mapper.version_id_col is not None:  # the first version, as the ORM would count it
        setattr(obj, mapper.get_property_by_column(mapper.version_id_col).key, 1)
    for key, name in _COLUMNS[type(obj)].items():
        if key not in obj.__dict__:
            setattr(obj, key, column_default(table.c[name])())
    state = instance_state(obj)
    if state.session_id or state.key:
        raise ValueError(f"{obj!r} is not new")
    for name in _loading(type(obj), "").relationships:  # nothing to cascade to
        value = state.dict.get(name)
        for related in value if isinstance(value, list) else [value] if value else []:
            if instance_state(related).session_id != session.hash_key:
                raise ValueError(f"{obj!r}.{name} holds an object not in the session")
    _attach_as_stored(session, state, mapper.identity_key_from_instance(obj), state.unloaded)
    session.info.setdefault(_NEW, []).append(obj)


@dataclass(frozen=True)
class _Loading:
    """What `loaded` needs of a model, worked out once per (model, prefix)."""

    mapper: object
    columns: list[tuple[str, str]]  # (attribute, name in the row)
    primary_key: list[str]  # names in the row
    relationships: frozenset[str]  # attributes the row leaves unloaded


_LOADING: dict[tuple, _Loading] = {}


def _loading(model, prefix: str) -> _Loading:
    found = _LOADING.get((model, prefix))
    if found is None:
        mapper = inspect(model)
        found = _LOADING[model, prefix] = _Loading(
            mapper,
            [(attr, prefix + name) for attr, name in _COLUMNS[model].items()],
            [prefix + c.name for c in mapper.primary_key],
            frozenset(mapper.class_manager) - frozenset(_COLUMNS[model]),
        )
    return found


def loaded(session, model, row, prefix: str = "") -> object | None:
    """The object of a row a Core statement read (`row`: its mapping, by column
    name, each name after `prefix`), in the session as if the ORM had loaded it:
    clean, its later changes tracked. The ORM's own loading sets up anew for
    every statement what a case's read needs every time. None if the session
    already holds that row: the caller reads it the ORM's way, which refreshes
    the object the session has."""
    how = _loading(model, prefix)
    key = how.mapper.identity_key_from_primary_key([row[name] for name in how.primary_key])
    if key in session.identity_map:
        return None
    obj = how.mapper.class_manager.new_instance()
    obj.__dict__.update({attr: row[name] for attr, name in how.columns})
    _attach_as_stored(session, instance_state(obj), key, how.relationships)
    return obj


def _attach_as_stored(session, state, key, unloaded) -> None:
    """What make_transient_to_detached and Session.add do to a new object, without
    working out its identity key again or walking its relationships for cascades
    (none holds anything to cascade): 52 -> 30 µs a row read (profiled); tests
    compare the objects with the ORM's own. `unloaded`: attributes to load lazily."""
    state.key = key
    state._commit_all(state.dict)
    state._expire_attributes(state.dict, unloaded)
    session._update_impl(state)


def write_new(session, batch: WriteBatch) -> None:
    """The rows `add_new` kept, as they are now, one INSERT per table."""
    by_table: dict = {}
    for obj in session.info.pop(_NEW, ()):
        columns, state = _COLUMNS[type(obj)], inspect(obj)
        by_table.setdefault(type(obj).__table__, []).append(
            {name: state.dict[key] for key, name in columns.items()}
        )
        _stored(
            session, obj, {key: state.dict[key] for key in state.committed_state if key in columns}
        )
    for table, rows in by_table.items():
        batch.insert(table, rows)


def write_now(session) -> None:
    """The rows `add_new` kept, INSERTed now (in one round trip on PostgreSQL)."""
    if session.info.get(_NEW):
        with WriteBatch(session) as batch:
            write_new(session, batch)


def new_rows_before_any_flush(session, _context, _instances) -> None:
    """A session hook (engine.store.hooks): a flush before the commit (a query's
    autoflush) would UPDATE rows `add_new` made as if they were stored: they are
    INSERTed first."""
    write_now(session)


def forget_on_rollback(session) -> None:
    """A session hook: rows not written and locks not held any more."""
    session.info.pop(_NEW, None)
    session.info.pop(LOCKED, None)


def write_changed(session, batch: WriteBatch) -> None:
    """An UPDATE of the changed columns of each changed case and task in the session;
    a case's also moves its version on. A case this transaction holds locked cannot
    have changed since it was read; any other is written only if its row still has
    the version it was read at (a guarded UPDATE: StaleDataError otherwise)."""
    locked = session.info.get(LOCKED, ())
    for obj in session.dirty:
        columns = _COLUMNS.get(type(obj))
        if columns is None:
            continue
        state = inspect(obj)
        changed = {
            key: state.dict[key]
            for key in state.committed_state
            if key in columns and key in state.dict
        }
        if not changed:
            continue
        values = {columns[key]: value for key, value in changed.items()}
        if type(obj) is Case:
            version = state.committed_state.get("lock_version", obj.lock_version)
            values["lock_version"] = changed["lock_version"] = version + 1
            if obj.id in locked:
                batch.update(Case.__table__, {"id": obj.id}, values)
            else:
                batch.update(
                    Case.__table__,
                    {"id": obj.id, "lock_version": version},
                    values,
                    row=f"case {obj.id}",
                )
        else:
            batch.update(Task.__table__, {"id": obj.id}, values)
        _stored(session, obj, changed)


def _stored(session, obj, values: dict) -> None:
    """Tell the session that `values` are what is stored of `obj` now. An object with
    nothing else changed is clean again, so that the flush before the commit, which
    walks every modified object even when it has nothing to write, passes it by
    (`_commit_all` is what the ORM's own flush calls on the rows it wrote)."""
    state = inspect(obj)
    for key, value in values.items():
        set_committed_value(obj, key, value)
    if not state.committed_state:
        state._commit_all(state.dict, session.identity_map)

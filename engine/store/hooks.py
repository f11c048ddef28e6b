"""The store's session hooks, installed by the composition root (engine.runtime)
on the session factory it makes, never at import time."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from .db import forget_reserved_ids
from .matters import attach_loaded, attach_refreshed
from .models import Case
from .rows import forget_on_rollback, new_rows_before_any_flush


def install(factory: sessionmaker) -> sessionmaker:
    """Give the factory's sessions what the store's fast path needs of them:
    - rows made by `rows.add_new` are INSERTed before any flush;
    - a rollback forgets rows not written, ids taken ahead and locks held;
    - a case the ORM loads gets its matter version from the versions read once."""
    event.listen(factory, "before_flush", new_rows_before_any_flush)
    event.listen(factory, "after_rollback", forget_on_rollback)
    event.listen(factory, "after_rollback", forget_reserved_ids)
    # mapper events are the class's: listened to once, whichever factory comes first
    if not event.contains(Case, "load", attach_loaded):
        event.listen(Case, "load", attach_loaded)
        event.listen(Case, "refresh", attach_refreshed)
    return factory

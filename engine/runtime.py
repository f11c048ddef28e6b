"""The engine's wiring: one `Runtime` per process holds the database, Redis and clock.

The API and the workers each build one from `Settings` and ask it for units
of work; tests build one with a fixed clock.
"""
from __future__ import annotations

import logging

from . import matters, staff
from .config import Settings
from .db import make_engine, make_session_factory
from .migrate import upgrade
from .now import SystemClock
from .uow import UnitOfWork

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, clock=None, redis=None):
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = make_engine(settings.database_url,
                                  prepared_statements=settings.prepared_statements)
        self.session_factory = make_session_factory(self.engine)
        self._redis = redis
        self._notifier = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, clock=self.clock, notifier=self.notifier)

    @property
    def notifier(self):
        """Where yellow/red cards are sent (see engine.notify); tests may replace it."""
        if self._notifier is None:
            from .notify import make_notifier
            self._notifier = make_notifier(self)
        return self._notifier

    @notifier.setter
    def notifier(self, value) -> None:
        self._notifier = value

    def queue(self):
        """The RQ queue the scheduler and the notifiers put work on."""
        from rq import Queue
        return Queue(self.settings.queue, connection=self.redis)

    @property
    def redis(self):
        """The Redis that carries work; the embedded one unless REDIS_URL is set."""
        if self._redis is None:
            from .redis_conn import connect
            self._redis = connect(self.settings)
        return self._redis

    def prepare(self, load_examples: bool = True) -> None:
        """Migrate the schema, make the first admin, deploy the examples on first start."""
        upgrade(self.engine)
        with self.uow() as uow:
            staff.ensure_admin(uow, self.settings.admin_password)
            if load_examples:
                loaded = matters.load_examples(uow, *self.settings.examples_dirs)
                if loaded:
                    log.info("deployed example matters: %s", ", ".join(loaded))
            uow.commit()

    def close(self) -> None:
        self.engine.dispose()

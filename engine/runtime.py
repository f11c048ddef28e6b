"""The composition root: one `Runtime` per process wires the engine together.

It makes the database engine and the session factory (with the store's
hooks), the units of work (with the timers' book), registers what each kind
of timer does when it fires, and builds the notifiers from the settings.
Nothing in the engine registers itself at import time; the API, the workers,
the scheduler, the command line and the tests each build one Runtime and hand
it to the services (`rt`). Tests build it with a fixed clock.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rq import Queue

from .adapters import heap
from .adapters.notify import make_notifier
from .adapters.redis_conn import connect
from .config import Settings
from .domain.clock.now import SystemClock
from .process.runner import quiet_spiff_loggers
from .services import accounts, catalogue, organisation, requests
from .services.timer_effects import EFFECTS
from .store import hooks
from .store.db import make_engine, make_session_factory
from .store.migrate import upgrade
from .store.uow import UnitOfWork
from .timers.book import TimerBook

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, clock=None, redis=None):
        quiet_spiff_loggers()
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = make_engine(
            settings.database_url, prepared_statements=settings.prepared_statements
        )
        self.session_factory = hooks.install(make_session_factory(self.engine))
        # kind -> what a fired timer of that kind does (engine.timers.firing)
        self.timer_effects = dict(EFFECTS)
        self._redis = redis
        self._notifier = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory, clock=self.clock, notifier=self.notifier, books=(TimerBook,)
        )

    @property
    def notifier(self):
        """Where yellow/red cards are sent (see engine.adapters.notify); tests may replace it."""
        if self._notifier is None:
            self._notifier = make_notifier(self)
        return self._notifier

    @notifier.setter
    def notifier(self, value) -> None:
        self._notifier = value

    def queue(self):
        """The RQ queue the scheduler and the notifiers put work on."""
        return Queue(self.settings.queue, connection=self.redis)

    @property
    def redis(self):
        """The Redis that carries work; the embedded one unless REDIS_URL is set."""
        if self._redis is None:
            self._redis = connect(self.settings)
        return self._redis

    def reconnect_redis(self) -> None:
        """A new connection to Redis (a worker starting again after Redis came back)."""
        self._redis = connect(self.settings)

    def prepare(self, load_examples: bool = True) -> None:
        """Migrate the schema, make the first admin, deploy the examples on first start."""
        upgrade(self.engine)
        accounts.ensure_first_admin(self)
        if load_examples:
            processes, bpmn = self.settings.examples_dirs
            sample = Path(processes) / "organisation.yaml"
            if sample.exists() and organisation.is_empty(self):
                counts = organisation.load(self, organisation.read_file(sample))
                log.info("loaded the sample organisation: %s units", counts["added"])
            categories = Path(processes) / "hotline" / "categories.yaml"
            if categories.exists() and requests.ensure_categories(
                self, organisation.read_file(categories)["categories"]
            ):
                log.info("loaded the default category tree of the 12345 line")
            loaded = catalogue.load_shipped_examples(self, Path(processes), Path(bpmn))
            if loaded:
                log.info("deployed example matters: %s", ", ".join(loaded))

    @staticmethod
    def settle() -> None:
        """Start-up is done (engine.adapters.heap)."""
        heap.settle()

    def close(self) -> None:
        self.engine.dispose()

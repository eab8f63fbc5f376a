"""Persistence in the running server: open and recover the store, group commit before output.

With ``broker.persistence`` configured, every transport's flush is held (``hold``) and released
once per event-loop iteration by one callback that syncs the changed sessions into the store,
commits (one write + one fdatasync) and only then writes every held output. So no PUBACK, PUBREC
or SUBACK leaves before the records backing it are on disk, and no subscriber sees a message the
store could still lose (a publisher would resend it after a crash: a QoS 2 duplicate). With a
``sync_interval`` the commit, and so the output, waits until the interval has passed.
Without ``persistence`` none of this exists and the server writes directly.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from broker.core.broker import Broker
from broker.core.journal import Journal, JournalledRetainedStore
from broker.persistence import Store, StoreError
from broker.persistence.config import PersistenceConfig
from broker.persistence.engine import load_into

if TYPE_CHECKING:
    from broker.server.transports import MqttTransport

log = logging.getLogger("perch.broker")
RETRY_SECONDS = 1.0


class PersistenceUnavailable(OSError):
    """The store folder cannot be used (locked by another broker, unreadable, disk full)."""


class Durability:
    """The store, the journal that fills it, and the transports waiting for the next commit."""

    def __init__(self, store: Store, journal: Journal, clock: Callable[[], float]) -> None:
        self.store = store
        self.journal = journal
        self.clock = clock
        self.problems: list[Any] = []
        self._waiting: dict[MqttTransport, None] = {}  # insertion-ordered set
        self._handle: asyncio.Handle | None = None
        self._releasing = False

    @classmethod
    def open(cls, config: PersistenceConfig, broker: Broker, clock: Callable[[], float]) -> Durability:
        """Recover the folder into a fresh ``broker`` (before it listens) and start journalling."""
        try:
            store, state = Store.open(config.path, **config.open_options())
        except StoreError as error:
            raise PersistenceUnavailable(f"persistence: {error}") from error
        retained = JournalledRetainedStore(broker.retained.max_messages, clock)
        broker.retained = retained
        now, wall = clock(), time.time()
        for client_id in load_into(broker, state, now, wall):
            store.session_removed(client_id)
        retained.journal_store = store
        journal = Journal(store, broker, clock)
        journal.adopt_loaded()
        store.commit()
        durability = cls(store, journal, clock)
        durability.problems = list(state.problems)
        log.info(
            "persistence: %s: recovered %d sessions and %d retained messages%s",
            config.path,
            len(broker.sessions),
            retained.count,
            f"; {len(state.problems)} problem(s) reported above" if state.problems else "",
        )
        return durability

    def hold(self, transport: MqttTransport) -> bool:
        """Called by a transport about to write: True means wait, the commit callback will flush it."""
        if self._releasing:
            return False
        self._waiting[transport] = None
        self._schedule(0.0)
        return True

    def tick(self) -> None:
        """From the server's periodic tick: record detaches, expiries and wills nobody wrote about."""
        self._schedule(0.0)

    def _schedule(self, delay: float) -> None:
        if self._handle is None:
            loop = asyncio.get_running_loop()
            self._handle = (
                loop.call_later(delay, self._commit_and_release)
                if delay
                else loop.call_soon(self._commit_and_release)
            )

    def _commit_and_release(self) -> None:
        self._handle = None
        for transport in self._waiting:
            connection = transport.connection
            if connection is not None and connection.session is not None:
                self.journal.sync_session(connection.session)
        self.journal.sync_changed()
        now = self.clock()
        try:
            durable = self.store.commit(now)
        except StoreError as error:
            log.error("persistence: %s; holding acknowledgements and retrying", error)
            self._schedule(RETRY_SECONDS)
            return
        if not durable:
            self._schedule(max(0.001, self.store.sync_due_at - now))
            return
        self._release()

    def _release(self) -> None:
        waiting, self._waiting = self._waiting, {}
        self._releasing = True
        try:
            for transport in waiting:
                transport.flush()
        finally:
            self._releasing = False

    def close(self) -> None:
        """At shutdown: record what is left, commit regardless of the interval, close the files."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        try:
            self.journal.sync_changed()
            self.store.commit()
        except StoreError as error:
            log.error("persistence: %s at shutdown", error)
        self._waiting.clear()
        self.store.close()


def open_durability(raw: dict | None, broker: Broker, clock: Callable[[], float]) -> Durability | None:
    """The server's persistence, or None when ``broker.persistence`` is not configured."""
    if raw is None:
        return None
    return Durability.open(PersistenceConfig.from_mapping(raw), broker, clock)


def validate_persistence_and_bridges(config: Any) -> None:
    """Check ``broker.persistence`` and ``broker.bridges`` at load time, as ConfigError with the YAML path."""
    from broker.bridge.config import BridgeConfigError, bridges_from_mapping
    from broker.config import ConfigError
    from broker.persistence.config import PersistenceConfigError

    try:
        if config.persistence is not None:
            PersistenceConfig.from_mapping(config.persistence)
        bridges_from_mapping(config.bridges or None)
    except (PersistenceConfigError, BridgeConfigError) as error:
        raise ConfigError(error.path, error.message) from error

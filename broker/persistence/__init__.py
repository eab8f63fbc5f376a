"""Durable broker state: a journal of small records with group commit, snapshots and recovery.

``Store.open(folder) -> (Store, RecoveredState)``; see ``docs/persistence.md``.
"""

from broker.persistence.records import (
    RecoveredState,
    StoredDelivery,
    StoredMessage,
    StoredProperties,
    StoredSession,
    StoredSubscription,
    StoredWill,
)
from broker.persistence.store import Store, StoreError, StoreStats, UnknownSession

__all__ = [
    "RecoveredState",
    "Store",
    "StoreError",
    "StoreStats",
    "StoredDelivery",
    "StoredMessage",
    "StoredProperties",
    "StoredSession",
    "StoredSubscription",
    "StoredWill",
    "UnknownSession",
]

"""The hub: sessions, routing, retained messages, wills and expiry. Synchronous; time is passed in."""

from __future__ import annotations

from dataclasses import dataclass

from broker.core.access import Gatekeeper
from broker.core.messages import Delivery, Message, will_message
from broker.core.retained import RetainedDeliveries, RetainedStore
from broker.core.sessions import NEVER_EXPIRES, QueueLimits, Session, Subscriber
from broker.core.subscriptions import Match, Subscription, SubscriptionTree


@dataclass(slots=True)
class Stats:
    """Counters for ``$SYS/broker/...`` (the protocol and server layers add to them)."""

    messages_received: int = 0
    messages_sent: int = 0
    publish_received: int = 0
    publish_sent: int = 0
    publish_dropped: int = 0
    bytes_received: int = 0
    bytes_sent: int = 0
    connections_total: int = 0
    internal_errors: int = 0


class Broker:
    """Everything shared between connections. One per server; not thread-safe (one event loop)."""

    def __init__(
        self,
        queue_limits: QueueLimits | None = None,
        max_retained: int = 100_000,
    ) -> None:
        self.sessions: dict[str, Session] = {}
        self.subscriptions = SubscriptionTree()
        self.retained = RetainedStore(max_retained)
        self.queue_limits = queue_limits or QueueLimits()
        self.stats = Stats()
        self.gatekeeper: Gatekeeper | None = None  # None: anonymous access, no ACL
        self._waiting: dict[str, Session] = {}  # offline sessions with an expiry or a delayed will

    @property
    def clients_connected(self) -> int:
        return sum(1 for session in self.sessions.values() if session.connection is not None)

    def is_online(self, client_id: str) -> bool:
        session = self.sessions.get(client_id)
        return session is not None and session.connection is not None

    # ---- connections and sessions -------------------------------------------------------------

    def open_session(
        self, client_id: str, clean_start: bool, connection: Subscriber, now: float
    ) -> tuple[Session, bool]:
        """Attach a new connection to its session; returns (session, session_present).

        A connection already using the session is taken over [MQTT-3.1.4-3]: its will follows the
        normal rules (delayed wills are cancelled by this new connection [MQTT-3.1.3-9] unless
        clean start ends the session, in which case the will goes out at once).
        """
        old = self.sessions.get(client_id)
        if old is not None and old.connection is not None:
            previous = old.connection
            self.detach(old, previous, publish_will=True, now=now, ending=clean_start)
            previous.take_over()
            old = self.sessions.get(client_id)  # gone if it ended with the old connection
        if old is not None and old.will is not None:
            if clean_start:
                self._publish_will(old, now)
            old.will = None
            old.will_due = None
        self._waiting.pop(client_id, None)
        if old is not None and old.has_subscriptions:  # only a subscribed session is named by routes
            self.subscriptions.invalidate_routes()
        if old is not None and not clean_start:
            old.connection = connection
            old.expires_at = None
            return old, True
        if old is not None:
            self.discard(old)
        session = Session(client_id)
        session.connection = connection
        self.sessions[client_id] = session
        return session, False

    def detach(
        self, session: Session, connection: Subscriber, publish_will: bool, now: float, ending: bool = False
    ) -> None:
        """The connection ended. Publish or schedule the will; end or park the session.

        ``ending`` says the session ends now whatever its expiry (a takeover with clean start).
        """
        if session.connection is not connection:
            return  # already taken over
        session.connection = None
        if session.has_subscriptions:  # only a subscribed session is named by routes
            self.subscriptions.invalidate_routes()
        will = session.will
        if will is None or not publish_will:
            session.will = None
        else:
            delay = getattr(will.properties, "will_delay_interval", None) or 0
            if delay == 0 or session.expiry_interval == 0 or ending:
                self._publish_will(session, now)  # [MQTT-3.1.3-9]: at once when the session ends first
            else:
                session.will_due = now + min(delay, session.expiry_interval)
        if session.expiry_interval == 0 or ending:
            if not ending:
                self.discard(session)
            return
        if session.expiry_interval != NEVER_EXPIRES:
            session.expires_at = now + session.expiry_interval
        if session.expires_at is not None or session.will_due is not None:
            self._waiting[session.client_id] = session

    def discard(self, session: Session) -> None:
        """End a session: its subscriptions and queued messages go [MQTT-4.1.0-2]."""
        for subscription in session.subscriptions.values():
            self.subscriptions.remove(session.client_id, subscription.topic_filter, subscription.share_group)
        session.clear_delivery_state()
        if self.sessions.get(session.client_id) is session:
            del self.sessions[session.client_id]
        self._waiting.pop(session.client_id, None)

    def _publish_will(self, session: Session, now: float) -> None:
        will = session.will
        session.will = None
        session.will_due = None
        if will is not None and (session.rules is None or session.rules.allows(will.topic, "write")):
            self.publish(will_message(will, session.client_id, now), now)

    def tick(self, now: float) -> None:
        """Fire delayed wills and end expired offline sessions (called about once a second)."""
        for session in list(self._waiting.values()):
            if session.will_due is not None and now >= session.will_due:
                self._publish_will(session, now)
            if session.expires_at is not None and now >= session.expires_at:
                self._publish_will(session, now)
                self.discard(session)
            elif session.will_due is None and session.expires_at is None:
                self._waiting.pop(session.client_id, None)
        self.retained.remove_expired(now)

    # ---- subscriptions -----------------------------------------------------------------------

    def subscribe(self, session: Session, subscription: Subscription, now: float) -> RetainedDeliveries:
        """Add a subscription; returns the retained messages to send for it [MQTT-3.3.1-6]."""
        existed = self.subscriptions.add(subscription)
        session.subscriptions[subscription.key] = subscription
        ids = (subscription.identifier,) if subscription.identifier else ()
        handling = subscription.retain_handling
        if subscription.share_group is not None or handling == 2 or (handling == 1 and existed):
            return RetainedDeliveries([], subscription.qos, ids)
        messages = self.retained.match(subscription.topic_filter, now)
        rules = session.rules
        if rules is not None:
            messages = [message for message in messages if rules.allows(message.topic, "read")]
        return RetainedDeliveries(messages, subscription.qos, ids)

    def unsubscribe(self, session: Session, key: str) -> bool:
        subscription = session.subscriptions.pop(key, None)
        if subscription is None:
            return False
        return self.subscriptions.remove(
            session.client_id, subscription.topic_filter, subscription.share_group
        )

    # ---- routing ----------------------------------------------------------------------------

    def publish(self, message: Message, now: float) -> int:
        """Route one message: retain it if asked, then hand it to every matching session.

        Returns how many clients it went to (or was queued for).
        """
        if message.retain:
            self.retained.store(message)
        direct, shared = self.subscriptions.match(message.topic, message.sender_id, self.is_online)
        sessions = self.sessions
        for client_id, match in direct.items():  # the hot loop: kept flat on purpose
            session = sessions[client_id]
            if session.rules is not None and not session.rules.allows(message.topic, "read"):
                continue
            qos = message.qos if message.qos < match.qos else match.qos
            # [MQTT-3.3.1-9]: RETAIN cleared for established subscriptions unless retain as published
            delivery = Delivery(message, qos, message.retain and match.retain_as_published, match.identifiers)
            connection = session.connection
            if connection is not None:
                connection.deliver(delivery)
            elif qos and not session.enqueue(delivery, self.queue_limits):
                self.stats.publish_dropped += 1
        for client_id, match in shared:
            self._deliver(sessions[client_id], message, match)
        return len(direct) + len(shared)

    def _deliver(self, session: Session, message: Message, match: Match) -> None:
        if session.rules is None or session.rules.allows(message.topic, "read"):
            self.deliver_to(session, message, match)

    def deliver_to(self, session: Session, message: Message, match: Match) -> None:
        """Hand ``message`` to one session its read access was checked for: online through its
        connection, offline queued when the subscription's QoS is 1 or 2 (drops counted)."""
        qos = message.qos if message.qos < match.qos else match.qos
        retain = message.retain and match.retain_as_published  # [MQTT-3.3.1-9], v5 [MQTT-3.3.1-12/13]
        delivery = Delivery(message, qos, retain, match.identifiers)
        connection = session.connection
        if connection is not None:
            connection.deliver(delivery)
        elif qos > 0 and not session.enqueue(delivery, self.queue_limits):
            self.stats.publish_dropped += 1

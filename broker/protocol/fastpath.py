"""Plain PUBLISH packets handled from their bytes: the broker's hot path.

Most traffic on a sensor network is QoS 0 or 1 without RETAIN, DUP or properties. The decoder
hands such packets over as raw bytes (``StreamDecoder(fast_forms=True)``) and this module routes
them without building a ``Publish``:

- each publishing connection caches a ``Route`` per topic (its length-prefixed bytes): the
  matching sessions, already filtered by the ACL and no-local, so matching and access checks
  happen once per topic, not once per message;
- QoS 0: a plain PUBLISH reaches a subscriber byte for byte as it arrived (MQTT 5 and 3.1.1
  differ only by the empty property list, added or removed), so consecutive packets with the
  same route (a run: one sensor's burst, one client's batch) are appended to each subscriber's
  outbox together and no ``Message`` or ``Delivery`` is made. A congested reader loses the run's
  messages, counted, as ``outgoing.deliver`` drops QoS 0 per message;
- QoS 1: a ``Message`` and ``Delivery`` are still made (they are what the session keeps until
  the PUBACK and what persistence records) and each goes through ``outgoing.deliver`` (send
  window, queue, congestion); what is saved is decoding, matching, access checks and encoding:
  the subscribers' bytes are the received ones with another packet id.

The first packet on a topic goes the normal way (``decode_publish`` + ``handle_publish``, which
validate the topic and check the publisher's ACL and limits) and then builds the route. A topic
matched by a shared subscription is ``SLOW`` (a member is chosen per message); QoS 0 also takes
the normal path when some subscriber needs more than bytes (subscription identifiers, outgoing
topic aliases, a smaller Maximum Packet Size, a subscriber that is not a network connection).
Every cached route is dropped when the subscription tree's ``epoch`` moves: any subscribe,
unsubscribe, connect or disconnect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import ProtocolVersion, ReasonCode
from broker.codec.primitives import encode_varint
from broker.codec.publish import PublishTemplate, decode_publish
from broker.core.messages import Delivery, Message
from broker.protocol.handlers.publish import acknowledge, handle_publish

if TYPE_CHECKING:
    from broker.core.broker import Stats
    from broker.core.sessions import Session
    from broker.core.subscriptions import Match
    from broker.protocol.connection import Connection

V5 = ProtocolVersion.V5
PLAIN_QOS0 = 0x30  # first byte of a plain QoS 0 PUBLISH (a plain QoS 1 one is 0x32)
MAX_ROUTES = 4096  # per publishing connection, as the match cache; cleared when full (sensor topics repeat)


class Route:
    """What the fast path knows about one topic from one publisher.

    QoS 0: the subscribers that take the publisher's bytes as they are (``same``) and those that
    need the other version's form (``other``); when ``bytes_only`` is False some subscriber needs
    more than bytes and QoS 0 takes the normal path. QoS 1: every matching session with its match
    (``receivers``, read access already checked) and how many matched (``matched``, for MQTT 5's
    No matching subscribers), so only the per-message work is left.
    """

    __slots__ = ("bytes_only", "matched", "other", "receivers", "same", "topic")

    def __init__(
        self,
        topic: str,
        receivers: tuple[tuple[Session, Match], ...] = (),
        matched: int = 0,
        same: tuple[Connection, ...] = (),
        other: tuple[Connection, ...] = (),
        bytes_only: bool = False,
    ) -> None:
        self.topic = topic
        self.receivers = receivers
        self.matched = matched
        self.same = same
        self.other = other
        self.bytes_only = bytes_only


SLOW = Route("")  # marker: this topic always takes the normal path


class Routes:
    """One publishing connection's routes, valid while the subscription tree's epoch is ``epoch``."""

    __slots__ = ("epoch", "table")

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.table: dict[bytes, Route] = {}


def header_length(raw: bytes) -> int:
    """Bytes of the fixed header (type byte + Remaining Length) of one whole packet."""
    length = 2
    while raw[length - 1] >= 128:
        length += 1
    return length


def forward_plain(conn: Connection, packets: list, start: int) -> int:
    """Forward the raw plain PUBLISH packets from ``packets[start]``; returns the index of the first
    packet that is not one. Errors in a first-seen topic raise as ``handle_publish`` does, after
    everything before that packet went out."""
    tree = conn.broker.subscriptions
    routes = conn.plain_routes
    if routes is None or routes.epoch != tree.epoch:
        routes = conn.plain_routes = Routes(tree.epoch)
    table = routes.table
    run_route: Route | None = None
    run_start = index = start
    end = len(packets)
    while index < end:
        raw = packets[index]
        if type(raw) is not bytes:
            break
        size = 2 if raw[1] < 128 else header_length(raw)
        route = table.get(raw[size : size + 2 + ((raw[size] << 8) | raw[size + 1])])
        is_qos0 = raw[0] == PLAIN_QOS0
        if route is run_route and is_qos0 and route is not None:
            index += 1
            continue
        if run_route is not None:
            _emit(conn, run_route, packets[run_start:index])
            run_route = None
        index += 1
        if route is None or route is SLOW or (is_qos0 and not route.bytes_only):
            _handle_slowly(conn, raw, size, table)
            if conn.is_closing:
                return index
        elif is_qos0:
            run_route, run_start = route, index - 1
        else:
            _forward_qos1(conn, route, raw, size)
    if run_route is not None:
        _emit(conn, run_route, packets[run_start:index])
    return index


def _handle_slowly(conn: Connection, raw: bytes, size: int, table: dict[bytes, Route]) -> None:
    """The normal path for one packet; then remember how its topic can be routed next time."""
    conn.broker.stats.messages_received += 1
    publish = decode_publish(raw[0] & 0x0F, raw, size, len(raw), conn.version)
    if conn.version != V5 and raw[0] == PLAIN_QOS0:
        publish.raw = raw  # subscribers on 3.1/3.1.1 share these bytes (outgoing.PLAIN)
    tree = conn.broker.subscriptions
    epoch = tree.epoch
    handle_publish(conn, publish)
    if conn.is_closing or tree.epoch != epoch:
        return
    if len(table) >= MAX_ROUTES:
        table.clear()
    topic_field = raw[size : size + 2 + ((raw[size] << 8) | raw[size + 1])]
    table[topic_field] = build_route(conn, publish.topic)


def build_route(conn: Connection, topic: str) -> Route:
    """Who receives a plain message from ``conn`` on ``topic``, or SLOW when it is not that simple."""
    broker = conn.broker
    rules = conn.session.rules
    if rules is not None and not rules.allows(topic, "write"):
        return SLOW
    direct = broker.subscriptions.direct_matches(topic, conn.client_id)
    if direct is None:
        return SLOW  # a shared group: its member is chosen per message [MQTT-4.8.2-3]
    receivers: list[tuple[Session, Match]] = []
    for client_id, match in direct.items():
        session = broker.sessions[client_id]
        if session.rules is None or session.rules.allows(topic, "read"):
            receivers.append((session, match))
    same, other, bytes_only = _bytes_receivers(conn, receivers)
    return Route(topic, tuple(receivers), len(direct), same, other, bytes_only)


def _bytes_receivers(
    conn: Connection, receivers: list[tuple[Session, Match]]
) -> tuple[tuple[Connection, ...], tuple[Connection, ...], bool]:
    """The online receivers of a QoS 0 message, by wire form, and whether bytes are all they need."""
    publisher_is_v5 = conn.version == V5
    same: list[Connection] = []
    other: list[Connection] = []
    for session, match in receivers:
        target = session.connection
        if target is None:
            continue  # offline: QoS 0 is not queued
        if type(target) is not type(conn) or not _takes_bytes(conn, target, match.identifiers):
            return (), (), False
        (same if (target.version == V5) == publisher_is_v5 else other).append(target)
    return tuple(same), tuple(other), True


def _forward_qos1(conn: Connection, route: Route, raw: bytes, size: int) -> None:
    """A plain QoS 1 PUBLISH: routed as ``Broker.publish`` does, with the routing already decided and
    the subscribers' packet bytes cut from the received ones (only the packet id differs)."""
    broker = conn.broker
    stats = broker.stats
    stats.messages_received += 1
    stats.publish_received += 1
    topic_end = size + 2 + ((raw[size] << 8) | raw[size + 1])
    is_v5 = conn.version == V5
    message = Message(route.topic, raw[topic_end + 2 + is_v5 :], 1, False, None, None, conn.client_id)
    message.encodings[(V5, 1, False) if is_v5 else (1, False)] = PublishTemplate.from_received(raw, topic_end)
    limits = broker.queue_limits
    for session, match in route.receivers:
        delivery = Delivery(message, 1 if match.qos else 0, False, match.identifiers)
        target = session.connection
        if target is not None:
            target.deliver(delivery)
        elif match.qos and not session.enqueue(delivery, limits):
            stats.publish_dropped += 1
    reason = ReasonCode.SUCCESS if route.matched or not is_v5 else ReasonCode.NO_MATCHING_SUBSCRIBERS
    acknowledge(conn, (raw[topic_end] << 8) | raw[topic_end + 1], reason)


def _takes_bytes(conn: Connection, target: Connection, identifiers: tuple[int, ...]) -> bool:
    """Whether ``target`` gets exactly the plain bytes: any packet ``conn`` may send fits the target's
    Maximum Packet Size (+2 for an added property list) and, for MQTT 5, no subscription ids
    [MQTT-3.3.4-3] and no outgoing topic alias to assign."""
    if target.client_maximum_packet_size < conn.limits.max_packet_size + 2:
        return False
    if target.version != V5:
        return True
    return not identifiers and not (
        target.client_topic_alias_maximum and target.limits.outgoing_topic_aliases
    )


def _emit(conn: Connection, route: Route, chunk: list[bytes]) -> None:
    """Append one run to every receiver's outbox; a congested reader loses QoS 0, as in outgoing.deliver."""
    stats = conn.broker.stats
    count = len(chunk)
    stats.messages_received += count
    stats.publish_received += count
    delivered = _append(route.same, chunk, stats)
    if route.other:
        convert = to_v311 if conn.version == V5 else to_v5
        delivered += _append(route.other, [convert(raw) for raw in chunk], stats)
    stats.publish_sent += delivered * count


def _append(targets: tuple[Connection, ...], chunk: list[bytes], stats: Stats) -> int:
    delivered = 0
    for target in targets:
        if target.is_congested:
            stats.publish_dropped += len(chunk)
            continue
        target.write_many(chunk)
        delivered += 1
    return delivered


def to_v5(raw: bytes) -> bytes:
    """A 3.1.1 plain PUBLISH as MQTT 5: an empty property list after the topic."""
    size = header_length(raw)
    topic_end = size + 2 + ((raw[size] << 8) | raw[size + 1])
    remaining = len(raw) - size + 1
    return b"".join((b"\x30", encode_varint(remaining), raw[size:topic_end], b"\x00", raw[topic_end:]))


def to_v311(raw: bytes) -> bytes:
    """An MQTT 5 plain PUBLISH (empty property list) as 3.1/3.1.1: the property length byte removed."""
    size = header_length(raw)
    topic_end = size + 2 + ((raw[size] << 8) | raw[size + 1])
    remaining = len(raw) - size - 1
    return b"".join((b"\x30", encode_varint(remaining), raw[size:topic_end], raw[topic_end + 1 :]))

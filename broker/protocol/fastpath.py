"""Plain QoS 0 PUBLISH forwarded as bytes, one run at a time: the broker's hot path.

Most traffic on a sensor network is QoS 0 without RETAIN or properties, and a PUBLISH like that
reaches a subscriber byte for byte as it arrived (MQTT 5 and 3.1.1 differ only by the empty
property list, which is added or removed). So the decoder hands such packets over as raw bytes
(``StreamDecoder(raw_plain_publish=True)``) and this module forwards them without building a
``Publish``, ``Message`` or ``Delivery``:

- each publishing connection caches a ``Route`` per topic (its length-prefixed bytes): who gets
  the message, already filtered by the ACL, no-local and the subscribers' limits;
- consecutive packets with the same route (a run, typically one sensor's burst or one client's
  batch) are appended to each subscriber's outbox together, so the cost per message is framing
  and one dict lookup.

The first packet on a topic goes the normal way (``decode_publish`` + ``handle_publish``, which
validate the topic and check the publisher's ACL and limits) and then builds the route; a topic
whose delivery needs more than bytes (shared subscriptions, subscription identifiers, outgoing
topic aliases, a subscriber's smaller Maximum Packet Size, a subscriber that is not a network
connection) is marked ``SLOW`` and always goes the normal way. Every cached route is dropped when
the subscription tree's ``epoch`` moves: any subscribe, unsubscribe, connect or disconnect.
Congestion is checked per run, as ``outgoing.deliver`` does per message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import ProtocolVersion
from broker.codec.primitives import encode_varint
from broker.codec.publish import decode_publish
from broker.protocol.handlers.publish import handle_publish

if TYPE_CHECKING:
    from broker.core.broker import Stats
    from broker.protocol.connection import Connection

V5 = ProtocolVersion.V5
MAX_ROUTES = 1024  # per publishing connection; cleared when full (sensor topics repeat)


class Route:
    """Where a plain message on one topic goes: subscribers that take the publisher's bytes as
    they are (``same``) and those that need the other version's form (``other``)."""

    __slots__ = ("other", "same")

    def __init__(self, same: tuple[Connection, ...], other: tuple[Connection, ...]) -> None:
        self.same = same
        self.other = other


SLOW = Route((), ())  # marker: this topic always takes the normal path


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
    """Forward the run of raw plain PUBLISH packets from ``packets[start]``; returns the index of the
    first packet that is not one. Errors in a first-seen topic raise as ``handle_publish`` does,
    after everything before that packet went out."""
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
        if route is run_route and route is not None:
            index += 1
            continue
        if run_route is not None:
            _emit(conn, run_route, packets[run_start:index])
            run_route = None
        index += 1
        if route is None or route is SLOW:
            _handle_slowly(conn, raw, size, table)
            if conn.is_closing:
                return index
        else:
            run_route, run_start = route, index - 1
    if run_route is not None:
        _emit(conn, run_route, packets[run_start:index])
    return index


def _handle_slowly(conn: Connection, raw: bytes, size: int, table: dict[bytes, Route]) -> None:
    """The normal path for one packet; then remember how its topic can be routed next time."""
    conn.broker.stats.messages_received += 1
    publish = decode_publish(0, raw, size, len(raw), conn.version)
    if conn.version != V5:
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
    """Who receives a plain message from ``conn`` on ``topic``, or SLOW when bytes are not enough."""
    broker = conn.broker
    rules = conn.session.rules
    if rules is not None and not rules.allows(topic, "write"):
        return SLOW
    direct = broker.subscriptions.direct_matches(topic, conn.client_id)
    if direct is None:
        return SLOW
    publisher_is_v5 = conn.version == V5
    same: list[Connection] = []
    other: list[Connection] = []
    for client_id, match in direct.items():
        session = broker.sessions[client_id]
        target = session.connection
        if target is None:
            continue  # offline: QoS 0 is not queued [MQTT-3.1.2-5 note; MQTT5 4.1]
        if type(target) is not type(conn) or not _takes_bytes(conn, target, match.identifiers):
            return SLOW
        if session.rules is not None and not session.rules.allows(topic, "read"):
            continue
        (same if (target.version == V5) == publisher_is_v5 else other).append(target)
    return Route(tuple(same), tuple(other))


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

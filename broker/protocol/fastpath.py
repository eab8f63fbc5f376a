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
- QoS 1: a ``Message`` and one shared ``Delivery`` are still made (they are what each session
  keeps until the PUBACK and what persistence records). A subscriber on the publisher's protocol
  version whose send window has room gets the received bytes with its own packet id, written
  straight away (``Route.direct``); any other receiver, or a full window, congestion or a waiting
  queue, goes through ``outgoing.deliver`` (``Route.general``). What is saved is decoding,
  matching, access checks, encoding and most of the per-subscriber calls.

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

from broker.codec import ProtocolVersion
from broker.codec.primitives import encode_varint, fixed_header_length
from broker.codec.publish import decode_publish
from broker.protocol.fastpath_qos1 import forward_qos1_run
from broker.protocol.handlers.publish import handle_publish

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
    more than bytes and QoS 0 takes the normal path. QoS 1: the online sessions granted QoS 1 or 2
    that take the publisher's bytes with their own packet id (``direct``), every other matching
    session with its match (``general``; read access is already checked for both) and how many
    matched (``matched``, for MQTT 5's No matching subscribers), so only the per-message work is left.
    """

    __slots__ = ("bytes_only", "direct", "general", "matched", "other", "same", "topic")

    def __init__(
        self,
        topic: str,
        matched: int = 0,
        direct: tuple[tuple[Session, Connection], ...] = (),
        general: tuple[tuple[Session, Match], ...] = (),
        same: tuple[Connection, ...] = (),
        other: tuple[Connection, ...] = (),
        bytes_only: bool = False,
    ) -> None:
        self.topic = topic
        self.matched = matched
        self.direct = direct
        self.general = general
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
    run_first_byte = PLAIN_QOS0
    run_start = index = start
    end = len(packets)
    while index < end:
        raw = packets[index]
        if type(raw) is not bytes:
            break
        size = 2 if raw[1] < 128 else fixed_header_length(raw)
        route = table.get(raw[size : size + 2 + ((raw[size] << 8) | raw[size + 1])])
        first_byte = raw[0]
        if route is run_route and first_byte == run_first_byte and route is not None:
            index += 1
            continue
        if run_route is not None:
            _emit_run(conn, run_route, run_first_byte, packets[run_start:index])
            run_route = None
        index += 1
        if route is None or route is SLOW or (first_byte == PLAIN_QOS0 and not route.bytes_only):
            _handle_slowly(conn, raw, size, table)
            if conn.is_closing:
                return index
        else:
            run_route, run_first_byte, run_start = route, first_byte, index - 1
    if run_route is not None:
        _emit_run(conn, run_route, run_first_byte, packets[run_start:index])
    return index


def _emit_run(conn: Connection, route: Route, first_byte: int, chunk: list[bytes]) -> None:
    if first_byte == PLAIN_QOS0:
        _emit(conn, route, chunk)
    else:
        forward_qos1_run(conn, route, chunk)


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
    qos1_direct, qos1_general = _qos1_receivers(conn, receivers)
    return Route(topic, len(direct), qos1_direct, qos1_general, same, other, bytes_only)


def _qos1_receivers(
    conn: Connection, receivers: list[tuple[Session, Match]]
) -> tuple[tuple[tuple[Session, Connection], ...], tuple[tuple[Session, Match], ...]]:
    """The receivers of a plain QoS 1 message that take its bytes with another packet id (online,
    granted QoS 1 or 2, same wire form as the publisher's), and the rest."""
    publisher_is_v5 = conn.version == V5
    direct: list[tuple[Session, Connection]] = []
    general: list[tuple[Session, Match]] = []
    for session, match in receivers:
        target = session.connection
        if (
            target is not None
            and match.qos
            and type(target) is type(conn)
            and (target.version == V5) == publisher_is_v5
            and _takes_bytes(conn, target, match.identifiers, growth=0)
        ):
            direct.append((session, target))
        else:
            general.append((session, match))
    return tuple(direct), tuple(general)


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


def _takes_bytes(conn: Connection, target: Connection, identifiers: tuple[int, ...], growth: int = 2) -> bool:
    """Whether ``target`` gets exactly the plain bytes: any packet ``conn`` may send fits the target's
    Maximum Packet Size (+``growth``: 2 when a property list may be added) and, for MQTT 5, no
    subscription ids [MQTT-3.3.4-3] and no outgoing topic alias to assign."""
    if target.client_maximum_packet_size < conn.limits.max_packet_size + growth:
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
    size = fixed_header_length(raw)
    topic_end = size + 2 + ((raw[size] << 8) | raw[size + 1])
    remaining = len(raw) - size + 1
    return b"".join((b"\x30", encode_varint(remaining), raw[size:topic_end], b"\x00", raw[topic_end:]))


def to_v311(raw: bytes) -> bytes:
    """An MQTT 5 plain PUBLISH (empty property list) as 3.1/3.1.1: the property length byte removed."""
    size = fixed_header_length(raw)
    topic_end = size + 2 + ((raw[size] << 8) | raw[size + 1])
    remaining = len(raw) - size - 1
    return b"".join((b"\x30", encode_varint(remaining), raw[size:topic_end], raw[topic_end + 1 :]))

"""Runs of plain QoS 1 PUBLISH packets on one topic, forwarded from their bytes (see fastpath.py).

A ``Message`` and one ``Delivery`` per packet are still made: they are what each subscriber's
session keeps until the PUBACK, what a reconnect resends and what persistence records. Everything
else is done once per run: a subscriber on the publisher's protocol version (``Route.direct``)
takes the received bytes with its own packet ids for as many messages as its send window has room
[MQTT-3.3.4-9], in one write; the rest of the run waits in its session queue as
``outgoing.deliver`` would queue it. Other receivers (another version, subscription ids, QoS 0
granted, offline) take ``Broker.deliver_to`` per message. The publisher's PUBACKs go out in one write,
in the order the packets came [MQTT-4.6.0-2].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import ProtocolVersion, ReasonCode
from broker.codec.primitives import fixed_header_length
from broker.codec.publish import PublishTemplate
from broker.core.messages import Delivery, Message
from broker.protocol.handlers.publish import acknowledge

if TYPE_CHECKING:
    from broker.core.broker import Stats
    from broker.core.sessions import Session
    from broker.protocol.connection import Connection
    from broker.protocol.fastpath import Route

V5 = ProtocolVersion.V5
PUBACK_HEAD = b"\x40\x02"  # a success PUBACK is these two bytes and the packet id in every version


class _Run:
    """One run's messages: each one's ``Delivery`` and the received bytes before and after its packet
    id, and the ``Message.encodings`` key those bytes stand for (outgoing.py)."""

    __slots__ = ("deliveries", "heads", "key", "tails")

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.deliveries: list[Delivery] = []
        self.heads: list[bytes] = []
        self.tails: list[bytes] = []


def forward_qos1_run(conn: Connection, route: Route, chunk: list[bytes]) -> None:
    """Route a run of plain QoS 1 PUBLISH packets (same topic) as ``Broker.publish`` would."""
    broker = conn.broker
    stats = broker.stats
    stats.messages_received += len(chunk)
    stats.publish_received += len(chunk)
    is_v5 = conn.version == V5
    first = chunk[0]
    header = fixed_header_length(first)
    field_length = 2 + ((first[header] << 8) | first[header + 1])  # the topic's, the same in the whole run
    topic, sender = route.topic, conn.client_id
    run = _Run((V5, 1, False) if is_v5 else (1, False))
    packet_ids: list[bytes] = []
    for raw in chunk:
        topic_end = (2 if raw[1] < 128 else fixed_header_length(raw)) + field_length
        message = Message(topic, raw[topic_end + 2 + is_v5 :], 1, False, None, None, sender)
        run.deliveries.append(Delivery(message, 1))
        run.heads.append(raw[:topic_end])
        run.tails.append(raw[topic_end + 2 :])
        packet_ids.append(raw[topic_end : topic_end + 2])
    for session, target in route.direct:
        _send_run(session, target, run, stats)
    if route.general:
        for delivery, head, tail in zip(run.deliveries, run.heads, run.tails, strict=True):
            message = delivery.message
            message.encodings[run.key] = PublishTemplate.from_parts(head, tail)
            for session, match in route.general:  # read access already checked for the route
                broker.deliver_to(session, message, match)
    _acknowledge_run(conn, packet_ids, route.matched or not is_v5)


def _send_run(session: Session, target: Connection, run: _Run, stats: Stats) -> None:
    """``outgoing.deliver`` for a run to one subscriber, inlined: as many as its window has room for
    go out with fresh packet ids in one write; the rest waits in its session queue, in order."""
    room = 0 if target.is_congested or session.queue else target.send_window - session.unacknowledged
    out: list[bytes] = []
    heads, tails = run.heads, run.tails
    for index, delivery in enumerate(run.deliveries):
        if index >= room or (packet_id := session.send_slot(delivery)) is None:
            _write(target, out, stats)
            out = []
            _queue_rest(session, target, run, index, stats)
            break
        out.append(b"".join((heads[index], packet_id.to_bytes(2, "big"), tails[index])))
    _write(target, out, stats)


def _queue_rest(session: Session, target: Connection, run: _Run, start: int, stats: Stats) -> None:
    """The run from ``start`` waits in the session queue, in order [MQTT-3.3.4-9], as
    ``outgoing.deliver`` queues it (dropped and counted when the queue is full), each message with
    its received bytes kept as its template for when the queue drains."""
    limits = target.broker.queue_limits
    for index in range(start, len(run.deliveries)):
        delivery = run.deliveries[index]
        delivery.message.encodings[run.key] = PublishTemplate.from_parts(run.heads[index], run.tails[index])
        if not session.enqueue(delivery, limits):
            stats.publish_dropped += 1


def _write(target: Connection, out: list[bytes], stats: Stats) -> None:
    if out:
        target.write_many(out)
        stats.publish_sent += len(out)


def _acknowledge_run(conn: Connection, packet_ids: list[bytes], matched: bool) -> None:
    """The publisher's PUBACKs [MQTT-3.3.4-1], in order; MQTT 5 says 0x10 when nobody matched."""
    if matched and conn.client_maximum_packet_size >= 4:
        conn.write(PUBACK_HEAD + PUBACK_HEAD.join(packet_ids))
        conn.broker.stats.messages_sent += len(packet_ids)
        return
    reason = ReasonCode.SUCCESS if matched else ReasonCode.NO_MATCHING_SUBSCRIBERS
    for packet_id in packet_ids:
        acknowledge(conn, int.from_bytes(packet_id, "big"), reason)

"""SUBSCRIBE and UNSUBSCRIBE, answered with SUBACK / UNSUBACK; retained messages follow the SUBACK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from broker.codec import (
    SUBACK_FAILURE_V311,
    ProtocolVersion,
    ReasonCode,
    SubAck,
    Subscribe,
    SubscriptionRequest,
    UnsubAck,
    Unsubscribe,
)
from broker.core.retained import RetainedDeliveries
from broker.core.subscriptions import Subscription
from broker.protocol import outgoing
from broker.protocol.errors import ProtocolViolation
from broker.protocol.limit_checks import topic_limit_problem
from broker.topics import TopicError, parse_filter

if TYPE_CHECKING:
    from broker.protocol.connection import Connection


def _subscribe_one(
    conn: Connection, request: SubscriptionRequest, identifier: int | None, retained: list[RetainedDeliveries]
) -> int:
    """Add one subscription; returns its SUBACK code (granted QoS or a failure code)."""
    is_v5 = conn.version == ProtocolVersion.V5
    try:
        parsed = parse_filter(request.topic_filter)
    except TopicError:
        return ReasonCode.TOPIC_FILTER_INVALID if is_v5 else SUBACK_FAILURE_V311
    if topic_limit_problem(conn.limits, request.topic_filter) is not None:
        return ReasonCode.TOPIC_FILTER_INVALID if is_v5 else SUBACK_FAILURE_V311
    rules = conn.session.rules
    if rules is not None and not rules.allows(request.topic_filter, "subscribe"):
        return ReasonCode.NOT_AUTHORIZED if is_v5 else SUBACK_FAILURE_V311
    if parsed.share_group is not None and request.no_local:
        raise ProtocolViolation(
            ReasonCode.PROTOCOL_ERROR, "no local on a shared subscription", "MQTT-3.8.3-4"
        )
    subscription = Subscription(
        client_id=conn.client_id,
        topic_filter=parsed.topic_filter,
        qos=request.qos,
        no_local=request.no_local and is_v5,
        retain_as_published=request.retain_as_published and is_v5,
        retain_handling=request.retain_handling if is_v5 else 0,
        identifier=identifier,
        share_group=parsed.share_group,
    )
    retained.append(conn.broker.subscribe(conn.session, subscription, conn.clock()))
    return request.qos


def handle_subscribe(conn: Connection, packet: Subscribe) -> None:
    """Grant each filter (same filter replaces the old subscription [MQTT-3.8.4-3]), SUBACK, then retained."""
    identifiers = packet.properties.subscription_identifiers
    identifier = identifiers[0] if identifiers else None
    retained: list[RetainedDeliveries] = []
    codes = [_subscribe_one(conn, request, identifier, retained) for request in packet.subscriptions]
    conn.send(SubAck(packet.packet_id, codes))  # [MQTT-3.8.4-1], one code per filter [MQTT-3.8.4-6]
    for deliveries in retained:
        outgoing.deliver_retained(conn, deliveries)


def handle_unsubscribe(conn: Connection, packet: Unsubscribe) -> None:
    """Remove each filter; MQTT 5 says per filter whether it existed [MQTT-3.11.3-1]."""
    codes = []
    for topic_filter in packet.topic_filters:
        try:
            parse_filter(topic_filter)
        except TopicError:
            codes.append(ReasonCode.TOPIC_FILTER_INVALID)
            continue
        existed = conn.broker.unsubscribe(conn.session, topic_filter)
        codes.append(ReasonCode.SUCCESS if existed else ReasonCode.NO_SUBSCRIPTION_EXISTED)
    if conn.version != ProtocolVersion.V5:
        codes = []
    conn.send(UnsubAck(packet.packet_id, codes))

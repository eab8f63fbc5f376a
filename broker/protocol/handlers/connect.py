"""CONNECT: identity, session, keepalive, limits both ways, will; answered with CONNACK."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from broker.codec import ConnAck, Connect, Properties, ProtocolVersion, ReasonCode
from broker.codec.encoder import encode
from broker.core.sessions import NEVER_EXPIRES
from broker.protocol import outgoing
from broker.protocol.errors import ConnectRefused, ProtocolViolation
from broker.protocol.limit_checks import check_will_topic
from broker.protocol.limits import MAX_PACKET_SIZE_LIMIT, ProtocolLimits
from broker.topics import TopicError, validate_topic_name

if TYPE_CHECKING:
    from broker.protocol.connection import Connection

V31_MAX_CLIENT_ID = 23
_VERSION_OF_LEVEL = {version.value: version for version in ProtocolVersion}
# Success CONNACK bytes by (version, limits, session present): the same for every client that is not
# assigned an id or a keepalive, so encoded once (a handful of entries: one limits object per broker).
_PLAIN_CONNACKS: dict[tuple[ProtocolVersion, ProtocolLimits, bool], bytes] = {}


def handle_connect(conn: Connection, packet: Connect) -> None:
    from broker.protocol.connection import State

    if conn.state is not State.AWAIT_CONNECT:
        raise ProtocolViolation(ReasonCode.PROTOCOL_ERROR, "second CONNECT", "MQTT-3.1.0-2")
    level = packet.protocol_version
    conn.version = version = _VERSION_OF_LEVEL.get(level) or ProtocolVersion(level)
    properties = packet.properties
    if version == ProtocolVersion.V5:
        _read_client_limits(conn, properties)
    client_id, assigned = _client_id(conn, packet)
    if packet.will is not None:
        _check_will(packet)
        check_will_topic(conn.limits, packet.will.topic)
    rules = _admit(conn, client_id, packet)
    server_keep_alive = _negotiate_keep_alive(conn, packet.keep_alive)
    session, present = conn.broker.open_session(client_id, packet.clean_start, conn, conn.clock())
    session.rules = rules
    conn.client_id, conn.session, conn.state = client_id, session, State.CONNECTED
    session.protocol_version = version
    session.expiry_interval = _session_expiry(packet)
    session.will = packet.will
    conn.broker.stats.connections_total += 1
    _send_connack(conn, present, assigned, server_keep_alive)
    if present:
        outgoing.resend_inflight(conn)
        outgoing.drain_queue(conn)


def _admit(conn: Connection, client_id: str, packet: Connect) -> object:
    """Ask the gatekeeper (if any): the client's rules, or CONNACK Not authorized (0x87 / 5)."""
    gatekeeper = conn.gatekeeper or conn.broker.gatekeeper
    if gatekeeper is None:
        return None
    rules = gatekeeper.admit(client_id, packet.username, packet.password)
    if rules is None:
        raise ConnectRefused(ReasonCode.NOT_AUTHORIZED, f"client {client_id!r} is not authorized")
    if packet.will is not None and not rules.allows(packet.will.topic, "write"):
        # Refused at once, so the client learns now (Mosquitto 2.0.11 accepts it and never says).
        raise ConnectRefused(ReasonCode.NOT_AUTHORIZED, f"will topic {packet.will.topic!r} is not writable")
    return rules


def _read_client_limits(conn: Connection, properties: Properties) -> None:
    if properties.authentication_method is not None:
        raise ConnectRefused(
            ReasonCode.BAD_AUTHENTICATION_METHOD, "enhanced authentication is not supported", "MQTT-4.12.0-1"
        )
    if properties.receive_maximum is not None:
        conn.set_client_receive_maximum(properties.receive_maximum)
    if properties.maximum_packet_size is not None:
        conn.client_maximum_packet_size = properties.maximum_packet_size
    conn.client_topic_alias_maximum = properties.topic_alias_maximum or 0
    conn.problem_information = properties.request_problem_information != 0
    # Topic aliases exist in MQTT 5 only: its clients get their own tables here, so a 3.1/3.1.1
    # connection never needs any (Connection may start with one shared empty, read-only table).
    conn.incoming_aliases, conn.outgoing_aliases = {}, {}


def _client_id(conn: Connection, packet: Connect) -> tuple[str, str | None]:
    """The client id to use, and the assigned one to tell an MQTT 5 client [MQTT-3.2.2-16]."""
    client_id = packet.client_id
    if client_id:
        too_long = packet.protocol_version == ProtocolVersion.V31 and len(client_id) > V31_MAX_CLIENT_ID
        if too_long or len(client_id) > conn.limits.max_client_id_length:
            raise ConnectRefused(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, "client identifier too long")
        return client_id, None
    if packet.protocol_version == ProtocolVersion.V31 or (
        packet.protocol_version == ProtocolVersion.V311 and not packet.clean_start
    ):
        raise ConnectRefused(
            ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
            "a zero-length client identifier needs clean session",
            "MQTT-3.1.3-8",
        )
    generated = f"auto-{secrets.token_hex(8)}"
    return generated, generated if packet.protocol_version == ProtocolVersion.V5 else None


def _check_will(packet: Connect) -> None:
    try:
        validate_topic_name(packet.will.topic)
    except TopicError as error:
        raise ConnectRefused(ReasonCode.TOPIC_NAME_INVALID, str(error), error.spec_id) from None
    properties = packet.will.properties
    if properties.payload_format_indicator == 1:
        try:
            packet.will.payload.decode("utf-8")
        except UnicodeDecodeError:
            raise ConnectRefused(
                ReasonCode.PAYLOAD_FORMAT_INVALID, "will payload is not UTF-8", "MQTT-3.1.3-11"
            ) from None


def _negotiate_keep_alive(conn: Connection, requested: int) -> int | None:
    """Apply ``max_keepalive``; returns the Server Keep Alive to advertise, if it differs [MQTT-3.2.2-21].

    3.1/3.1.1 have no way to tell the client, so their keepalive is kept as asked.
    """
    limit = conn.limits.max_keepalive
    if conn.version == ProtocolVersion.V5 and limit and (requested == 0 or requested > limit):
        conn.keep_alive = limit
        return limit
    conn.keep_alive = requested
    return None


def _session_expiry(packet: Connect) -> int:
    """MQTT 5 takes the Session Expiry Interval; 3.1.1 clean session maps to 0 or never [MQTT-3.1.2-6]."""
    if packet.protocol_version == ProtocolVersion.V5:
        return packet.properties.session_expiry_interval or 0
    return 0 if packet.clean_start else NEVER_EXPIRES


def _send_connack(
    conn: Connection, present: bool, assigned: str | None, server_keep_alive: int | None
) -> None:
    """CONNACK success; the common case (nothing assigned to this client) as cached bytes."""
    if assigned is None and server_keep_alive is None:
        key = (conn.version, conn.limits, present)
        data = _PLAIN_CONNACKS.get(key)
        if data is None:
            packet = ConnAck(present, ReasonCode.SUCCESS, _connack_properties(conn.version, conn.limits))
            data = _PLAIN_CONNACKS[key] = encode(packet, conn.version)
        if len(data) <= conn.client_maximum_packet_size:
            conn.write(data)
            conn.broker.stats.messages_sent += 1
            return
    properties = _connack_properties(conn.version, conn.limits, assigned, server_keep_alive)
    conn.send(ConnAck(present, ReasonCode.SUCCESS, properties))  # within the client's Maximum Packet Size


def _connack_properties(
    version: ProtocolVersion,
    limits: ProtocolLimits,
    assigned: str | None = None,
    server_keep_alive: int | None = None,
) -> Properties:
    if version != ProtocolVersion.V5:
        return Properties()
    return Properties(
        assigned_client_identifier=assigned,
        server_keep_alive=server_keep_alive,
        receive_maximum=limits.receive_maximum if limits.receive_maximum != 65535 else None,
        topic_alias_maximum=limits.topic_alias_maximum or None,
        maximum_packet_size=limits.max_packet_size
        if limits.max_packet_size < MAX_PACKET_SIZE_LIMIT
        else None,
    )

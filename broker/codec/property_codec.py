"""Encoding and decoding of an MQTT 5 property section (length, then id/value pairs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from broker.codec.errors import MalformedPacket, ProtocolError
from broker.codec.primitives import (
    encode_binary,
    encode_string,
    encode_varint,
    read_binary,
    read_string,
    read_uint16,
    read_uint32,
    read_varint,
)
from broker.codec.properties import (
    EMPTY_PROPERTIES,
    PROPERTY_SPECS,
    Kind,
    Properties,
    PropertyId,
    PropertySpec,
)
from broker.codec.reason_codes import ReasonCode

Buffer = bytes
_SPEC_TABLE = "MQTT5 2.2.2.2"


def _read_byte(buf: Buffer, pos: int, end: int) -> tuple[int, int]:
    if pos >= end:
        raise MalformedPacket("byte property runs past the property section", _SPEC_TABLE)
    return buf[pos], pos + 1


def _read_pair(buf: Buffer, pos: int, end: int) -> tuple[tuple[str, str], int]:
    key, pos = read_string(buf, pos, end)
    value, pos = read_string(buf, pos, end)
    return (key, value), pos


_READERS: dict[Kind, Callable[[Buffer, int, int], tuple[Any, int]]] = {
    Kind.BYTE: _read_byte,
    Kind.UINT16: read_uint16,
    Kind.UINT32: read_uint32,
    Kind.VARINT: read_varint,
    Kind.STRING: read_string,
    Kind.BINARY: read_binary,
    Kind.STRING_PAIR: _read_pair,
}

_LIST_FIELDS = frozenset({PropertyId.SUBSCRIPTION_IDENTIFIER, PropertyId.USER_PROPERTY})


def decode_properties(buf: Buffer, pos: int, end: int, context: int) -> tuple[Properties, int]:
    """Decode the property section at `pos` for packet type `context` (or WILL_PROPERTIES).

    Returns the shared `EMPTY_PROPERTIES` when the section is empty.
    """
    length, pos = read_varint(buf, pos, end)
    if length == 0:
        return EMPTY_PROPERTIES, pos
    stop = pos + length
    if stop > end:
        raise MalformedPacket("property length runs past the end of the packet", "MQTT5 2.2.2.1")
    properties = Properties()
    seen = 0
    while pos < stop:
        property_id = buf[pos]
        spec = PROPERTY_SPECS.get(property_id)
        if spec is None:
            raise MalformedPacket(f"unknown property id 0x{property_id:02x}", _SPEC_TABLE)
        if context not in spec.allowed_in:
            raise ProtocolError(f"property {spec.id.name} is not allowed in this packet", _SPEC_TABLE)
        value, pos = _READERS[spec.kind](buf, pos + 1, stop)
        if seen >> property_id & 1 and context not in spec.repeatable_in:
            raise ProtocolError(f"property {spec.id.name} included more than once", _SPEC_TABLE)
        seen |= 1 << property_id
        _check_value(spec, value)
        if property_id in _LIST_FIELDS:
            getattr(properties, spec.name).append(value)
        else:
            setattr(properties, spec.name, value)
    return properties, stop


def _check_value(spec: PropertySpec, value: Any) -> None:
    if spec.boolean and value not in (0, 1):
        raise ProtocolError(f"property {spec.id.name} must be 0 or 1, not {value}", _SPEC_TABLE)
    if spec.forbidden_zero and value == 0:
        reason = ReasonCode.TOPIC_ALIAS_INVALID if spec.id == PropertyId.TOPIC_ALIAS else None
        raise ProtocolError(f"property {spec.id.name} must not be 0", _SPEC_TABLE, reason)


def _write_pair(pair: tuple[str, str]) -> bytes:
    return encode_string(pair[0]) + encode_string(pair[1])


_WRITERS: dict[Kind, Callable[[Any], bytes]] = {
    Kind.BYTE: lambda value: bytes((value,)),
    Kind.UINT16: lambda value: value.to_bytes(2, "big"),
    Kind.UINT32: lambda value: value.to_bytes(4, "big"),
    Kind.VARINT: encode_varint,
    Kind.STRING: encode_string,
    Kind.BINARY: encode_binary,
    Kind.STRING_PAIR: _write_pair,
}

_ENCODE_ORDER: tuple[tuple[str, bytes, Callable[[Any], bytes], bool], ...] = tuple(
    (spec.name, bytes((spec.id,)), _WRITERS[spec.kind], spec.id in _LIST_FIELDS)
    for spec in sorted(PROPERTY_SPECS.values(), key=lambda spec: spec.id)
)


def encode_properties(properties: Properties | None) -> bytes:
    """Encode a property section including its length; absent properties encode as one zero byte."""
    if properties is None or properties is EMPTY_PROPERTIES:
        return b"\x00"
    parts: list[bytes] = []
    for name, id_byte, write, is_list in _ENCODE_ORDER:
        value = getattr(properties, name)
        if value is None:
            continue
        if is_list:
            parts.extend(id_byte + write(item) for item in value)
        else:
            parts.append(id_byte + write(value))
    body = b"".join(parts)
    return encode_varint(len(body)) + body

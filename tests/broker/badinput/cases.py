"""The corpus's vocabulary: a case is bytes to send plus the outcomes the specs allow.

Outcomes (one or more alternatives; the case passes if any matches):

* ``CLOSE``: the broker closes without sending anything (3.1.1 after CONNACK, or before CONNECT).
* ``connack(*codes)``: a CONNACK whose return / reason code is one of ``codes``, then close.
* ``disconnect(*codes)``: an MQTT 5 DISCONNECT with one of ``codes``, then close.
* ``reply(*packets)``: these packets come back (first byte, body prefix) and the connection stays
  usable (a PINGREQ still gets its PINGRESP).

A step is bytes to send or a float: seconds to wait before the next step (slow senders).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.broker.badinput import wire


@dataclass(frozen=True)
class Expect:
    kind: str  # "close" | "connack" | "disconnect" | "reply"
    codes: tuple[int, ...] = ()
    packets: tuple[tuple[int, bytes], ...] = ()

    def describe(self) -> str:
        if self.kind == "reply":
            shown = [f"{first:#04x} {body.hex()}.." for first, body in self.packets]
            if len(shown) > 3:
                shown = [f"{len(shown)} packets: {shown[0]}", "...", shown[-1]]
            return "reply " + (", ".join(shown) or "nothing, still open")
        codes = "/".join(f"{code:#04x}" for code in self.codes)
        return f"{self.kind} {codes}".strip()


CLOSE = Expect("close")


def connack(*codes: int) -> Expect:
    return Expect("connack", codes)


def disconnect(*codes: int) -> Expect:
    return Expect("disconnect", codes)


def reply(*packets: tuple[int, bytes]) -> Expect:
    return Expect("reply", packets=packets)


@dataclass(frozen=True)
class Case:
    """One abusive sequence. ``connected``: a valid CONNECT of ``version`` goes first."""

    id: str
    version: int
    steps: tuple[bytes | float, ...]
    expect: tuple[Expect, ...]
    spec: str
    connected: bool = True
    rival: bool = False  # after the steps, a second connection CONNECTs with the same client id
    keepalive: int = 30
    what: str = field(default="", compare=False)


def case(
    ident: str,
    version: int,
    steps: bytes | float | tuple[bytes | float, ...],
    expect: Expect | tuple[Expect, ...],
    spec: str,
    what: str,
    **options: object,
) -> Case:
    """Build a Case from a compact table row."""
    steps = steps if isinstance(steps, tuple) else (steps,)
    expect = expect if isinstance(expect, tuple) else (expect,)
    return Case(ident, version, steps, expect, spec, what=what, **options)  # type: ignore[arg-type]


# MQTT 5 reason codes used by the corpus (section 2.4).
MALFORMED = 0x81
PROTOCOL_ERROR = 0x82
CLIENT_ID_NOT_VALID = 0x85
UNSUPPORTED_VERSION = 0x84
SESSION_TAKEN_OVER = 0x8E
TOPIC_FILTER_INVALID = 0x8F
TOPIC_NAME_INVALID = 0x90
PACKET_ID_NOT_FOUND = 0x92
RECEIVE_MAXIMUM_EXCEEDED = 0x93
TOPIC_ALIAS_INVALID = 0x94
PACKET_TOO_LARGE = 0x95
PAYLOAD_FORMAT_INVALID = 0x99

# Either code is the honest MQTT 5 answer to "that packet breaks the spec" (section 4.13).
SPEC_VIOLATION = disconnect(MALFORMED, PROTOCOL_ERROR)


SUBACK = 0x90
PUBACK, PUBREC, PUBCOMP = 0x40, 0x50, 0x70
KEEPALIVE_TIMEOUT = 0x8D
MIB = 1024 * 1024
SHUT_WR = b""  # a step that half-closes the client's side (sends FIN)

# An invalid filter may be refused per filter (SUBACK failure) or end the connection.
INVALID_FILTER_V5 = (
    reply((SUBACK, wire.u16(1) + b"\x00" + bytes([TOPIC_FILTER_INVALID]))),
    disconnect(MALFORMED, PROTOCOL_ERROR, TOPIC_FILTER_INVALID),
)
INVALID_FILTER_V311 = (reply((SUBACK, wire.u16(1) + b"\x80")), CLOSE)
BAD_TOPIC = disconnect(MALFORMED, PROTOCOL_ERROR, TOPIC_NAME_INVALID)


def will_fields(version: int) -> bytes:
    """Will properties (v5), topic and payload for a CONNECT payload tail."""
    return (wire.props() if version == wire.V5 else b"") + wire.utf8("will/t") + wire.utf8("bye")


def qos2_publishes(*ids: int) -> bytes:
    return b"".join(wire.publish("fc", qos=2, packet_id=ident) for ident in ids)


def aliased(alias: int, topic: str = "", extra: bytes = b"") -> bytes:
    """A QoS 0 PUBLISH carrying a Topic Alias property (plus ``extra`` properties)."""
    return wire.publish(topic, properties=wire.props(wire.prop_u16(wire.TOPIC_ALIAS, alias) + extra))


def trickle(data: bytes, pause: float) -> tuple[bytes | float, ...]:
    """Steps sending ``data`` one byte at a time with ``pause`` seconds between bytes."""
    steps: list[bytes | float] = []
    for byte in data:
        steps += [bytes([byte]), pause]
    return tuple(steps)

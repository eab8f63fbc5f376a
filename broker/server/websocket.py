"""MQTT over WebSocket (sans-IO ``websockets``), imported only when a listener has ``websockets: true``.

Kept apart from transports.py so that a broker without a WebSocket listener never loads websockets and
what it pulls in (importlib.metadata, email, http, uuid: about 1.3 MB of RSS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from websockets.frames import Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from broker.server.transports import WS_SUBPROTOCOLS, MqttTransport

if TYPE_CHECKING:
    from broker.server.app import BrokerServer


class WebSocketTransport(MqttTransport):
    """MQTT over WebSocket: binary frames, subprotocol ``mqtt``, any path; packets may span frames."""

    __slots__ = ("_handshake_done", "websocket")
    default_scheme = "ws"

    def __init__(self, server: BrokerServer, listener_index: int = 0) -> None:
        super().__init__(server, listener_index)
        self.websocket = ServerProtocol(
            subprotocols=WS_SUBPROTOCOLS,
            select_subprotocol=_select_subprotocol,
            max_size=server.limits.max_packet_size,
        )
        self._handshake_done = False

    def data_received(self, data: bytes) -> None:
        websocket = self.websocket
        websocket.receive_data(data)
        for event in websocket.events_received():
            if isinstance(event, Request):
                self._answer_handshake(event)
            elif event.opcode in (Opcode.BINARY, Opcode.CONT, Opcode.TEXT) and event.data:
                if self.connection.is_closing:
                    break
                self.connection.receive(bytes(event.data))
        self._send_websocket_output()
        self.after_receive()

    def _answer_handshake(self, request: Request) -> None:
        response = self.websocket.accept(request)
        self.websocket.send_response(response)
        self._handshake_done = response.status_code == 101

    def _send_websocket_output(self) -> None:
        chunks = self.websocket.data_to_send()
        if chunks and not self.transport.is_closing():
            self.transport.write(b"".join(chunks))
        if self.websocket.close_expected() and not self.transport.is_closing():
            self.transport.close()

    def eof_received(self) -> bool | None:
        self.websocket.receive_eof()
        return None

    def write_bytes(self, data: bytes) -> None:
        if self._handshake_done:
            self.websocket.send_binary(data)
            self._send_websocket_output()

    def close_transport(self) -> None:
        if not self.transport.is_closing() and self._handshake_done:
            self.websocket.send_close()
            chunks = self.websocket.data_to_send()
            if chunks:
                self.transport.write(b"".join(chunks))
        super().close_transport()


def _select_subprotocol(protocol: ServerProtocol, offered: list[str]) -> str | None:
    """Prefer ``mqtt``; accept clients that offer no subprotocol rather than refuse them."""
    for name in WS_SUBPROTOCOLS:
        if name in offered:
            return name
    return None

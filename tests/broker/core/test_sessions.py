"""Session state: packet ids, bounded queue, clearing."""

from __future__ import annotations

from broker.core.messages import Delivery, Message
from broker.core.sessions import Outgoing, QueueLimits, Session


def _delivery(payload: bytes = b"x") -> Delivery:
    return Delivery(Message("t", payload, 1), 1)


def test_packet_ids_skip_those_in_flight_and_wrap():
    """[MQTT-2.2.1-3] a new packet id is one not in use."""
    session = Session("c")
    first = session.allocate_packet_id()
    session.inflight[first] = Outgoing(_delivery(), first)
    second = session.allocate_packet_id()
    assert second != first
    session._last_packet_id = 65535
    assert session.allocate_packet_id() == 2  # wraps past 65535, skips 1 (in flight)


def test_packet_ids_run_out_when_all_are_in_flight():
    session = Session("c")
    for packet_id in range(1, 65536):
        session.inflight[packet_id] = Outgoing(_delivery(), packet_id)
    assert session.allocate_packet_id() is None


def test_queue_is_bounded_by_count_and_bytes_and_counts_drops():
    session = Session("c")
    limits = QueueLimits(max_messages=2, max_bytes=100)
    assert session.enqueue(_delivery(), limits)
    assert session.enqueue(_delivery(), limits)
    assert not session.enqueue(_delivery(), limits)
    assert session.dropped_messages == 1
    session.dequeue()
    assert not session.enqueue(_delivery(b"y" * 200), limits)
    assert session.dropped_messages == 2
    assert session.queued_bytes == 2
    session.clear_delivery_state()
    assert session.queued_bytes == 0 and not session.queue


def test_an_idle_session_makes_no_containers_until_they_are_used():
    """Thousands of idle clients each cost a Session: its dicts and set come only when needed."""
    session = Session("c")
    assert (session._subscriptions, session._inflight, session._incoming_qos2) == (None, None, None)
    assert session.unfinished_messages == 0 and not session.has_subscriptions
    assert session._inflight is None and session._subscriptions is None  # asking did not make them
    session.incoming_qos2.add(7)
    session.inflight[1] = Outgoing(_delivery(), 1)
    assert session.incoming_qos2 == {7} and list(session.inflight) == [1]
    assert session.unfinished_messages == 1
    assert session._subscriptions is None


def test_clearing_keeps_the_containers_a_caller_holds():
    session = Session("c")
    inflight, pending = session.inflight, session.incoming_qos2
    inflight[1] = Outgoing(_delivery(), 1)
    pending.add(3)
    session.clear_delivery_state()
    assert session.inflight is inflight and not inflight
    assert session.incoming_qos2 is pending and not pending


def test_restored_containers_can_be_assigned():
    session = Session("c")
    session.incoming_qos2 = {4, 5}
    session.subscriptions = {}
    assert session.incoming_qos2 == {4, 5} and session.subscriptions == {}

from agents.publish.spool import Spool


def test_messages_come_out_in_order_and_leave_when_removed(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    for index in range(5):
        spool.append(f"t/{index}", str(index).encode(), retain=index % 2 == 0)
    pending = spool.pending()
    assert [(m.topic, m.payload, m.retain) for m in pending] == [
        (f"t/{i}", str(i).encode(), i % 2 == 0) for i in range(5)
    ]
    spool.remove(pending[1].id)
    assert [m.topic for m in spool.pending()] == ["t/0", "t/2", "t/3", "t/4"]
    assert [m.topic for m in spool.pending(after_id=pending[2].id, limit=1)] == ["t/3"]
    assert len(spool) == 4
    spool.close()


def test_survives_a_restart(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append("a", b"1")
    spool.append("b", b"2")
    spool.close()
    reopened = Spool(tmp_path / "spool.sqlite")
    assert [(m.topic, m.payload) for m in reopened.pending()] == [("a", b"1"), ("b", b"2")]
    assert len(reopened) == 2
    reopened.close()


def test_message_bound_drops_the_oldest(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite", max_messages=10)
    for index in range(15):
        spool.append("t", str(index).encode())
    assert [int(m.payload) for m in spool.pending()] == list(range(5, 15))
    assert spool.dropped == 5
    spool.close()


def test_byte_bound_drops_the_oldest(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite", max_messages=1000, max_bytes=25)
    for index in range(6):
        spool.append("t", f"{index:010d}".encode())  # 10 bytes each: two fit, a third would make 30
    assert [int(m.payload) for m in spool.pending()] == [4, 5]
    assert spool.dropped == 4
    spool.close()


def test_removing_twice_is_harmless(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    spool.append("t", b"x")
    message = spool.pending()[0]
    spool.remove(message.id)
    spool.remove(message.id)
    assert len(spool) == 0
    spool.close()

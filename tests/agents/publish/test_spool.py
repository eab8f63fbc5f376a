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


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def file_sizes(path):
    return [(p.name, p.stat().st_size) for p in sorted(path.parent.glob(path.name + "*"))]


def test_promptly_acknowledged_messages_never_touch_the_disk(tmp_path):
    clock = FakeClock()
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, clock=clock)
    sizes = file_sizes(path)
    for index in range(500):
        clock.now = index * 0.1  # ten readings a second, each acknowledged well within the grace
        spool.append("t", str(index).encode())
        (message,) = spool.pending()
        spool.remove(message.id)
    assert spool.commits == 0
    assert file_sizes(path) == sizes
    assert len(spool) == 0
    spool.close()
    reopened = Spool(path)
    assert reopened.pending() == []
    reopened.close()


def test_unacknowledged_messages_reach_the_disk_after_the_grace_in_one_transaction(tmp_path):
    clock = FakeClock()
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, grace=5.0, clock=clock)
    for index in range(3):
        spool.append("t", str(index).encode())
    assert spool.commits == 0
    clock.now = 5.0
    spool.append("t", b"3")
    assert spool.commits == 1
    crashed_view = Spool(path)  # a second connection sees what a crash would leave behind
    assert [m.payload for m in crashed_view.pending()] == [b"0", b"1", b"2", b"3"]
    crashed_view.close()
    spool.close()


def test_persist_keeps_order_across_disk_and_memory(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite", max_messages=6)
    for index in range(4):
        spool.append("t", str(index).encode())
    spool.persist()
    assert spool.commits == 1
    for index in range(4, 8):
        spool.append("t", str(index).encode())  # 0 and 1 (on disk) are dropped for the bound
    assert spool.dropped == 2
    pending = spool.pending()
    assert [int(m.payload) for m in pending] == [2, 3, 4, 5, 6, 7]
    assert [int(m.payload) for m in spool.pending(after_id=pending[1].id, limit=3)] == [4, 5, 6]
    spool.remove(pending[0].id)
    spool.remove(pending[3].id)
    assert [int(m.payload) for m in spool.pending()] == [3, 4, 6, 7]
    assert len(spool) == 4
    spool.close()
    reopened = Spool(tmp_path / "spool.sqlite")
    assert [int(m.payload) for m in reopened.pending()] == [3, 4, 6, 7]
    reopened.close()


def test_acknowledged_messages_on_disk_are_deleted_in_batches(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite")
    for index in range(300):
        spool.append("t", str(index).encode())
    spool.persist()
    assert spool.commits == 1
    removed = 0
    while batch := spool.pending(after_id=0, limit=50):
        for message in batch:
            spool.remove(message.id)
            removed += 1
        assert removed <= 300
    assert (removed, len(spool), spool.commits) == (300, 0, 2)  # one DELETE batch of 256 so far
    spool.close()
    assert spool.commits == 3
    reopened = Spool(tmp_path / "spool.sqlite")
    assert reopened.pending() == []
    reopened.close()

"""kill -9 at random points: recovery yields exactly the commits that returned, whole, in order."""

from __future__ import annotations

import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from broker.persistence import Store

REPO = Path(__file__).resolve().parents[3]
BATCH = 5

# The child writes batches of retained readings, QoS 1 and 2 deliveries in flight and incoming
# QoS 2 packet ids; after each commit
# returns it prints how many batches the store holds in all. It compacts often, so kills land in
# compactions too.
CHILD = f"""
import sys
from broker.persistence import Store, StoredMessage
store, state = Store.open(sys.argv[1], min_compact_bytes=2048, compact_factor=1.5)
batch = len(state.retained) // {BATCH}
if "phone" not in state.sessions:
    store.session_created("phone", 5, 3600)
while batch < 100000:
    for index in range({BATCH}):
        number = batch * {BATCH} + index
        message = StoredMessage("perch/n/s%d" % number, b"%d" % number, 2, True)
        store.retained_set(message)
        store.message_queued("phone", message, 2 - number % 2, True, packet_id=number % 60000 + 1)
        store.incoming_received("phone", number % 60000 + 1)  # a QoS 2 id kept: exactly once
    store.commit()
    batch += 1
    print(batch, flush=True)
"""


def _run_until_killed(folder: Path, rng: random.Random, previous: int) -> int:
    """Start the child, kill it after a random number of reported commits; returns the last report."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    wanted, reported = previous + rng.randint(1, 40), 0
    deadline = time.monotonic() + 20
    try:
        while reported < wanted and time.monotonic() < deadline:
            ready, _, _ = select.select([child.stdout], [], [], 1.0)
            if ready:
                line = child.stdout.readline()
                if not line:
                    break
                reported = int(line)
        time.sleep(rng.random() * 0.003)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        printed = child.stdout.read().split()  # reports still in the pipe when it died
        child.stdout.close()
    assert reported == wanted, "the child stopped reporting commits"
    return int(printed[-1]) if printed else reported


def test_kill_9_loses_no_commit_and_keeps_no_partial_one(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    previous = 0
    for round_number in range(6):
        reported = _run_until_killed(tmp_path, rng, previous)
        store, state = Store.open(tmp_path, durable=False)
        store.close()
        note = f"seed {seed}, round {round_number}"
        assert state.problems == [], note
        count = len(state.retained)
        assert count % BATCH == 0, f"a commit was recovered in part ({count}): {note}"
        batches = count // BATCH
        assert batches >= reported, f"a reported commit was lost: {note}"
        assert batches <= reported + 1, note  # at most the commit in progress at the kill
        assert batches > previous, note
        expected = {f"perch/n/s{n}" for n in range(count)}
        assert set(state.retained) == expected, note
        deliveries = state.sessions["phone"].deliveries
        assert [d.message.topic for d in deliveries] == [f"perch/n/s{n}" for n in range(count)], note
        assert [d.qos for d in deliveries] == [2 - n % 2 for n in range(count)], note
        assert state.sessions["phone"].incoming_qos2 == set(range(1, count + 1)), note
        previous = batches

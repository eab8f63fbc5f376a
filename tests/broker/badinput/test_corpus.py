"""The bad-input corpus against a live ``perch broker`` with a bystander streaming QoS 1.

Every case is its own test (select one with ``-k <case id>``); the selected cases are played
concurrently once per module, so slow and half-open cases overlap instead of adding up.
After each case a fresh client must still connect; at the end the bystander must have lost nothing.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.broker.badinput.cases import Case
from tests.broker.badinput.corpus.aliases import TOPIC_ALIASES
from tests.broker.badinput.corpus.connect import CONNECT
from tests.broker.badinput.corpus.flow import FLOW_CONTROL, PACKET_IDS
from tests.broker.badinput.corpus.framing import FRAMING
from tests.broker.badinput.corpus.oversize import OVERSIZE
from tests.broker.badinput.corpus.properties import PROPERTIES
from tests.broker.badinput.corpus.publish import PUBLISH
from tests.broker.badinput.corpus.subscribe import SUBSCRIBE, UNSUBSCRIBE
from tests.broker.badinput.corpus.timing import HALF_OPEN, SESSION_ABUSE, SLOW_PARTIAL
from tests.broker.badinput.corpus.utf8 import UTF8
from tests.broker.badinput.probe import Observed, handshake, judge, play

GROUPS = {
    "framing": FRAMING,
    "connect": CONNECT,
    "publish": PUBLISH,
    "subscribe": SUBSCRIBE,
    "unsubscribe": UNSUBSCRIBE,
    "properties": PROPERTIES,
    "flow-control": FLOW_CONTROL,
    "packet-ids": PACKET_IDS,
    "topic-aliases": TOPIC_ALIASES,
    "utf8": UTF8,
    "oversize": OVERSIZE,
    "slow-partial": SLOW_PARTIAL,
    "half-open": HALF_OPEN,
    "session-abuse": SESSION_ABUSE,
}
CORPUS: list[Case] = [case for cases in GROUPS.values() for case in cases]


def test_corpus_is_large_and_ids_unique() -> None:
    ids = [case.id for case in CORPUS]
    assert len(ids) >= 70
    assert len(set(ids)) == len(ids)
    assert all(cases for cases in GROUPS.values())


def test_every_case_is_documented() -> None:
    """docs/bad-input.md lists every case id, so the issue note never drifts from the corpus."""
    text = (Path(__file__).resolve().parents[3] / "docs" / "bad-input.md").read_text()
    undocumented = [case.id for case in CORPUS if f"`{case.id}`" not in text]
    assert not undocumented


@pytest.fixture(scope="module")
def observations(request: pytest.FixtureRequest, arena) -> dict[str, Observed]:
    """Play every selected case concurrently, once."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if hasattr(item, "callspec") and "case" in item.callspec.params
    }
    chosen = [case for case in CORPUS if case.id in selected]
    host, port = arena.broker.host, arena.broker.port

    def run(case: Case) -> Observed:
        try:
            return play(host, port, case)
        except Exception as error:  # reported by the case's own test
            return Observed(error=f"{type(error).__name__}: {error}")

    with ThreadPoolExecutor(max_workers=32) as pool:
        return dict(zip([c.id for c in chosen], pool.map(run, chosen), strict=True))


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_bad_input(case: Case, observations: dict[str, Observed], arena) -> None:
    observed = observations[case.id]
    assert not observed.error, f"{case.id}: {observed.error}"
    assert judge(case, observed) == ""
    assert arena.broker.process.poll() is None, "the broker died"
    with socket.create_connection((arena.broker.host, arena.broker.port), timeout=5) as fresh:
        handshake(fresh, f"fresh-after-{case.id}", 5)


def test_bystander_lost_nothing(arena, observations) -> None:
    """Runs after the corpus (file order): the QoS 1 stream arrived complete and in order."""
    arena.bystander.stop()
    assert arena.bystander.sent > 0
    assert arena.bystander.problems() == ""

from pathlib import Path

from agents.config.manual import render_reference
from agents.drivers.registry import default_registry

REPO = Path(__file__).resolve().parents[3]


def test_committed_reference_is_current():
    """Regenerate with: perch check --reference > docs/config-reference.md"""
    committed = (REPO / "docs" / "config-reference.md").read_text(encoding="utf-8")
    assert committed == render_reference(), "docs/config-reference.md is stale: run perch check --reference"


def test_reference_covers_every_type_filter_and_section():
    text = render_reference()
    for name in default_registry().names():
        assert f"### `{name}`" in text
    for filter_name in ("offset", "calibrate_linear", "sliding_window_moving_average", "heartbeat", "delta"):
        assert f"### `{filter_name}`" in text
    assert "| `interval` | duration (500ms, 30s, 5min, 1h) | `30s` |" in text
    assert "| `address` | I2C address (0x03-0x77) | `0x76` |" in text

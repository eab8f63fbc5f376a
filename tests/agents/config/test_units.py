import pytest

from agents.config.units import (
    format_duration,
    parse_duration,
    parse_gpio_pin,
    parse_i2c_address,
    parse_percent,
)


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("500ms", 0.5), ("30s", 30.0), ("5min", 300.0), ("1h", 3600.0), ("1.5s", 1.5), (" 2 min ", 120.0),
     (10, 10.0), (0.25, 0.25), ("45", 45.0), ("2m", 120.0)],
)  # fmt: skip
def test_durations(written, seconds):
    assert parse_duration(written) == seconds


@pytest.mark.parametrize("written", ["5 parsecs", "fast", "-3s", -1, True, "s", ""])
def test_bad_durations(written):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(written)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.5, "500ms"), (30, "30s"), (300, "5min"), (3600, "1h"), (90, "90s")]
)
def test_format_duration_round_trips(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("written", "address"), [(0x76, 0x76), (118, 0x76), ("0x44", 0x44), (3, 3), (0x77, 0x77)]
)
def test_i2c_addresses(written, address):
    assert parse_i2c_address(written) == address


@pytest.mark.parametrize("written", [0x99, 0x78, 2, 0, -1, "0xZZ", True, 1.5])
def test_i2c_addresses_out_of_range(written):
    with pytest.raises(ValueError, match="expected an I2C address 0x03-0x77"):
        parse_i2c_address(written)


@pytest.mark.parametrize(
    ("written", "pin"),
    [("GPIO17", "GPIO17"), ("gpio17", "GPIO17"), ("BCM17", "GPIO17"), (17, "GPIO17"), ("17", "GPIO17"),
     ("BOARD11", "GPIO17"), ("BOARD40", "GPIO21"), ("BOARD3", "GPIO2"), (0, "GPIO0")],
)  # fmt: skip
def test_gpio_pins_are_normalised(written, pin):
    assert parse_gpio_pin(written) == pin


def test_board_power_pin_is_refused_with_reason():
    with pytest.raises(ValueError, match="BOARD1 is not a GPIO pin"):
        parse_gpio_pin("BOARD1")


@pytest.mark.parametrize("written", ["GPIO28", 40, "PIN7", True, "GPIO-1"])
def test_bad_gpio_pins(written):
    with pytest.raises(ValueError):
        parse_gpio_pin(written)


@pytest.mark.parametrize(
    ("written", "value"), [(40, 40.0), ("40%", 40.0), (0, 0.0), ("100", 100.0), (12.5, 12.5)]
)
def test_percents(written, value):
    assert parse_percent(written) == value


@pytest.mark.parametrize("written", [101, -1, "lots", "150%", False])
def test_bad_percents(written):
    with pytest.raises(ValueError, match="percentage"):
        parse_percent(written)

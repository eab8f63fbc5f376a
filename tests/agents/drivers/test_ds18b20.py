"""DS18B20 through the kernel's w1_slave files, written by the emulated bus in agents.sim.w1."""

from types import SimpleNamespace

import pytest

from agents.drivers.base import ReadError
from agents.drivers.ds18b20 import Ds18b20, Options, parse_w1_slave
from agents.sim.w1 import W1Bus, crc8_maxim, scratchpad, w1_slave_text

# A capture from a real probe (the kernel's format); the CRC byte 0x57 matches the first eight bytes.
REAL_CAPTURE = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"


def hardware(tmp_path):
    return SimpleNamespace(w1_devices=tmp_path / "w1", root=tmp_path, state_dir=tmp_path)


def test_issue_example_t_20500_is_20_5_degrees():
    text = "48 01 4b 46 7f ff 0c 10 96 : crc=96 YES\n48 01 4b 46 7f ff 0c 10 96 t=20500\n"
    assert parse_w1_slave(text) == 20.5


def test_real_capture_parses_and_its_crc_checks():
    assert parse_w1_slave(REAL_CAPTURE) == 23.125
    assert crc8_maxim(bytes.fromhex("72014b467fff0e1057")) == 0


# DS18B20 datasheet, Table 1 "Temperature/Data Relationship" (12-bit resolution).
DATASHEET_TABLE = [
    (125.0, 0x07D0), (85.0, 0x0550), (25.0625, 0x0191), (10.125, 0x00A2), (0.5, 0x0008), (0.0, 0x0000),
    (-0.5, 0xFFF8), (-10.125, 0xFF5E), (-25.0625, 0xFE6F), (-55.0, 0xFC90),
]  # fmt: skip


@pytest.mark.parametrize(("celsius", "register"), DATASHEET_TABLE)
def test_emulated_temperature_register_matches_datasheet_table(celsius, register):
    pad = scratchpad(celsius)
    assert int.from_bytes(pad[0:2], "little") == register


@pytest.mark.parametrize("celsius", [-55.0, -10.125, -0.125, 0.0, 20.5, 85.125, 125.0])
def test_emulated_scratchpad_round_trips_through_the_parser(celsius):
    pad = scratchpad(celsius)
    assert crc8_maxim(pad) == 0
    assert parse_w1_slave(w1_slave_text(pad)) == celsius


def test_t_value_is_truncated_toward_zero_like_the_kernel():
    # raw -1 is -0.0625 °C; the kernel's C division prints t=-62, and +1 prints t=62.
    assert parse_w1_slave(w1_slave_text(scratchpad(-0.0625))) == -0.062
    assert parse_w1_slave(w1_slave_text(scratchpad(0.0625))) == 0.062


def test_crc_no_is_a_read_error():
    text = REAL_CAPTURE.replace("crc=57 YES", "crc=57 NO")
    with pytest.raises(ReadError, match="CRC"):
        parse_w1_slave(text)


def test_power_on_value_85_is_a_read_error():
    with pytest.raises(ReadError, match="power-on"):
        parse_w1_slave(w1_slave_text(scratchpad(85.0)))


@pytest.mark.parametrize(
    "text",
    ["", "garbage\n", "00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0\n"],
)
def test_malformed_or_empty_scratchpads_are_read_errors(text):
    with pytest.raises(ReadError):
        parse_w1_slave(text)


def test_every_probe_found_with_names_mapping(tmp_path):
    bus = W1Bus(tmp_path / "w1")
    bus.add_probe("28-000000000001", 21.0)
    bus.add_probe("28-000000000002", -3.5)
    (tmp_path / "w1" / "w1_bus_master1").mkdir()  # the kernel lists the master beside the probes
    driver = Ds18b20(Options(names={"28-000000000002": "outside"}), hardware(tmp_path))
    names = [quantity.name for quantity in driver.quantities()]
    assert names == ["28-000000000001", "outside"]
    assert all(quantity.unit == "°C" for quantity in driver.quantities())
    assert driver.read() == {"28-000000000001": 21.0, "outside": -3.5}
    bus.set_temperature("28-000000000001", 22.25)
    assert driver.read()["28-000000000001"] == 22.25


def test_probe_chosen_by_id_is_named_temperature(tmp_path):
    bus = W1Bus(tmp_path / "w1")
    bus.add_probe("28-000000000001", 21.0)
    bus.add_probe("28-000000000002", 30.0)
    driver = Ds18b20(Options(id="28-000000000002"), hardware(tmp_path))
    assert driver.read() == {"temperature": 30.0}


def test_vanished_probe_is_a_read_error_for_that_probe_only(tmp_path):
    bus = W1Bus(tmp_path / "w1")
    bus.add_probe("28-000000000001", 21.0)
    bus.add_probe("28-000000000002", 30.0)
    driver = Ds18b20(Options(), hardware(tmp_path))
    bus.remove_probe("28-000000000001")
    with pytest.raises(ReadError, match="28-000000000001 vanished") as caught:
        driver.read()
    assert "28-000000000002" not in str(caught.value)
    assert caught.value.partial_readings == {"28-000000000002": 30.0}
    assert driver.read_probe("28-000000000002") == 30.0


def test_faults_injected_in_the_emulator_reach_the_driver(tmp_path):
    bus = W1Bus(tmp_path / "w1")
    bus.add_probe("28-000000000001", 21.0)
    driver = Ds18b20(Options(), hardware(tmp_path))
    bus.set_fault("28-000000000001", corrupt_crc=True)
    with pytest.raises(ReadError, match="CRC"):
        driver.read()
    bus.set_fault("28-000000000001", power_on=True)
    with pytest.raises(ReadError, match="power-on"):
        driver.read()
    bus.set_fault("28-000000000001")
    assert driver.read() == {"28-000000000001": 21.0}


def test_no_probes_is_a_read_error_until_one_appears(tmp_path):
    driver = Ds18b20(Options(), hardware(tmp_path))
    with pytest.raises(ReadError, match="no 1-Wire"):
        driver.read()
    W1Bus(tmp_path / "w1").add_probe("28-000000000009", 4.0)
    assert driver.read() == {"28-000000000009": 4.0}


def test_simulation_creates_drifting_probes(tmp_path):
    from agents.sim.hardware import SimulatedHardware

    with SimulatedHardware(tmp_path) as sim:
        options = Options(names={"28-00000000aaaa": "water", "28-00000000bbbb": "air"})
        Ds18b20.simulate(options, sim)
        Ds18b20.simulate(options, sim)  # the runtime simulates again on every reopen
        assert len(sim._background) == 1
        driver = Ds18b20(options, sim)
        first = driver.read()
        assert set(first) == {"water", "air"}
        for step in range(1, 40):
            sim.tick(step * 0.5)
        later = driver.read()
        assert later != first
        assert all(abs(later[name] - first[name]) <= 3.0 for name in first)

"""VEML7700: the datasheet's resolution table, config word, little-endian registers, saturation."""

import pytest

from agents.drivers.base import ReadError
from agents.drivers.veml7700 import Veml7700, Veml7700Options, config_word, counts_to_lux, resolution
from agents.sim.chips.veml7700 import Veml7700Chip
from agents.sim.hardware import SimulatedHardware

# The datasheet's resolution table in lx/count: rows are integration times, columns gains 2, 1, 1/4, 1/8
TABLE = {
    0.8: (0.0042, 0.0084, 0.0336, 0.0672),
    0.4: (0.0084, 0.0168, 0.0672, 0.1344),
    0.2: (0.0168, 0.0336, 0.1344, 0.2688),
    0.1: (0.0336, 0.0672, 0.2688, 0.5376),
    0.05: (0.0672, 0.1344, 0.5376, 1.0752),
    0.025: (0.1344, 0.2688, 1.0752, 2.1504),
}
GAINS = (2.0, 1.0, 0.25, 0.125)


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


@pytest.mark.parametrize("integration_time", TABLE)
def test_resolution_table(integration_time):
    for gain, expected in zip(GAINS, TABLE[integration_time], strict=True):
        assert resolution(gain, integration_time) == pytest.approx(expected)


def test_full_scale_at_the_least_sensitive_setting_is_about_140_klx():
    assert counts_to_lux(65535, 0.125, 0.025) == pytest.approx(140924, rel=0.001)


def test_config_word_bits():
    assert config_word(0.125, 0.1) == 0b10 << 11
    assert config_word(2.0, 0.8) == 0b01 << 11 | 0b0011 << 6
    assert config_word(0.25, 0.025) == 0b11 << 11 | 0b1100 << 6


@pytest.mark.parametrize(
    ("gain", "integration_time", "lux"), [(0.125, 0.1, 812.0), (2.0, 0.025, 95.5), (1.0, 0.05, 3000.0)]
)
def test_reads_back_within_one_count(sim, gain, integration_time, lux):
    chip = sim.i2c_bus(1).attach(0x10, Veml7700Chip())
    chip.lux = lux
    readings = Veml7700(Veml7700Options(gain=gain, integration_time=integration_time), sim).read()
    assert readings["illuminance"] == pytest.approx(lux, abs=resolution(gain, integration_time))


def test_set_up_powers_on_and_reads_use_smbus_words(sim):
    sim.i2c_bus(1).attach(0x10, Veml7700Chip())
    driver = Veml7700(Veml7700Options(gain=1.0, integration_time=0.025), sim)
    driver.read()
    log = sim.i2c_bus(1).log
    assert log[0].written == b"\x07" and log[0].read == bytes([0x81, 0xC4])  # device id, low byte first
    assert (log[2].operation, log[2].written) == (
        "write_word_data",
        bytes([0x00, 0x00, 0x03]),
    )  # gain 1, 25 ms, on
    log.clear()
    driver.read()
    assert [(t.operation, t.written) for t in log] == [("read_word_data", b"\x04")]


def test_saturation_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x10, Veml7700Chip()).lux = 1e6
    with pytest.raises(ReadError, match="saturated"):
        Veml7700(Veml7700Options(integration_time=0.025), sim).read()


def test_wrong_device_id_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x10, Veml7700Chip()).registers[0x07] = 0x0055
    with pytest.raises(ReadError, match="unexpected device id"):
        Veml7700(Veml7700Options(), sim).read()

"""ADS1115: config words, code-to-volts for every PGA range, named channels, one sequence per read."""

import pytest

from agents.drivers.ads1115 import Ads1115, Ads1115Options, code_to_volts, config_word
from agents.drivers.base import ReadError
from agents.sim.chips.ads1115 import Ads1115Chip
from agents.sim.hardware import SimulatedHardware


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


def test_config_word_for_ain0_at_the_datasheet_defaults():
    # OS=1, MUX=100 (AIN0/GND), PGA=010 (±2.048 V), MODE=1, DR=100 (128 SPS), comparator disabled
    assert config_word(0, 2.048, 128) == 0b1_100_010_1_100_00011
    assert config_word(3, 6.144, 860) == 0b1_111_000_1_111_00011


@pytest.mark.parametrize(
    ("raw", "full_scale", "volts"),
    [
        (0x7FFF, 2.048, 2.048 * 32767 / 32768),
        (0x0001, 4.096, 125e-6),
        (0xFFFF, 2.048, -62.5e-6),
        (0x8000, 0.256, -0.256),
    ],
)
def test_codes_are_twos_complement_with_lsb_fsr_over_32768(raw, full_scale, volts):
    assert code_to_volts(raw, full_scale) == pytest.approx(volts)


def test_named_channels_read_back_in_one_sequence(sim):
    chip = sim.i2c_bus(1).attach(0x48, Ads1115Chip())
    chip.inputs = [1.25, 3.1, 0.0, 0.5]
    driver = Ads1115(Ads1115Options(channels={0: "soil", 1: "battery"}, full_scale_range=4.096), sim)
    assert [q.name for q in driver.quantities()] == ["soil", "battery"]
    assert all(q.unit == "V" and q.device_class == "voltage" for q in driver.quantities())
    readings = driver.read()
    assert readings["soil"] == pytest.approx(1.25, abs=125e-6)
    assert readings["battery"] == pytest.approx(3.1, abs=125e-6)
    configs = [t.written for t in sim.i2c_bus(1).log if t.operation == "write_i2c_block_data"]
    assert [c[1] >> 4 & 0b111 for c in configs] == [0b100, 0b101]  # MUX AIN0 then AIN1
    assert chip.conversions == 2


def test_keys_from_yaml_arrive_as_strings_and_are_normalised():
    assert Ads1115Options(channels={"2": "tank"}).channels == {2: "tank"}


@pytest.mark.parametrize(
    ("channels", "message"), [({4: "x"}, "does not exist"), ({0: "a/b"}, "topic"), ({}, "at least one")]
)
def test_bad_channel_options_are_refused(channels, message):
    with pytest.raises(ValueError, match=message):
        Ads1115Options(channels=channels)


def test_input_above_full_scale_is_a_read_error(sim):
    sim.i2c_bus(1).attach(0x49, Ads1115Chip()).inputs[0] = 3.0
    with pytest.raises(ReadError, match="full-scale"):
        Ads1115(Ads1115Options(address=0x49, full_scale_range=2.048), sim).read()


def test_missing_chip_is_a_read_error(sim):
    with pytest.raises(ReadError, match="no answer from 0x48"):
        Ads1115(Ads1115Options(), sim).read()


def test_simulation_gives_each_channel_a_voltage_in_range(sim):
    options = Ads1115Options(channels={0: "soil", 3: "light"})
    Ads1115.simulate(options, sim)
    readings = Ads1115(options, sim).read()
    assert set(readings) == {"soil", "light"}
    assert all(0 < value < 3.3 for value in readings.values())

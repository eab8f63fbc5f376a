"""MCP3008 over gpiozero's software SPI on mock pins, against the bit-level emulation in agents.sim."""

import pytest

from agents.drivers.mcp3008 import Mcp3008, Options, _ensure_default_factory, scaled, volts
from agents.sim.hardware import SimulatedHardware
from agents.sim.mcp3008 import adc_code, attach_mcp3008


@pytest.fixture
def sim(tmp_path):
    with SimulatedHardware(tmp_path) as hardware:
        _ensure_default_factory(hardware.pin_factory)
        yield hardware


def spi_transfer(sim, words, device=0):
    """Raw bytes through gpiozero's SPI interface on the mock pins (what MCP3008 uses underneath)."""
    interface = sim.pin_factory.spi(port=0, device=device)
    try:
        return interface.transfer(words)
    finally:
        interface.close()


@pytest.mark.parametrize(
    ("vin", "code"), [(0.0, 0), (-0.2, 0), (1.0, 310), (1.65, 512), (3.29, 1020), (3.3, 1023), (4.0, 1023)]
)
def test_code_is_floor_of_1024_vin_over_vref(vin, code):
    assert adc_code(vin, 3.3) == code


def test_single_ended_transfer_decodes_start_sgl_and_channel_bits(sim):
    chip = attach_mcp3008(sim.pin_factory)
    chip.voltages[5] = 1.65  # code 512 = 0b10_0000_0000
    # Datasheet figure 6-1: 0000_0001 | SGL D2 D1 D0 xxxx | xxxx_xxxx; reply ... xxxxx0B9B8 | B7..B0.
    reply = spi_transfer(sim, [0x01, 0b1101_0000, 0x00])
    assert chip.conversions == [(True, 5)]
    assert reply[1] & 0b111 == 0b010  # null bit 0, then B9 B8 = 1 0
    assert reply[2] == 0x00
    assert ((reply[1] & 0b11) << 8) | reply[2] == 512


def test_differential_transfer_uses_the_channel_pair(sim):
    chip = attach_mcp3008(sim.pin_factory)
    chip.voltages[2], chip.voltages[3] = 2.0, 0.5  # CH2 = IN+, CH3 = IN- for D2..D0 = 010
    reply = spi_transfer(sim, [0x01, 0b0010_0000, 0x00])
    assert chip.conversions == [(False, 2)]
    assert ((reply[1] & 0b11) << 8) | reply[2] == adc_code(1.5, 3.3)
    reply = spi_transfer(sim, [0x01, 0b0011_0000, 0x00])  # 011: CH2 = IN-, negative difference reads 0
    assert ((reply[1] & 0b11) << 8) | reply[2] == 0


def test_start_bit_anywhere_and_lsb_first_continuation(sim):
    chip = attach_mcp3008(sim.pin_factory)
    chip.voltages[1] = 1.0  # code 310 = 0b01_0011_0110
    # Start bit clocked in fourth: 0001 S D2 D1 D0 ; then sample, null, B9..B0, B1..B9 (LSB first).
    reply = spi_transfer(sim, [0b0001_1001, 0x00, 0x00, 0x00])
    bits = "".join(f"{word:08b}" for word in reply)
    msb_first = f"{310:010b}"
    assert bits[9] == "0"  # null bit
    assert bits[10:20] == msb_first
    assert bits[20:29] == msb_first[::-1][1:]  # B1..B9 after B0
    assert chip.conversions == [(True, 1)]


def test_driver_reads_named_channels_in_volts(sim):
    chip = attach_mcp3008(sim.pin_factory)
    chip.voltages[0], chip.voltages[3] = 1.0, 3.3
    driver = Mcp3008(Options(channels={0: "soil", 3: "battery"}), sim)
    quantities = {quantity.name: quantity for quantity in driver.quantities()}
    assert (quantities["soil"].unit, quantities["soil"].device_class) == ("V", "voltage")
    readings = driver.read()
    assert readings == {"soil": pytest.approx(310 * 3.3 / 1024), "battery": pytest.approx(1023 * 3.3 / 1024)}
    assert chip.conversions == [(True, 0), (True, 3)]  # one conversion per channel, in channel order
    driver.close()


def test_driver_scales_to_a_unit(sim):
    chip = attach_mcp3008(sim.pin_factory)
    chip.voltages[0] = 1.65
    options = Options(channels={0: "moisture"}, scale_min=0.0, scale_max=100.0, unit="%")
    driver = Mcp3008(options, sim)
    assert driver.read() == {"moisture": pytest.approx(50.0)}
    assert driver.quantities()[0].device_class is None
    driver.close()


def test_second_chip_on_ce1_with_its_own_vref(sim):
    first = attach_mcp3008(sim.pin_factory, device=0)
    second = attach_mcp3008(sim.pin_factory, device=1, vref=5.0)
    first.voltages[0], second.voltages[0] = 1.0, 2.5
    on_ce0 = Mcp3008(Options(channels={0: "a"}), sim)
    on_ce1 = Mcp3008(Options(channels={0: "b"}, device=1, vref=5.0), sim)
    assert on_ce0.read() == {"a": pytest.approx(volts(310, 3.3))}
    assert on_ce1.read() == {"b": pytest.approx(volts(512, 5.0))}
    on_ce0.close()
    on_ce1.close()


@pytest.mark.parametrize("key", [8, -1, "x", "9"])
def test_channel_outside_0_to_7_is_refused(sim, key):
    with pytest.raises(ValueError, match="0-7"):
        Mcp3008(Options(channels={key: "nope"}), sim)


def test_channel_keys_from_yaml_may_be_strings(sim):
    chip = attach_mcp3008(sim.pin_factory)
    chip.voltages[7] = 3.3
    driver = Mcp3008(Options(channels={"7": "top", "2": "low"}), sim)
    assert list(driver.read()) == ["low", "top"]
    assert chip.conversions == [(True, 2), (True, 7)]
    driver.close()


def test_scaled_helper_matches_volts_by_default():
    options = Options()
    assert scaled(512, options) == volts(512, 3.3) == pytest.approx(1.65)


def test_simulated_inputs_wander_within_range(sim):
    options = Options(channels={0: "soil", 6: "pot"})
    Mcp3008.simulate(options, sim)
    driver = Mcp3008(options, sim)
    seen = set()
    for step in range(20):
        sim.tick(step * 30.0)
        readings = driver.read()
        assert all(0 <= value <= 3.3 for value in readings.values())
        seen.add(readings["soil"])
    assert len(seen) > 1
    driver.close()

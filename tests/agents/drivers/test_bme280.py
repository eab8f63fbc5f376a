"""BME280/BMP280: the Bosch worked example, the datasheet's fixed-point formulas as a cross-check,
H4/H5 packing, and reads end to end through the register-level emulator in agents.sim.chips.bme280."""

from __future__ import annotations

import pytest

from agents.drivers.base import ReadError
from agents.drivers.bme280 import (
    Bme280,
    Bme280Options,
    Bmp280,
    Bmp280Options,
    Calibration,
    compensate_humidity,
    compensate_pressure,
    compensate_temperature,
    max_measurement_ms,
)
from agents.sim.chips.bme280 import EXAMPLE_CALIBRATION, Bme280Chip, calibration_registers
from agents.sim.hardware import SimulatedHardware

# Bosch's worked example (BMP280 datasheet, section 3.12 / BME280 section 8.1 use the same numbers).
BOSCH = Calibration(27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


def attach(sim, chip_id=0x60, address=0x76):
    return sim.i2c_bus(1).attach(address, Bme280Chip(chip_id))


# --- the datasheet's fixed-point formulas, written out here as an independent reference ----------
def temperature_int32(adc_t, c):
    var1 = (((adc_t >> 3) - (c.T1 << 1)) * c.T2) >> 11
    var2 = (((((adc_t >> 4) - c.T1) * ((adc_t >> 4) - c.T1)) >> 12) * c.T3) >> 14
    t_fine = var1 + var2
    return (t_fine * 5 + 128) >> 8, t_fine  # 0.01 °C


def pressure_int64(adc_p, t_fine, c):
    var1 = t_fine - 128000
    var2 = var1 * var1 * c.P6
    var2 += (var1 * c.P5) << 17
    var2 += c.P4 << 35
    var1 = ((var1 * var1 * c.P3) >> 8) + ((var1 * c.P2) << 12)
    var1 = (((1 << 47) + var1) * c.P1) >> 33
    p = 1048576 - adc_p
    p = (((p << 31) - var2) * 3125) // var1
    var1 = (c.P9 * (p >> 13) * (p >> 13)) >> 25
    var2 = (c.P8 * p) >> 19
    return (((p + var1 + var2) >> 8) + (c.P7 << 4)) / 256.0  # Pa


def humidity_reference(adc_h, t_fine, c):
    """bme280_compensate_H_int32 from the BME280 datasheet, section 4.2.3, in %RH."""
    x = t_fine - 76800
    x = (((adc_h << 14) - (c.H4 << 20) - (c.H5 * x)) + 16384) >> 15
    y = t_fine - 76800
    x = x * (((((((y * c.H6) >> 10) * (((y * c.H3) >> 11) + 32768)) >> 10) + 2097152) * c.H2 + 8192) >> 14)
    x = x - (((((x >> 15) * (x >> 15)) >> 7) * c.H1) >> 4)
    x = min(max(x, 0), 419430400)
    return (x >> 12) / 1024.0


# --- worked example ----------------------------------------------------------------------------------
def test_bosch_worked_example_temperature():
    celsius, t_fine = compensate_temperature(519888, BOSCH)
    assert int(t_fine) == 128422
    assert round(celsius, 2) == 25.08


def test_bosch_worked_example_pressure():
    _, t_fine = compensate_temperature(519888, BOSCH)
    assert round(compensate_pressure(415148, t_fine, BOSCH), 2) == 100653.27


def test_fixed_point_reference_agrees_on_the_worked_example():
    centi, t_fine = temperature_int32(519888, BOSCH)
    assert (centi, t_fine) == (2508, 128422)
    assert pressure_int64(415148, t_fine, BOSCH) == pytest.approx(100653.27, abs=0.02)  # Q24.8: 1/256 Pa


@pytest.mark.parametrize("adc_t", [380000, 450000, 519888, 560000])
@pytest.mark.parametrize("adc_h", [20000, 28000, 36000])
def test_float_formulas_agree_with_the_fixed_point_ones(adc_t, adc_h):
    celsius, t_fine = compensate_temperature(adc_t, EXAMPLE_CALIBRATION)
    centi, t_fine_int = temperature_int32(adc_t, EXAMPLE_CALIBRATION)
    assert abs(t_fine - t_fine_int) < 2
    assert celsius == pytest.approx(centi / 100, abs=0.01)
    pressure = compensate_pressure(415148, t_fine, EXAMPLE_CALIBRATION)
    assert pressure == pytest.approx(pressure_int64(415148, t_fine_int, EXAMPLE_CALIBRATION), abs=0.5)
    humidity = compensate_humidity(adc_h, t_fine, EXAMPLE_CALIBRATION)
    assert humidity == pytest.approx(humidity_reference(adc_h, t_fine_int, EXAMPLE_CALIBRATION), abs=0.01)


def test_humidity_is_clipped_to_0_100():
    _, t_fine = compensate_temperature(519888, EXAMPLE_CALIBRATION)
    assert compensate_humidity(0, t_fine, EXAMPLE_CALIBRATION) == 0.0
    assert compensate_humidity(0xFFFF, t_fine, EXAMPLE_CALIBRATION) == 100.0


# --- calibration parsing -------------------------------------------------------------------------------
def test_h4_h5_are_12_bit_values_packed_across_e4_e5_e6():
    block_88 = bytes(24) + bytes([0, 75])
    # E1-E2 H2=362, E3 H3=0, E4=0x13, E5=0x29 (H5 bits 3:0 = 2, H4 bits 3:0 = 9), E6=0x03, E7 H6=30
    block_e1 = bytes([0x6A, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1E])
    cal = Calibration.from_registers(block_88, block_e1)
    assert (cal.H1, cal.H2, cal.H3, cal.H4, cal.H5, cal.H6) == (75, 362, 0, 0x139, 0x032, 30)


def test_negative_h4_h5_h6_keep_their_sign():
    block_e1 = bytes([0x00, 0x80, 0x00, 0xF8, 0x7A, 0xFF, 0xF6])  # H2=-32768, H4=-128+10, H5=-16+7, H6=-10
    cal = Calibration.from_registers(bytes(26), block_e1)
    assert (cal.H2, cal.H4, cal.H5, cal.H6) == (-32768, -128 + 0x0A, -16 + 0x07, -10)


def test_emulator_calibration_block_parses_back_to_itself():
    registers = calibration_registers(EXAMPLE_CALIBRATION)
    block_88 = registers[0x88] + bytes([0]) + registers[0xA1]
    assert Calibration.from_registers(block_88, registers[0xE1]) == EXAMPLE_CALIBRATION


def test_measurement_time_follows_the_datasheet():
    assert max_measurement_ms(1, 1, 1) == pytest.approx(9.3)
    assert max_measurement_ms(16, 16, 16) == pytest.approx(112.8)
    assert max_measurement_ms(1, 1, 0) == pytest.approx(6.425)


# --- end to end through the emulated registers ---------------------------------------------------------
@pytest.mark.parametrize(
    ("temperature", "pressure", "humidity"),
    [(25.0, 1000.0, 50.0), (-20.5, 950.25, 5.0), (41.3, 1080.0, 97.0), (0.0, 1013.25, 45.5)],
)
def test_bme280_reads_back_the_physical_values(sim, temperature, pressure, humidity):
    chip = attach(sim)
    chip.temperature, chip.pressure, chip.humidity = temperature, pressure, humidity
    readings = Bme280(Bme280Options(), sim).read()
    assert readings["temperature"] == pytest.approx(temperature, abs=0.01)  # 16-bit at x1: ~0.005 °C steps
    assert readings["pressure"] == pytest.approx(pressure, abs=0.05)  # 2.62 Pa steps at x1
    assert readings["humidity"] == pytest.approx(humidity, abs=0.02)
    assert chip.measurements == 1


def test_higher_oversampling_is_written_and_gives_finer_steps(sim):
    chip = attach(sim)
    chip.temperature, chip.pressure = 23.456, 1001.234
    options = Bme280Options(oversampling_temperature=16, oversampling_pressure=16, oversampling_humidity=16)
    readings = Bme280(options, sim).read()
    writes = [t.written for t in sim.i2c_bus(1).log if t.operation == "write_byte_data"]
    assert bytes([0xF2, 0x05]) in writes and bytes([0xF4, 0b101_101_01]) in writes
    assert readings["temperature"] == pytest.approx(23.456, abs=0.001)
    assert readings["pressure"] == pytest.approx(1001.234, abs=0.005)


def test_one_read_is_one_forced_measurement_sequence(sim):
    attach(sim)
    driver = Bme280(Bme280Options(), sim)
    driver.read()
    bus = sim.i2c_bus(1)
    bus.log.clear()
    driver.read()
    operations = [(t.operation, t.written[:1]) for t in bus.log]
    assert operations[:2] == [("write_byte_data", b"\xf2"), ("write_byte_data", b"\xf4")]
    assert operations[-1] == ("read_i2c_block_data", b"\xf7")
    assert set(operations[2:-1]) == {("read_byte_data", b"\xf3")}  # status polls only
    assert len(bus.log[-1].read) == 8


def test_bmp280_has_no_humidity_and_reads_six_bytes(sim):
    chip = attach(sim, chip_id=0x58, address=0x77)
    chip.temperature, chip.pressure = 18.0, 990.0
    driver = Bmp280(Bmp280Options(address=0x77), sim)
    readings = driver.read()
    assert set(readings) == {"temperature", "pressure"} == {q.name for q in driver.quantities()}
    assert readings["pressure"] == pytest.approx(990.0, abs=0.05)
    assert len(sim.i2c_bus(1).log[-1].read) == 6


def test_bme280_type_on_a_bmp280_chip_says_which_type_to_use(sim):
    attach(sim, chip_id=0x58)
    with pytest.raises(ReadError, match="use type bmp280"):
        Bme280(Bme280Options(), sim).read()


def test_bmp280_type_also_reads_a_bme280(sim):
    attach(sim)
    assert set(Bmp280(Bmp280Options(), sim).read()) == {"temperature", "pressure"}


def test_quantities_have_units_and_home_assistant_classes(sim):
    quantities = {q.name: q for q in Bme280(Bme280Options(), sim).quantities()}
    assert quantities["temperature"].unit == "°C" and quantities["temperature"].device_class == "temperature"
    assert (
        quantities["pressure"].unit == "hPa" and quantities["pressure"].device_class == "atmospheric_pressure"
    )
    assert quantities["humidity"].unit == "%" and quantities["humidity"].device_class == "humidity"


# --- faults -----------------------------------------------------------------------------------------------
def test_missing_chip_is_a_read_error_naming_address_and_bus(sim):
    with pytest.raises(ReadError, match=r"no answer from 0x76 on I2C bus 1"):
        Bme280(Bme280Options(), sim).read()


def test_wrong_chip_id_is_a_read_error(sim):
    attach(sim).stuck_byte = 0xFF
    with pytest.raises(ReadError, match="unexpected chip id 0xff"):
        Bme280(Bme280Options(), sim).read()


def test_skipped_measurement_pattern_is_a_read_error(sim):
    attach(sim)
    driver = Bme280(Bme280Options(), sim)
    driver.read()
    with pytest.raises(ReadError, match="skipped"):
        driver.convert(bytes([0x80, 0, 0, 0x80, 0, 0, 0x80, 0]))


def test_implausible_temperature_is_a_read_error_not_a_reading(sim):
    chip = attach(sim)
    chip.temperature = 95.0
    with pytest.raises(ReadError, match="implausible temperature"):
        Bme280(Bme280Options(), sim).read()


def test_driver_recovers_and_reads_calibration_again_after_the_chip_comes_back(sim):
    chip = attach(sim)
    driver = Bme280(Bme280Options(), sim)
    driver.read()
    chip.is_absent = True
    with pytest.raises(ReadError):
        driver.read()
    chip.is_absent = False
    sim.i2c_bus(1).log.clear()
    assert driver.read()["temperature"] == pytest.approx(chip.temperature, abs=0.01)
    assert sim.i2c_bus(1).log[0].written == b"\xd0"  # set-up ran again: chip id first


def test_simulation_attaches_a_drifting_chip(sim):
    options = Bme280Options(address=0x77)
    Bme280.simulate(options, sim)
    driver = Bme280(options, sim)
    first = driver.read()
    assert 15 < first["temperature"] < 30 and 980 < first["pressure"] < 1040 and 30 < first["humidity"] < 70
    for step in range(1, 40):
        sim.tick(1000.0 + step * 30)
    assert driver.read() != first

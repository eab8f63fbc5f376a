"""Independent drivers (Adafruit's CircuitPython libraries) read the same emulated chips as Perch's drivers.

Agreement checks two things at once: Perch's conversions match another implementation of the datasheets,
and the emulators answer the command and register sequences other software uses. Each library talks to
the emulated bus through a small ``busio.I2C`` look-alike.
"""

import importlib
import time

import pytest

from agents.drivers import ads1115, aht20, bh1750, bme280, ina219, mcp9808, scd4x, sht3x, sht4x, veml7700
from agents.sim.chips.ads1115 import Ads1115Chip
from agents.sim.chips.aht20 import Aht20Chip
from agents.sim.chips.bh1750 import Bh1750Chip
from agents.sim.chips.bme280 import Bme280Chip
from agents.sim.chips.ina219 import Ina219Chip
from agents.sim.chips.mcp9808 import Mcp9808Chip
from agents.sim.chips.scd4x import Scd4xChip
from agents.sim.chips.sht3x import Sht3xChip
from agents.sim.chips.sht4x import Sht4xChip
from agents.sim.chips.veml7700 import Veml7700Chip
from agents.sim.hardware import SimulatedHardware
from tests.support.tools import missing


def library(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"{name} not installed: pip install -e '.[test]'")


class BusioI2C:
    """The part of CircuitPython's busio.I2C that adafruit_bus_device uses, over a FakeI2cBus."""

    def __init__(self, bus):
        self.bus = bus

    def try_lock(self):
        return True

    def unlock(self):
        pass

    def scan(self):
        return self.bus.addresses()

    def writeto(self, address, buffer, *, start=0, end=None):
        self.bus.transfer("busio", address, bytes(buffer[start:end]), 0)

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        end = len(buffer) if end is None else end
        buffer[start:end] = self.bus.transfer("busio", address, None, end - start)

    def writeto_then_readfrom(
        self, address, out_buffer, in_buffer, *, out_start=0, out_end=None, in_start=0, in_end=None
    ):
        in_end = len(in_buffer) if in_end is None else in_end
        written = bytes(out_buffer[out_start:out_end])
        in_buffer[in_start:in_end] = self.bus.transfer("busio", address, written, in_end - in_start)


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


@pytest.fixture
def i2c(sim):
    return BusioI2C(sim.i2c_bus(1))


@pytest.mark.parametrize(
    ("temperature", "pressure", "humidity"), [(25.0, 1000.0, 50.0), (-10.3, 950.0, 12.0)]
)
def test_bme280(sim, i2c, temperature, pressure, humidity):
    adafruit_bme280 = library("adafruit_bme280.basic")
    chip = sim.i2c_bus(1).attach(0x76, Bme280Chip())
    chip.temperature, chip.pressure, chip.humidity = temperature, pressure, humidity
    theirs = adafruit_bme280.Adafruit_BME280_I2C(i2c, address=0x76)
    theirs.overscan_temperature = theirs.overscan_pressure = theirs.overscan_humidity = (
        adafruit_bme280.OVERSCAN_X1
    )
    theirs.mode = adafruit_bme280.MODE_FORCE
    ours = bme280.Bme280(bme280.Bme280Options(), sim).read()
    assert ours["temperature"] == pytest.approx(theirs.temperature, abs=0.001)  # they truncate t_fine
    assert ours["pressure"] == pytest.approx(theirs.pressure, abs=0.001)
    assert ours["humidity"] == pytest.approx(theirs.relative_humidity, abs=0.001)


def test_sht3x(sim, i2c):
    adafruit_sht31d = library("adafruit_sht31d")
    chip = sim.i2c_bus(1).attach(0x44, Sht3xChip())
    chip.temperature, chip.humidity = 23.7, 41.3
    theirs = adafruit_sht31d.SHT31D(i2c)
    ours = sht3x.Sht3x(sht3x.Sht3xOptions(), sim).read()
    assert ours == pytest.approx({"temperature": theirs.temperature, "humidity": theirs.relative_humidity})


def test_sht4x(sim, i2c):
    adafruit_sht4x = library("adafruit_sht4x")
    chip = sim.i2c_bus(1).attach(0x44, Sht4xChip())
    chip.temperature, chip.humidity = -3.3, 97.2
    temperature, humidity = adafruit_sht4x.SHT4x(i2c).measurements
    assert sht4x.Sht4x(sht4x.Sht4xOptions(), sim).read() == pytest.approx(
        {"temperature": temperature, "humidity": humidity}
    )


def test_aht20(sim, i2c):
    adafruit_ahtx0 = library("adafruit_ahtx0")
    chip = sim.i2c_bus(1).attach(0x38, Aht20Chip())
    chip.temperature, chip.humidity = 22.2, 55.5
    theirs = adafruit_ahtx0.AHTx0(i2c)
    ours = aht20.Aht20(aht20.Aht20Options(), sim).read()
    assert ours == pytest.approx({"temperature": theirs.temperature, "humidity": theirs.relative_humidity})


def test_bh1750_high_resolution_2(sim, i2c):
    adafruit_bh1750 = library("adafruit_bh1750")
    sim.i2c_bus(1).attach(0x23, Bh1750Chip()).lux = 1234.5
    theirs = adafruit_bh1750.BH1750(i2c)  # continuous high resolution mode 2
    time.sleep(0.2)
    lux = theirs.lux
    assert bh1750.Bh1750(bh1750.Bh1750Options(resolution="high2"), sim).read()[
        "illuminance"
    ] == pytest.approx(lux)


def test_ads1115(sim, i2c):
    ads = library("adafruit_ads1x15.ads1115")
    analog_in = library("adafruit_ads1x15.analog_in")
    sim.i2c_bus(1).attach(0x48, Ads1115Chip()).inputs = [1.2345, 3.1, 0.0, 0.0]
    theirs = ads.ADS1115(i2c)
    theirs.gain = 1  # ±4.096 V
    pin = ads.P0 if hasattr(ads, "P0") else library("adafruit_ads1x15.ads1x15").Pin.A0
    ours = ads1115.Ads1115(ads1115.Ads1115Options(channels={0: "a0"}, full_scale_range=4.096), sim).read()
    assert ours["a0"] == pytest.approx(
        analog_in.AnalogIn(theirs, pin).voltage, abs=0.0002
    )  # they divide by 32767


def test_ina219(sim, i2c):
    adafruit_ina219 = library("adafruit_ina219")
    chip = sim.i2c_bus(1).attach(0x40, Ina219Chip(shunt_ohms=0.1))
    chip.current, chip.bus_voltage = 1.234, 12.1
    theirs = adafruit_ina219.INA219(i2c)  # 32 V, 2 A calibration, continuous
    time.sleep(0.01)
    expected = {"bus_voltage": theirs.bus_voltage, "current": theirs.current / 1000, "power": theirs.power}
    ours = ina219.Ina219(ina219.Ina219Options(), sim).read()
    assert ours == pytest.approx(expected, abs=0.002)  # each picks its own current LSB


@pytest.mark.parametrize("celsius", [23.4375, -7.125, 0.0, -0.0625])
def test_mcp9808(sim, i2c, celsius):
    adafruit_mcp9808 = library("adafruit_mcp9808")
    sim.i2c_bus(1).attach(0x18, Mcp9808Chip()).temperature = celsius
    ours = mcp9808.Mcp9808(mcp9808.Mcp9808Options(), sim).read()["temperature"]
    assert ours == adafruit_mcp9808.MCP9808(i2c).temperature == celsius


@pytest.mark.parametrize(("gain_bits", "gain"), [(0b00, 1.0), (0b01, 2.0), (0b10, 0.125), (0b11, 0.25)])
def test_veml7700(sim, i2c, gain_bits, gain):
    adafruit_veml7700 = library("adafruit_veml7700")
    sim.i2c_bus(1).attach(0x10, Veml7700Chip()).lux = 200.0
    theirs = adafruit_veml7700.VEML7700(i2c)
    theirs.light_gain, theirs.light_integration_time = gain_bits, 0b1100  # 25 ms
    ours = veml7700.Veml7700(veml7700.Veml7700Options(gain=gain, integration_time=0.025), sim).read()
    assert ours["illuminance"] == pytest.approx(theirs.lux)


def test_scd4x(sim, i2c):
    adafruit_scd4x = library("adafruit_scd4x")
    chip = sim.i2c_bus(1).attach(0x62, Scd4xChip())
    chip.measurement_interval = 0.1  # the datasheet's 5 s, shortened for the test
    chip.co2, chip.temperature, chip.humidity = 777.0, 24.4, 37.7
    driver = scd4x.Scd4x(scd4x.Scd4xOptions(), sim)
    ours = driver.read()
    driver.close()
    time.sleep(0.55)  # stop_periodic_measurement needs 500 ms
    theirs = adafruit_scd4x.SCD4X(i2c)
    theirs.start_periodic_measurement()
    for _ in range(100):
        if theirs.data_ready:
            break
        time.sleep(0.02)
    expected = {"co2": theirs.CO2, "temperature": theirs.temperature, "humidity": theirs.relative_humidity}
    assert ours == pytest.approx(expected, abs=0.003)

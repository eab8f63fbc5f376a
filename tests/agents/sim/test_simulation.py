"""Every I2C driver's simulate(): a chip appears at the configured bus and address, the real driver reads
plausible values from it, and the values drift as the simulation's clock advances."""

import pytest

from agents.drivers import (
    ads1115,
    aht20,
    bh1750,
    bme280,
    ina219,
    lm75,
    mcp9808,
    scd4x,
    sht3x,
    sht4x,
    veml7700,
)
from agents.sim.hardware import SimulatedHardware

DRIVERS = [
    cls
    for module in (bme280, sht3x, sht4x, aht20, bh1750, ads1115, ina219, lm75, mcp9808, veml7700, scd4x)
    for cls in module.DRIVERS
]
PLAUSIBLE = {"temperature": (-10, 40), "humidity": (5, 95), "pressure": (950, 1050), "illuminance": (0, 2000)}


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


@pytest.mark.parametrize("cls", DRIVERS, ids=lambda cls: cls.type_name)
def test_simulated_chip_reads_plausibly_and_drifts(sim, cls):
    options = cls.Options(bus=3)
    cls.simulate(options, sim)
    chip = sim.i2c_bus(3).chip_at(options.address)
    assert chip is not None
    if cls.type_name == "scd4x":
        chip.measurement_interval = 0.05  # the datasheet's 5 s, shortened for the test
    driver = cls(options, sim)
    first = driver.read()
    assert set(first) == {quantity.name for quantity in driver.quantities()}
    for name, value in first.items():
        low, high = PLAUSIBLE.get(name, (0, 5000))
        assert low <= value <= high, (name, value)
    later = []
    for minute in range(1, 31):
        sim.tick(10_000.0 + 60 * minute)
        if minute % 10 == 0:
            later.append(driver.read())
    assert any(readings != first for readings in later)

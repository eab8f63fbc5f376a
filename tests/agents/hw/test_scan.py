"""scan/identify/propose_yaml against emulated chips: ID registers first, address guesses after."""

import pytest

from agents.hw.scan import identify, propose_yaml, scan
from agents.sim.chips.ads1115 import Ads1115Chip
from agents.sim.chips.aht20 import Aht20Chip
from agents.sim.chips.bh1750 import Bh1750Chip
from agents.sim.chips.bme280 import Bme280Chip
from agents.sim.chips.ina219 import Ina219Chip
from agents.sim.chips.lm75 import Lm75Chip
from agents.sim.chips.mcp9808 import Mcp9808Chip
from agents.sim.chips.scd4x import Scd4xChip
from agents.sim.chips.sht3x import Sht3xChip
from agents.sim.chips.sht4x import Sht4xChip
from agents.sim.chips.veml7700 import Veml7700Chip
from agents.sim.i2c import FakeI2cBus

CHIPS = {
    0x10: (Veml7700Chip, "veml7700"),
    0x18: (Mcp9808Chip, "mcp9808"),
    0x23: (Bh1750Chip, "bh1750"),
    0x38: (Aht20Chip, "aht20"),
    0x40: (Ina219Chip, "ina219"),
    0x44: (Sht4xChip, "sht4x"),
    0x45: (Sht3xChip, "sht3x"),
    0x48: (Ads1115Chip, "ads1115"),
    0x49: (Lm75Chip, "lm75"),
    0x62: (Scd4xChip, "scd4x"),
    0x76: (Bme280Chip, "bme280"),
    0x77: (lambda: Bme280Chip(chip_id=0x58), "bmp280"),
}


@pytest.fixture
def bus():
    fake = FakeI2cBus(1)
    for address, (make, _) in CHIPS.items():
        fake.attach(address, make())
    return fake


def test_scan_lists_every_acknowledging_address(bus):
    assert scan(bus) == sorted(CHIPS)
    assert scan(FakeI2cBus(2)) == []


def test_identify_names_every_chip(bus):
    assert {address: identify(bus, address) for address in CHIPS} == {
        a: name for a, (_, name) in CHIPS.items()
    }


def test_scan_reads_instead_of_quick_writes_in_the_eeprom_range(bus):
    bus.attach(0x50, Bh1750Chip())
    bus.log.clear()
    assert 0x50 in scan(bus)
    assert next(t.operation for t in bus.log if t.address == 0x50) == "read_byte"


def test_unknown_chip_ids_fall_back_to_address_guesses_or_none(bus):
    bus.chip_at(0x76).registers[0xD0] = 0x61  # a BME680 says 0x61
    assert identify(bus, 0x76) == "bme280"  # guessed from the address
    assert identify(bus, 0x33) is None


def test_propose_yaml_lists_recognised_chips():
    text = propose_yaml(1, {0x76: "bme280", 0x33: None, 0x23: "bh1750"})
    assert text == (
        "agents:\n"
        "  - name: bh1750_23\n    type: bh1750\n    bus: 1\n    address: 0x23\n"
        "  - name: bme280_76\n    type: bme280\n    bus: 1\n    address: 0x76\n"
    )
    assert propose_yaml(1, {0x33: None}) == ""

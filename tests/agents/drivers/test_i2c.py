"""The shared I2C driver base: error wording, set-up and retry, bounded waits, plausibility checks."""

import errno
from dataclasses import dataclass

import pytest

from agents.drivers.base import ReadError
from agents.drivers.i2c import I2cDriver, check_range, describe_os_error
from agents.hw.real import RealHardware, open_smbus
from agents.sim.chips.base import ByteRegisterChip
from agents.sim.hardware import SimulatedHardware


@dataclass
class Options:
    bus: int = 1
    address: int = 0x50


class Probe(I2cDriver):
    """A minimal driver over a byte-register chip: set-up writes register 0, a read returns register 1."""

    type_name = "probe"
    summary = "test driver"
    chip_name = "PROBE"
    Options = Options

    def __init__(self, options, hardware):
        super().__init__(options, hardware)
        self.set_ups = 0

    def quantities(self):
        return []

    def set_up(self):
        self.set_ups += 1
        self.bus.write_byte_data(self.address, 0x00, 0x01)

    def read_chip(self):
        return {
            "value": check_range(self, "value", self.bus.read_byte_data(self.address, 0x01), 0, 100, "units")
        }


@pytest.fixture
def sim(tmp_path):
    hardware = SimulatedHardware(tmp_path)
    yield hardware
    hardware.close()


def test_error_wording_says_what_to_check():
    nack = describe_os_error(OSError(errno.EREMOTEIO, "Remote I/O error"), 0x76, 1)
    assert nack == "no answer from 0x76 on I2C bus 1 (NACK): check wiring, power and address"
    assert "holding the bus" in describe_os_error(OSError(errno.ETIMEDOUT, "timed out"), 0x76, 1)
    assert describe_os_error(OSError(errno.ENOENT, "I2C bus 9 not found"), 0x76, 9) == "I2C bus 9 not found"


def test_set_up_runs_once_and_again_after_a_failure(sim):
    chip = sim.i2c_bus(1).attach(0x50, ByteRegisterChip())
    chip.registers[1] = 42
    driver = Probe(Options(), sim)
    assert driver.read() == {"value": 42} and driver.read() == {"value": 42}
    assert driver.set_ups == 1
    chip.is_absent = True
    with pytest.raises(ReadError, match=r"^PROBE: no answer from 0x50"):
        driver.read()
    chip.is_absent = False
    assert driver.read() == {"value": 42}
    assert driver.set_ups == 2


def test_implausible_value_names_the_range(sim):
    sim.i2c_bus(1).attach(0x50, ByteRegisterChip()).registers[1] = 200
    with pytest.raises(
        ReadError, match=r"PROBE at 0x50: implausible value 200 units \(the chip measures 0 to 100"
    ):
        Probe(Options(), sim).read()


def test_missing_bus_on_real_hardware_is_a_read_error_with_the_fix(tmp_path):
    hardware = RealHardware(tmp_path, open_bus=lambda number: open_smbus(240 + number))
    with pytest.raises(ReadError, match=r"/dev/i2c-241"):
        Probe(Options(), hardware).read()


def test_wait_until_gives_up_after_its_timeout(sim):
    driver = Probe(Options(), sim)
    with pytest.raises(ReadError, match="conversion did not finish within 20 ms"):
        driver.wait_until(lambda: False, 0.02, "conversion")

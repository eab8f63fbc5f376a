"""RealHardware: one shared, locked bus per number, clear errors when /dev/i2c-N is missing."""

import errno
import threading
import time

import pytest

from agents.hw.real import RealHardware, SharedBus, open_smbus
from agents.sim.i2c import FakeI2cBus


class UnsafeBus:
    """Like smbus2.SMBus: address selection and transfer are separate steps, so overlapping calls mix up."""

    def __init__(self):
        self.number = 1
        self.address = None
        self.mixups = 0
        self.calls = 0

    def read_i2c_block_data(self, address, register, length):
        self.address = address
        time.sleep(0.0005)  # another thread could select its own address here
        self.mixups += self.address != address
        self.calls += 1
        return [0] * length

    def close(self):
        pass


def test_each_bus_is_opened_once_and_shared(tmp_path):
    opened = []

    def open_bus(number):
        opened.append(number)
        return FakeI2cBus(number)

    hardware = RealHardware(tmp_path, open_bus=open_bus)
    assert hardware.i2c_bus(1) is hardware.i2c_bus(1)
    hardware.i2c_bus(0)
    assert opened == [1, 0]
    assert hardware.pin_factory is None and str(hardware.w1_devices) == "/sys/bus/w1/devices"
    assert hardware.spi_device(0, 1) == {"port": 0, "device": 1}
    hardware.close()


def test_shared_bus_makes_each_call_atomic():
    inner = UnsafeBus()
    bus = SharedBus(inner)

    def hammer(address):
        for _ in range(50):
            bus.read_i2c_block_data(address, 0, 2)

    threads = [threading.Thread(target=hammer, args=(0x40 + n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert inner.calls == 200 and inner.mixups == 0
    assert bus.number == 1  # attributes pass through too


def test_missing_bus_device_explains_how_to_enable_i2c():
    with pytest.raises(OSError) as caught:
        open_smbus(250)
    assert caught.value.errno in (errno.ENOENT, errno.EACCES)
    assert "/dev/i2c-250" in str(caught.value)

"""FakeI2cBus: smbus2.SMBus methods mapped to wire transfers, NACKs like Linux, and the transfer log."""

import errno

import pytest
from smbus2 import i2c_msg

from agents.sim.chips.base import ByteRegisterChip, CommandChip, WordRegisterChip
from agents.sim.i2c import FakeI2cBus, I2cChip, I2cTransfer


class Echo(I2cChip):
    """Remembers writes; answers reads with 0, 1, 2, ..."""

    def __init__(self):
        super().__init__()
        self.writes = []

    def write(self, data):
        self.writes.append(data)

    def read(self, length):
        return bytes(range(length))


def test_missing_address_raises_eremoteio_like_linux():
    with pytest.raises(OSError) as caught:
        FakeI2cBus(3).read_byte(0x40)
    assert caught.value.errno == errno.EREMOTEIO
    assert "0x40" in str(caught.value) and "bus 3" in str(caught.value)


def test_smbus_methods_put_the_right_bytes_on_the_wire():
    bus = FakeI2cBus()
    chip = bus.attach(0x20, Echo())
    bus.write_byte(0x20, 0xA5)
    bus.write_byte_data(0x20, 0x10, 0x01)
    bus.write_word_data(0x20, 0x11, 0xBEEF)
    bus.write_i2c_block_data(0x20, 0x12, [1, 2, 3])
    assert chip.writes == [b"\xa5", b"\x10\x01", b"\x11\xef\xbe", b"\x12\x01\x02\x03"]
    assert bus.read_byte(0x20) == 0
    assert bus.read_byte_data(0x20, 0x30) == 0
    assert bus.read_word_data(0x20, 0x31) == 0x0100  # low byte first on the wire
    assert bus.read_i2c_block_data(0x20, 0x32, 4) == [0, 1, 2, 3]
    assert chip.writes[-3:] == [b"\x30", b"\x31", b"\x32"]  # the register pointer written before each read


def test_i2c_rdwr_fills_read_buffers_in_place():
    bus = FakeI2cBus()
    bus.attach(0x21, Echo())
    write, read = i2c_msg.write(0x21, [0xE4, 0xB8]), i2c_msg.read(0x21, 3)
    bus.i2c_rdwr(write, read)
    assert list(read) == [0, 1, 2]
    assert [t.written for t in bus.log] == [b"\xe4\xb8", b""]


def test_log_records_each_call_including_nacks():
    bus = FakeI2cBus()
    bus.attach(0x22, Echo())
    bus.read_i2c_block_data(0x22, 0x05, 2)
    with pytest.raises(OSError):
        bus.read_byte(0x23)
    assert bus.log == [
        I2cTransfer(0x22, "read_i2c_block_data", b"\x05", b"\x00\x01"),
        I2cTransfer(0x23, "read_byte", b"", b""),
    ]


def test_absent_chip_nacks_and_stuck_line_reads_constant():
    bus = FakeI2cBus()
    chip = bus.attach(0x24, Echo())
    chip.stuck_byte = 0xFF
    assert bus.read_i2c_block_data(0x24, 0, 3) == [0xFF, 0xFF, 0xFF]
    chip.is_absent = True
    with pytest.raises(OSError):
        bus.write_quick(0x24)


def test_attach_refuses_reserved_addresses_and_detach_removes():
    bus = FakeI2cBus()
    with pytest.raises(ValueError):
        bus.attach(0x78, Echo())
    bus.attach(0x25, Echo())
    assert bus.addresses() == [0x25]
    bus.detach(0x25)
    assert bus.chip_at(0x25) is None


def test_block_reads_are_limited_to_32_bytes_like_smbus2():
    bus = FakeI2cBus()
    bus.attach(0x26, Echo())
    with pytest.raises(ValueError):
        bus.read_i2c_block_data(0x26, 0, 33)


def test_byte_register_chip_auto_increments():
    bus = FakeI2cBus()
    chip = bus.attach(0x30, ByteRegisterChip())
    bus.write_i2c_block_data(0x30, 0xF0, [1, 2, 3])
    assert bytes(chip.registers[0xF0:0xF3]) == b"\x01\x02\x03"
    assert bus.read_i2c_block_data(0x30, 0xF1, 2) == [2, 3]


def test_word_register_chip_nacks_unknown_and_read_only_registers():
    bus = FakeI2cBus()
    chip = bus.attach(0x31, WordRegisterChip())
    chip.registers = {0: 0x1234, 1: 0}
    chip.writable = frozenset({1})
    assert bus.read_i2c_block_data(0x31, 0, 2) == [0x12, 0x34]
    bus.write_i2c_block_data(0x31, 1, [0xAB, 0xCD])
    assert chip.registers[1] == 0xABCD
    with pytest.raises(OSError):
        bus.write_i2c_block_data(0x31, 0, [0, 0])
    with pytest.raises(OSError):
        bus.read_byte_data(0x31, 7)


def test_command_chip_nacks_reads_without_a_reply():
    bus = FakeI2cBus()
    bus.attach(0x32, CommandChip())
    with pytest.raises(OSError):
        bus.read_byte(0x32)
    bus.write_quick(0x32)  # the address alone is acknowledged

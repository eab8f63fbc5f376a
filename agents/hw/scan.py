"""Find I2C devices on a bus and name the chips Perch has drivers for, for ``perch scan``.

Probing follows i2cdetect's default: an SMBus quick write, except in 0x30-0x37 and 0x50-0x5f where a
quick write can corrupt EEPROMs and a one-byte read is used instead. Identification reads ID registers
where the chip has them (BME280/BMP280 chip id, MCP9808 manufacturer and device id, VEML7700 device id,
SHT3x status and SHT4x serial number with their CRCs, ADS1115/LM75 power-on register values) and
otherwise guesses from the address.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from smbus2 import i2c_msg

from agents.drivers.sensirion import crc8

FIRST_ADDRESS, LAST_ADDRESS = 0x03, 0x77
READ_PROBE_RANGES = (range(0x30, 0x38), range(0x50, 0x60))

# address -> chip type, when nothing better is known
GUESSES: dict[int, str] = {
    0x10: "veml7700",
    0x23: "bh1750",
    0x5C: "bh1750",
    0x38: "aht20",
    0x44: "sht3x",
    0x45: "sht3x",
    0x46: "sht4x",
    0x62: "scd4x",
    0x76: "bme280",
    0x77: "bme280",
    **{address: "mcp9808" for address in range(0x18, 0x20)},
    **{address: "ina219" for address in range(0x40, 0x44)},
    **{address: "ads1115" for address in range(0x48, 0x4C)},
    **{address: "lm75" for address in range(0x4C, 0x50)},
}


def is_present(bus: Any, address: int) -> bool:
    """Whether a device acknowledges ``address``."""
    try:
        if any(address in span for span in READ_PROBE_RANGES):
            bus.read_byte(address)
        else:
            bus.write_quick(address)
    except OSError:
        return False
    return True


def scan(bus: Any) -> list[int]:
    """Addresses 0x03-0x77 that acknowledge on ``bus`` (an smbus2.SMBus or the simulated bus)."""
    return [address for address in range(FIRST_ADDRESS, LAST_ADDRESS + 1) if is_present(bus, address)]


def read_word(bus: Any, address: int, register: int) -> int:
    high, low = bus.read_i2c_block_data(address, register, 2)
    return high << 8 | low


def sensirion_reply(bus: Any, address: int, command: bytes, words: int) -> list[int] | None:
    """Send ``command`` and read ``words`` CRC-checked words; None if anything is off."""
    bus.i2c_rdwr(i2c_msg.write(address, list(command)))
    time.sleep(0.002)
    message = i2c_msg.read(address, 3 * words)
    bus.i2c_rdwr(message)
    data = bytes(message)
    chunks = [data[index : index + 3] for index in range(0, len(data), 3)]
    if any(crc8(chunk[:2]) != chunk[2] for chunk in chunks):
        return None
    return [chunk[0] << 8 | chunk[1] for chunk in chunks]


def probe_bosch(bus: Any, address: int) -> str | None:
    chip_id = bus.read_byte_data(address, 0xD0)
    return {0x60: "bme280", 0x56: "bmp280", 0x57: "bmp280", 0x58: "bmp280"}.get(chip_id)


def probe_sensirion_humidity(bus: Any, address: int) -> str | None:
    """SHT3x answers read-status (0xF32D) with one word; SHT4x answers read-serial (0x89) with two."""
    for type_name, command, words in (("sht3x", bytes([0xF3, 0x2D]), 1), ("sht4x", bytes([0x89]), 2)):
        try:
            if sensirion_reply(bus, address, command, words) is not None:
                return type_name
        except OSError:
            continue  # the other family NACKs a command it does not know
    return None


def probe_mcp9808(bus: Any, address: int) -> str | None:
    is_mcp9808 = read_word(bus, address, 0x06) == 0x0054 and read_word(bus, address, 0x07) >> 8 == 0x04
    return "mcp9808" if is_mcp9808 else None


def probe_veml7700(bus: Any, address: int) -> str | None:
    return "veml7700" if bus.read_word_data(address, 0x07) & 0xFF == 0x81 else None


def probe_0x48(bus: Any, address: int) -> str | None:
    """ADS1115 thresholds reset to 0x8000/0x7fff, LM75 limits to 75/80 °C, INA219 config to 0x399f."""
    low, high = read_word(bus, address, 0x02), read_word(bus, address, 0x03)
    if (low, high) == (0x8000, 0x7FFF):
        return "ads1115"
    if (low, high) == (0x4B00, 0x5000):
        return "lm75"
    return "ina219" if read_word(bus, address, 0x00) == 0x399F else None


PROBES: dict[int, Callable[[Any, int], str | None]] = {
    0x10: probe_veml7700,
    0x44: probe_sensirion_humidity,
    0x45: probe_sensirion_humidity,
    0x46: probe_sensirion_humidity,
    0x76: probe_bosch,
    0x77: probe_bosch,
    **{address: probe_mcp9808 for address in range(0x18, 0x20)},
    **{address: probe_0x48 for address in range(0x48, 0x50)},
}


def identify(bus: Any, address: int) -> str | None:
    """The agent type of the chip at ``address``: from its ID registers if it has them, else a guess."""
    probe = PROBES.get(address)
    if probe is not None:
        try:
            found = probe(bus, address)
        except OSError:
            found = None
        if found is not None:
            return found
    return GUESSES.get(address)


def propose_yaml(bus_number: int, found: dict[int, str | None]) -> str:
    """An ``agents:`` YAML snippet for the recognised chips in ``found`` (address -> type)."""
    lines = ["agents:"]
    for address, type_name in sorted(found.items()):
        if type_name is None:
            continue
        lines += [
            f"  - name: {type_name}_{address:02x}",
            f"    type: {type_name}",
            f"    bus: {bus_number}",
            f"    address: 0x{address:02x}",
        ]
    return "\n".join(lines) + "\n" if len(lines) > 1 else ""

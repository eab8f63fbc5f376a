"""Enable the buses Perch's sensors use: I2C, SPI and 1-Wire (config.txt) and i2c-dev (/etc/modules)."""

from __future__ import annotations

from image.steps import SetLine

BOOT_LINES = (
    SetLine("config.txt", "dtparam=i2c_arm=on", key="dtparam=i2c_arm"),
    SetLine("config.txt", "dtparam=spi=on", key="dtparam=spi"),
    SetLine("config.txt", "dtoverlay=w1-gpio", key="dtoverlay=w1-gpio"),
)
ROOT_LINES = (SetLine("/etc/modules", "i2c-dev", key="i2c-dev"),)

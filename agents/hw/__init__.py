"""Thin seams to real hardware: smbus2 for I2C, gpiozero for pins, sysfs for 1-Wire."""

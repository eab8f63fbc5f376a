"""Register- and command-level emulations of the I2C chips Perch drives, one module per chip."""

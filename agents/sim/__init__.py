"""Emulated chips and pins shared by tests and simulation mode."""

"""Fixtures of the Ansible tests, shared with the provisioning tests (tests/provisioning/fixtures.py)."""

from tests.provisioning.fixtures import pi_work_folder, ssh_keys, wheel_folder

__all__ = ["pi_work_folder", "ssh_keys", "wheel_folder"]

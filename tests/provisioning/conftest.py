"""The provisioning tests' fixtures (defined in fixtures.py, shared with tests/ansible)."""

from tests.provisioning.fixtures import pi_work_folder, ssh_keys, wheel_folder

__all__ = ["pi_work_folder", "ssh_keys", "wheel_folder"]

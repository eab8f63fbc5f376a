"""Fabric tasks that turn a running Raspberry Pi OS into a Perch node."""

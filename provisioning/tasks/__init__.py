"""Fabric tasks: each takes a ``fabric.Connection``, does one thing, is idempotent and keeps no globals."""

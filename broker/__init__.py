"""Perch MQTT broker: sans-IO codec and protocol core under a thin asyncio server."""

"""Perch sensor agents: YAML-configured drivers publishing readings over MQTT."""

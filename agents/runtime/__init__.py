"""The agent runtime: one thread per agent, an outlet to MQTT, reloads that touch only what changed."""

"""One MQTT connection's state machine (sans-IO): bytes in, bytes and close actions out."""

"""Getting readings to a broker: topics, payloads, the on-disk spool, paho-mqtt, HA discovery."""

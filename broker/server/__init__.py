"""The asyncio layer: listeners (TCP, WebSocket), timers, $SYS, and the embeddable runner."""

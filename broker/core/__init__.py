"""The broker core: sessions, subscription and retained tries, routing. Synchronous, no I/O."""

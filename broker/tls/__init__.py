"""TLS for the broker: the per-node CA and server certificate (``perch cert``) and listener contexts.

``context`` needs only the standard library; ``certs`` needs ``cryptography`` and is imported lazily
by ``perch cert``.
"""

"""The ``ssl.SSLContext`` of a TLS listener (MQTT on 8883, WebSockets over TLS), with Mosquitto's options.

=========================  =====================================================================
``certfile``, ``keyfile``  the server certificate (may include the chain) and its key
``cafile``                 CAs that sign client certificates (needed for ``require_certificate``)
``require_certificate``    refuse clients without a valid certificate (otherwise one is optional
                           when ``cafile`` is set, and not asked for when it is not)
``use_identity_as_username``  the broker takes the username from the certificate's CN, see
                           :func:`peer_identity`; needs ``require_certificate``
=========================  =====================================================================

TLS 1.2 is the minimum; compression and renegotiation are off.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class TlsConfigError(ValueError):
    """A TLS listener that cannot be built: a missing or unreadable file, a key that does not fit."""


@dataclass(frozen=True)
class TlsOptions:
    """One listener's TLS settings, as the broker config names them."""

    certfile: Path
    keyfile: Path
    cafile: Path | None = None
    require_certificate: bool = False
    use_identity_as_username: bool = False

    def __post_init__(self) -> None:
        if self.require_certificate and self.cafile is None:
            raise TlsConfigError("require_certificate needs a cafile to check client certificates against")
        if self.use_identity_as_username and not self.require_certificate:
            raise TlsConfigError("use_identity_as_username needs require_certificate: true")


def server_context(options: TlsOptions) -> ssl.SSLContext:
    """Build the listener's context; raise TlsConfigError naming the file at fault."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.options |= getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    for path in (options.certfile, options.keyfile, options.cafile):
        if path is not None and not Path(path).is_file():
            raise TlsConfigError(f"{path}: no such file")
    try:
        context.load_cert_chain(options.certfile, options.keyfile)
    except (ssl.SSLError, OSError) as error:
        raise TlsConfigError(
            f"{options.certfile} / {options.keyfile}: cannot use this certificate and key: {error}"
        ) from None
    if options.cafile is not None:
        try:
            context.load_verify_locations(cafile=options.cafile)
        except (ssl.SSLError, OSError) as error:
            raise TlsConfigError(f"{options.cafile}: cannot load CA certificates: {error}") from None
        context.verify_mode = ssl.CERT_REQUIRED if options.require_certificate else ssl.CERT_OPTIONAL
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


def peer_identity(ssl_object: ssl.SSLObject | ssl.SSLSocket | Any) -> str | None:
    """The common name (CN) of the client's verified certificate, or None if it sent none.

    With ``use_identity_as_username`` the broker uses this as the username (as Mosquitto does) and
    ignores any username in CONNECT; a None then means the connection must be refused.
    """
    certificate = ssl_object.getpeercert()
    if not certificate:
        return None
    for relative_name in certificate.get("subject", ()):
        for key, value in relative_name:
            if key == "commonName" and value:
                return value
    return None

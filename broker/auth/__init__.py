"""Who may connect (password files) and what they may do (ACL files), in Mosquitto's formats.

Both modules are pure: they read and write files and answer questions, and never touch a socket.
The broker calls :meth:`PasswordFile.verify` on CONNECT and an :class:`AclFile`'s checks on
PUBLISH, SUBSCRIBE, delivery, wills and retained messages.
"""

from broker.auth.acl import Access, AclError, AclFile, ClientAcl, client_rules
from broker.auth.login import LoginPolicy
from broker.auth.passwords import PasswordFile, PasswordFileError, PasswordHash

__all__ = [
    "Access",
    "AclError",
    "AclFile",
    "ClientAcl",
    "LoginPolicy",
    "PasswordFile",
    "PasswordFileError",
    "PasswordHash",
    "client_rules",
]

"""Password files in Mosquitto's format, read and written so that either broker accepts the other's.

One line per user, ``username:hash``. Mosquitto 2 writes two hash forms (checked against the real
``mosquitto_passwd`` 2.0.11 in the tests):

* ``$7$<iterations>$<base64 salt>$<base64 hash>``: PBKDF2-HMAC-SHA512 (the default, 101 iterations);
* ``$6$<base64 salt>$<base64 hash>``: one SHA-512 over ``password + salt``. This is *not* glibc's
  sha512-crypt, whatever the ``$6$`` suggests.

Mosquitto only accepts a 12-byte salt and a 64-byte hash, so those are the only sizes written or read.
Lines starting with ``#`` and blank lines are comments; they are kept when the file is saved again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from broker.auth.files import PRIVATE, write_atomically

PBKDF2_SCHEME = "7"
SHA512_SCHEME = "6"
DEFAULT_ITERATIONS = 101  # Mosquitto 2's default for $7$
SALT_BYTES = 12
HASH_BYTES = 64
MAX_FIELD_BYTES = 65535  # MQTT strings and binary data are at most 65535 bytes
MAX_ITERATIONS = 10_000_000  # far above anything sensible; keeps a hostile file from stalling CONNECT


class PasswordFileError(ValueError):
    """A password file that cannot be read or has a malformed line; the message starts with file:line."""


@dataclass(frozen=True)
class PasswordHash:
    """One user's salted hash, as it appears after the ``:`` of a password file line."""

    scheme: str
    salt: bytes
    digest: bytes
    iterations: int = 0

    @classmethod
    def create(
        cls, password: str | bytes, scheme: str = PBKDF2_SCHEME, iterations: int = DEFAULT_ITERATIONS
    ) -> PasswordHash:
        """Hash ``password`` with a fresh random salt."""
        if scheme not in (PBKDF2_SCHEME, SHA512_SCHEME):
            raise ValueError(f"unknown hash scheme ${scheme}$ (use $7$ or $6$)")
        if scheme == PBKDF2_SCHEME and not 1 <= iterations <= MAX_ITERATIONS:
            raise ValueError(f"iterations must be between 1 and {MAX_ITERATIONS}")
        salt = secrets.token_bytes(SALT_BYTES)
        used_iterations = iterations if scheme == PBKDF2_SCHEME else 0
        return cls(scheme, salt, _digest(scheme, _as_bytes(password), salt, used_iterations), used_iterations)

    @classmethod
    def parse(cls, text: str) -> PasswordHash:
        """Parse ``$7$...`` or ``$6$...``; raise ValueError saying what is wrong."""
        fields = text.split("$")
        if len(fields) < 2 or fields[0] != "":
            raise ValueError("the hash must start with $7$ or $6$")
        scheme = fields[1]
        if scheme == PBKDF2_SCHEME:
            if len(fields) != 5:
                raise ValueError("a $7$ hash has the form $7$<iterations>$<salt>$<hash>")
            iterations = _parse_iterations(fields[2])
            salt_text, digest_text = fields[3], fields[4]
        elif scheme == SHA512_SCHEME:
            if len(fields) != 4:
                raise ValueError("a $6$ hash has the form $6$<salt>$<hash>")
            iterations = 0
            salt_text, digest_text = fields[2], fields[3]
        else:
            raise ValueError(f"unknown hash scheme ${scheme}$ (Mosquitto writes $7$ and $6$)")
        salt = _decode_base64(salt_text, "salt", SALT_BYTES)
        digest = _decode_base64(digest_text, "hash", HASH_BYTES)
        return cls(scheme, salt, digest, iterations)

    def encode(self) -> str:
        salt = base64.b64encode(self.salt).decode()
        digest = base64.b64encode(self.digest).decode()
        if self.scheme == PBKDF2_SCHEME:
            return f"$7${self.iterations}${salt}${digest}"
        return f"$6${salt}${digest}"

    def matches(self, password: str | bytes) -> bool:
        """True when ``password`` hashes to this digest (compared in constant time)."""
        candidate = _digest(self.scheme, _as_bytes(password), self.salt, self.iterations)
        return hmac.compare_digest(candidate, self.digest)


def _as_bytes(password: str | bytes) -> bytes:
    return password.encode("utf-8") if isinstance(password, str) else bytes(password)


def _digest(scheme: str, password: bytes, salt: bytes, iterations: int) -> bytes:
    if scheme == PBKDF2_SCHEME:
        return hashlib.pbkdf2_hmac("sha512", password, salt, iterations)
    return hashlib.sha512(password + salt).digest()


def _parse_iterations(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"iterations must be a positive whole number, not {text!r}")
    iterations = int(text)
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be between 1 and {MAX_ITERATIONS}, not {iterations}")
    return iterations


def _decode_base64(text: str, what: str, size: int) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"the {what} is not valid base64") from None
    if len(data) != size:
        raise ValueError(f"the {what} must be {size} bytes (Mosquitto's size), not {len(data)}")
    return data


def split_lines(data: bytes | str) -> list[bytes]:
    """Split on newlines only (as Mosquitto's fgets does), dropping a trailing CR from each line."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")  # a lone surrogate becomes a line that fails to decode
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line.removesuffix(b"\r") for line in lines]


def check_username(username: str) -> None:
    """Raise ValueError unless ``username`` can be stored in a password file and sent in CONNECT."""
    if not username:
        raise ValueError("the username must not be empty")
    if ":" in username:
        raise ValueError("the username must not contain ':'")
    if username != username.strip():
        raise ValueError("the username must not start or end with whitespace")
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in username):
        raise ValueError("the username must not contain control characters")
    try:
        encoded = username.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the username must be valid UTF-8") from None
    if len(encoded) > MAX_FIELD_BYTES:
        raise ValueError(f"the username must be at most {MAX_FIELD_BYTES} bytes")


# A fixed hash checked when the user is unknown, so "no such user" costs as long as "wrong password".
_ABSENT_USER_HASH = PasswordHash(
    PBKDF2_SCHEME, b"\x00" * SALT_BYTES, b"\x00" * HASH_BYTES, DEFAULT_ITERATIONS
)


class PasswordFile:
    """The users of one password file, in file order, with its comments kept for saving."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lines: list[str | None] = []  # a comment/blank line, or None where a user's line goes
        self._order: list[str] = []  # usernames in the order their lines appear
        self._hashes: dict[str, PasswordHash] = {}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PasswordFile:
        """Read ``path``; raise PasswordFileError (``file:line: message``) on any malformed line."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise PasswordFileError(f"{path}: cannot read the password file: {error.strerror}") from None
        return cls.parse(data, path)

    @classmethod
    def parse(cls, data: bytes | str, path: Path | None = None) -> PasswordFile:
        """Build from file contents; ``path`` only names the file in error messages."""
        result = cls(path)
        source = str(path) if path else "<password file>"
        for number, raw in enumerate(split_lines(data), start=1):
            try:
                result._add_line(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise PasswordFileError(f"{source}:{number}: the line is not valid UTF-8") from None
            except ValueError as error:
                raise PasswordFileError(f"{source}:{number}: {error}") from None
        return result

    def _add_line(self, line: str) -> None:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            self._lines.append(line)
            return
        username, separator, hash_text = stripped.partition(":")
        username, hash_text = username.strip(), hash_text.strip()
        if not separator:
            raise ValueError("expected 'username:hash' (no ':' found)")
        check_username(username)
        if ":" in hash_text:
            raise ValueError("expected 'username:hash' (more than one ':')")
        if not hash_text:
            raise ValueError(f"user {username!r} has no password hash")
        if username in self._hashes:
            raise ValueError(f"user {username!r} appears twice")
        self._hashes[username] = PasswordHash.parse(hash_text)
        self._order.append(username)
        self._lines.append(None)

    @property
    def users(self) -> list[str]:
        return list(self._order)

    def __contains__(self, username: object) -> bool:
        return username in self._hashes

    def verify(self, username: str, password: str | bytes | None) -> bool:
        """True only when the user exists and the password matches; constant time in the hash."""
        stored = self._hashes.get(username)
        if stored is None or password is None:
            _ABSENT_USER_HASH.matches(password or b"")
            return False
        return stored.matches(password)

    def set(
        self,
        username: str,
        password: str | bytes,
        scheme: str = PBKDF2_SCHEME,
        iterations: int = DEFAULT_ITERATIONS,
    ) -> None:
        """Add the user or change their password."""
        check_username(username)
        new_hash = PasswordHash.create(password, scheme, iterations)
        if username not in self._hashes:
            self._order.append(username)
            self._lines.append(None)
        self._hashes[username] = new_hash

    def delete(self, username: str) -> None:
        """Remove the user; raise KeyError if there is no such user."""
        if username not in self._hashes:
            raise KeyError(username)
        position = self._order.index(username)
        user_slots = [index for index, line in enumerate(self._lines) if line is None]
        del self._lines[user_slots[position]]
        del self._order[position]
        del self._hashes[username]

    def render(self) -> str:
        users = iter(self._order)
        lines = [line if line is not None else self._user_line(next(users)) for line in self._lines]
        return "".join(line + "\n" for line in lines)

    def _user_line(self, username: str) -> str:
        return f"{username}:{self._hashes[username].encode()}"

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        """Write atomically (temp file, fsync, rename), mode 0600, keeping the replaced file's owner."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no path to save the password file to")
        write_atomically(target, self.render().encode("utf-8"), mode=PRIVATE)
        self.path = target

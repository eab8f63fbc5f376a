"""The image build as data: files to place and lines to set, per partition (in the spirit of pi-gen).

Modules here only describe *what* goes into the image (``PlaceFile``, ``PlaceLink``, ``SetLine``);
``image.apply`` is the only code that writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlaceFile:
    """Create or replace a file with exactly this content, mode and owner."""

    path: str
    content: bytes
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class PlaceLink:
    """A symbolic link ``path`` -> ``target`` (how ``systemctl enable`` enables a unit)."""

    path: str
    target: str


@dataclass(frozen=True)
class SetLine:
    """Make ``line`` present in text file ``path``: a line equal to or starting with ``key`` (even
    commented out with ``#``) is replaced in place, otherwise ``line`` is appended."""

    path: str
    line: str
    key: str


@dataclass
class Plan:
    """Everything one build changes, in the order it is applied."""

    boot: list[PlaceFile | SetLine] = field(default_factory=list)
    root: list[PlaceFile | PlaceLink | SetLine] = field(default_factory=list)
    cmdline_additions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

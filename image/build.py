"""``perch image build``: stock Raspberry Pi OS Lite image in, ready-to-boot Perch image out.

Works on the image file itself: sfdisk reads the partition table, mtools edits the FAT boot partition and
debugfs the ext4 root partition, each in place at its offset. No root, no mounts, no loop devices. The
partition table, labels, UUIDs and PARTUUIDs are never touched. File contents, modes, owners and times are
fixed (``SOURCE_DATE_EPOCH``), so the same inputs give the same files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from image.apply import apply_boot, apply_root
from image.base import BaseImage, check_partuuids, inspect_base
from image.errors import BadInputError, ImageError
from image.ext4 import Ext4Partition
from image.fat import FatPartition
from image.partitions import PartitionTable, read_partition_table
from image.progress import Progress
from image.settings import ImageSettings, load_settings
from image.steps import PlaceFile, PlaceLink, Plan, hardware
from image.steps.perch import WHEEL_DIR, perch_files, reachability_note
from image.steps.user_settings import cloud_init_plan, legacy_plan
from image.streams import compression_for, pack_output, unpack_base
from image.wheels import collect_wheels

DEFAULT_SOURCE_DATE_EPOCH = 1704067200  # 2024-01-01: fixed file times unless SOURCE_DATE_EPOCH says otherwise
ARCH_ALIASES = {"arm64": "aarch64", "amd64": "x86_64", "aarch64": "aarch64", "x86_64": "x86_64"}


@dataclass(frozen=True)
class BuildRequest:
    base: Path
    config: Path
    out: Path
    compression: str | None = None
    arch: str | None = None  # None: the base image's own architecture
    overrides: dict[str, Any] = field(default_factory=dict)
    perch_wheel: Path | None = None  # None: build Perch's wheel from this source tree


@dataclass
class BuildSummary:
    out: Path
    base: BaseImage
    table: PartitionTable
    boot_changes: list[str]
    root_changes: list[str]
    notes: list[str]

    def render(self) -> str:
        lines = [
            f"Built {self.out}",
            f"  base: Debian {self.base.release} ({self.base.codename}), {self.base.arch}, "
            f"Python {self.base.python_version}; disk id {self.table.disk_id} (PARTUUIDs unchanged)",
            f"  boot partition: {', '.join(self.boot_changes)}",
            f"  root partition: {len(self.root_changes)} files and links, among them:",
            *[f"    {path}" for path in self.root_changes if not path.endswith(".whl")],
            f"    {sum(path.endswith('.whl') for path in self.root_changes)} wheels in {WHEEL_DIR}",
            *[f"  {note}" for note in self.notes],
        ]
        return "\n".join(lines)


def source_date_epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return int(value) if value and value.isdigit() else DEFAULT_SOURCE_DATE_EPOCH


def instance_id(table: PartitionTable, settings: ImageSettings) -> str:
    """Same inputs, same id (reproducible); another config or base disk, another id (cloud-init reruns)."""
    digest = hashlib.sha256(table.disk_id.encode() + b"\0" + repr(settings).encode() + settings.config_text)
    return f"perch-{digest.hexdigest()[:16]}"


def make_plan(settings: ImageSettings, base: BaseImage, table: PartitionTable, wheels: list[Path]) -> Plan:
    plan = Plan(boot=list(hardware.BOOT_LINES), root=[*hardware.ROOT_LINES, *perch_files(settings, wheels)])
    note = reachability_note(settings.config_text.decode())
    if note:
        plan.notes.append(note)
    identity = instance_id(table, settings)
    if base.uses_cloud_init:
        cloud_init_plan(settings, identity, plan)
    else:
        legacy_plan(settings, identity, plan)
    return plan


def _target_arch(request: BuildRequest, base: BaseImage) -> str:
    if request.arch is None:
        return base.arch
    if request.arch not in ARCH_ALIASES:
        raise BadInputError(f"--arch {request.arch}: expected one of {', '.join(sorted(ARCH_ALIASES))}")
    return ARCH_ALIASES[request.arch]


def build_image(request: BuildRequest, progress: Progress | None = None) -> BuildSummary:
    """Build the image; on any error the partial output is removed and nothing else is left behind."""
    progress = progress or Progress(total_steps=7)
    settings = load_settings(request.config, request.overrides)
    compression = compression_for(request.out, request.compression)
    request.out.parent.mkdir(parents=True, exist_ok=True)
    work = request.out.with_name(f".{request.out.name}.work")
    try:
        progress.step(f"Reading base image {request.base}")
        unpack_base(request.base, work, progress)
        progress.step("Checking partitions")
        table = read_partition_table(work)
        epoch = source_date_epoch()
        boot = FatPartition(work, table.boot.offset)
        root = Ext4Partition(work, table.root.offset, epoch)
        boot.check()
        root.check()
        check_partuuids(table, boot, root)
        base = inspect_base(root)
        arch = _target_arch(request, base)
        progress.step(f"Collecting wheels for {arch}, Python {base.python_version}")
        with tempfile.TemporaryDirectory(prefix="perch-wheels-") as wheel_folder:
            wheels = collect_wheels(Path(wheel_folder), arch, base.python_version, epoch, request.perch_wheel)
            plan = make_plan(settings, base, table, wheels)
            progress.step("Writing the boot partition")
            apply_boot(boot, plan.boot, plan.cmdline_additions, epoch)
            progress.step("Writing the root partition")
            apply_root(root, plan.root)
        progress.step("Checking the result")
        read_partition_table(work)
        root.check_consistency()
        progress.step(f"Writing {request.out}" + (f" ({compression})" if compression else ""))
        pack_output(work, request.out, compression, progress)
        progress.finish()
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    return _summary(request.out, base, table, plan)


def _summary(out: Path, base: BaseImage, table: PartitionTable, plan: Plan) -> BuildSummary:
    boot_changes = [item.path for item in plan.boot if isinstance(item, PlaceFile)]
    boot_changes += sorted(
        {f"{item.path} ({item.line})" for item in plan.boot if not isinstance(item, PlaceFile)}
    )
    if plan.cmdline_additions:
        boot_changes.append("cmdline.txt (+ " + " ".join(plan.cmdline_additions) + ")")
    root_changes = [item.path for item in plan.root if isinstance(item, PlaceFile | PlaceLink)]
    root_changes += [
        f"{item.path} ({item.line})" for item in plan.root if not isinstance(item, PlaceFile | PlaceLink)
    ]
    return BuildSummary(out, base, table, boot_changes, root_changes, plan.notes)


__all__ = ["BuildRequest", "BuildSummary", "ImageError", "build_image"]

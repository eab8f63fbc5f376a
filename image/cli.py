"""`perch` subcommands of the image component: ``perch image build`` and ``perch image flash``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add this component's subcommands to the `perch` command."""
    image = subcommands.add_parser("image", help="build and flash Perch SD-card images")
    actions = image.add_subparsers(dest="image_command", required=True, metavar="ACTION")
    _register_build(actions)
    _register_flash(actions)


def _register_build(actions: argparse._SubParsersAction) -> None:
    build = actions.add_parser(
        "build",
        help="turn a Raspberry Pi OS Lite image into a Perch image (no root needed)",
        description="Turn a stock Raspberry Pi OS Lite (64-bit) image into a ready-to-boot Perch image. "
        "Settings come from the `image:` section of the appliance YAML; flags override them.",
    )
    build.add_argument(
        "--base", type=Path, required=True, help="Raspberry Pi OS Lite image (.img, .img.xz, .zst)"
    )
    build.add_argument("--config", type=Path, required=True, help="appliance config (perch.yaml)")
    build.add_argument("--out", type=Path, required=True, help="output image (.img, or .img.zst/.img.xz)")
    build.add_argument("--compress", choices=("zstd", "xz"), help="compress the output (default: from --out)")
    build.add_argument("--arch", help="wheel architecture: aarch64 (default: the base image's) or x86_64")
    build.add_argument("--perch-wheel", type=Path, help="ship this perch-*.whl instead of building one")
    build.add_argument("--hostname", help="host name (default: image.hostname, else the node name)")
    build.add_argument("--timezone", help="time zone, e.g. Europe/London")
    build.add_argument("--locale", help="locale, e.g. en_GB.UTF-8")
    build.add_argument("--keyboard", help="keyboard layout, e.g. gb")
    build.add_argument(
        "--simulate", action="store_true", default=None, help="run the agents on emulated chips"
    )
    build.add_argument("--user", help="login user to create (with --password-hash and/or --ssh-key)")
    build.add_argument("--password-hash", help="the user's password hash (openssl passwd -6)")
    build.add_argument(
        "--ssh-key", action="append", type=Path, help="public key file to authorize (repeatable)"
    )
    build.add_argument("--wifi-ssid", help="Wi-Fi network name")
    build.add_argument("--wifi-passphrase", help="Wi-Fi passphrase (WPA2)")
    build.add_argument("--wifi-country", help="Wi-Fi country code, e.g. GB")
    build.set_defaults(handler=_build)


def _register_flash(actions: argparse._SubParsersAction) -> None:
    flash = actions.add_parser(
        "flash",
        help="write an image to an SD card and verify it",
        description="Write IMAGE to DEVICE (an SD card, or a file/loop device for testing), then read it "
        "back and compare SHA-256. Refuses the system disk, mounted disks and non-removable disks.",
    )
    flash.add_argument("image", type=Path, help="image to write (.img, .img.zst or .img.xz)")
    flash.add_argument("device", type=Path, help="target, e.g. /dev/sdb or /dev/mmcblk0")
    flash.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    flash.add_argument("--dry-run", action="store_true", help="show what would be done, write nothing")
    flash.add_argument(
        "--force", action="store_true", help="allow a non-removable disk (never the system disk)"
    )
    flash.set_defaults(handler=_flash)


def _build(args: argparse.Namespace) -> int:
    from image.build import BuildRequest, build_image
    from image.errors import ImageError

    overrides: dict = {
        key: getattr(args, key) for key in ("hostname", "timezone", "locale", "keyboard", "simulate")
    }
    overrides["user"] = {
        "name": args.user,
        "password_hash": args.password_hash,
        "ssh_key_files": args.ssh_key,
    }
    overrides["wifi"] = {
        "ssid": args.wifi_ssid,
        "passphrase": args.wifi_passphrase,
        "country": args.wifi_country,
    }
    request = BuildRequest(
        args.base, args.config, args.out, args.compress, args.arch, overrides, args.perch_wheel
    )
    try:
        summary = build_image(request)
    except ImageError as error:
        print(f"perch image build: error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        print(f"perch image build: error: {error}", file=sys.stderr)
        return 1
    print(summary.render())
    return 0


def _flash(args: argparse.Namespace) -> int:
    from image.errors import ImageError
    from image.flash import FlashRequest, flash_image

    request = FlashRequest(
        args.image, args.device, assume_yes=args.yes, dry_run=args.dry_run, force=args.force
    )
    try:
        print(flash_image(request))
    except ImageError as error:
        print(f"perch image flash: error: {error}", file=sys.stderr)
        return error.exit_code
    except PermissionError as error:
        print(f"perch image flash: error: {error} (writing to a disk needs sudo)", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"perch image flash: error: {error}", file=sys.stderr)
        return 1
    return 0

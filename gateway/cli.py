"""Command line: ``s3-b2-gateway <command>``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gateway import __version__


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s3-b2-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("version", help="print the version and exit")

    emulator = commands.add_parser(
        "emulator",
        help="run the local B2-native-compatible emulator",
        description="Serve the B2 native API on loopback and print the B2_* variables "
        "(ready to eval) that point the b2 CLI and b2sdk at it.",
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=0, help="0 picks a free port")
    emulator.add_argument(
        "--data-dir", default="./b2-emulator-data", help="where objects and metadata live"
    )
    emulator.add_argument(
        "--in-memory",
        action="store_true",
        help="keep nothing: metadata in memory, bytes in a temp dir",
    )
    emulator.add_argument(
        "--faults", action="store_true", help="serve the /_emulator fault-control endpoints"
    )
    emulator.add_argument(
        "--token-ttl", type=float, default=86400, help="account token lifetime in seconds"
    )
    emulator.add_argument(
        "--absolute-minimum-part-size",
        type=int,
        default=5_000_000,
        help="smallest large-file part (but the last) the emulator accepts and advertises",
    )
    emulator.add_argument(
        "--recommended-part-size", type=int, default=100_000_000, help="advertised part size"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "emulator":
        from gateway.emulator.server import run_from_cli

        return run_from_cli(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            faults=args.faults,
            token_ttl=args.token_ttl,
            in_memory=args.in_memory,
            absolute_minimum_part_size=args.absolute_minimum_part_size,
            recommended_part_size=args.recommended_part_size,
        )
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())

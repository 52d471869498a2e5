"""Command line: ``s3-b2-gateway <command>``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

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
    emulator.add_argument(
        "--encrypt-by-default",
        action="store_true",
        help="new buckets default to SSE-B2 (B2's announced default from 2026-09-14)",
    )
    _add_serve(commands)
    check = commands.add_parser(
        "check-config",
        help="validate a configuration and try its B2 keys",
        description="Load the configuration as serve does (file, then environment), authorise "
        "each B2 key and check that a restricted key's buckets are visible. Exit status: 0 "
        "usable, 1 invalid configuration, 2 B2 refused a key or was unreachable.",
    )
    check.add_argument("--config", type=Path, help="TOML file: [server] table and credentials")
    return parser


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the S3 gateway",
        description="Serve the S3 API in front of Backblaze B2. With no B2 credentials "
        "(B2_APPLICATION_KEY_ID/B2_APPLICATION_KEY or a credentials file), an embedded B2 "
        "emulator keeps the data under --data-dir, and the AWS_* settings to use are printed.",
    )
    serve.add_argument("--config", type=Path, help="TOML file: [server] table and credentials")
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8080; 0 picks a free one)")
    serve.add_argument("--tls", action="store_true", default=None, help="also serve HTTPS")
    serve.add_argument("--tls-port", type=int, help="HTTPS port (default 8443; 0 picks one)")
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate (default: self-signed)")
    serve.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    serve.add_argument("--metrics-port", type=int, help="serve /metrics and /health/* here")
    serve.add_argument("--data-dir", type=Path, help="embedded B2 data and the TLS certificate")
    serve.add_argument("--region", help="the S3 region clients sign for (default us-east-1)")
    serve.add_argument(
        "--base-domain",
        dest="base_domains",
        action="append",
        help="virtual-host style base domain (repeatable)",
    )
    serve.add_argument("--log-level", help="DEBUG, INFO (default), WARNING, ERROR")
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="text (default) or json: one object per line, one access record per request",
    )
    serve.add_argument(
        "--shutdown-grace",
        dest="shutdown_grace_seconds",
        type=float,
        help="seconds in-flight requests get to finish after SIGTERM/SIGINT (default 30)",
    )
    serve.add_argument(
        "--no-sigv2",
        dest="sigv2",
        action="store_false",
        default=None,
        help="refuse AWS Signature Version 2 (legacy presigned URLs); accepted by default",
    )


_SERVE_FLAGS = (
    "host",
    "port",
    "tls",
    "tls_port",
    "tls_cert",
    "tls_key",
    "metrics_port",
    "data_dir",
    "region",
    "base_domains",
    "log_level",
    "log_format",
    "shutdown_grace_seconds",
    "sigv2",
)


def _serve(args: argparse.Namespace) -> int:
    from gateway.serve import run

    flags = {name: getattr(args, name) for name in _SERVE_FLAGS if getattr(args, name) is not None}
    if "base_domains" in flags:
        flags["base_domains"] = tuple(flags["base_domains"])
    return run(args.config, flags)


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
            encrypt_by_default=args.encrypt_by_default,
        )
    if args.command == "serve":
        return _serve(args)
    if args.command == "check-config":
        from gateway.check_config import check_config

        return check_config(args.config, os.environ, sys.stdout)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())

"""Loading the shared SigV4 vectors (read-only, outside the repository)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VECTORS = Path("/work/shared/vectors/sigv4")


@dataclass(frozen=True)
class RawRequest:
    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, bytes]]  # lower-case names, wire order, folded lines unfolded
    body: bytes

    def header(self, name: str) -> str | None:
        for header, value in self.headers:
            if header == name:
                return value.decode()
        return None


def parse_raw_request(data: bytes) -> RawRequest:
    """Parse a request as the test suites write it: LF or CRLF line ends, obs-fold allowed."""
    head, _, body = data.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.split(b"\n")
    method, rest = lines[0].decode().split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    raw_path, _, raw_query = target.partition("?")
    headers: list[tuple[str, bytes]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip())
            continue
        name, _, value = line.partition(b":")
        headers.append((name.decode().strip().lower(), value.strip()))
    return RawRequest(method, raw_path, raw_query, headers, body)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def s3_doc_vectors() -> list[Path]:
    return sorted((VECTORS / "s3-docs").glob("*.json"))


def aws_c_auth_cases() -> list[Path]:
    return sorted(p for p in (VECTORS / "aws-c-auth" / "v4").iterdir() if p.is_dir())


def botocore_cases() -> list[Path]:
    """Every directory holding a ``.req`` file (the suite nests some cases one level down)."""
    root = VECTORS / "botocore" / "aws4_testsuite"
    return sorted(p.parent for p in root.rglob("*.req"))

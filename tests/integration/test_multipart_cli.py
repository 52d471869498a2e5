"""The aws CLI's multipart paths through the gateway: ``aws s3 cp`` of a 100 MB file (the CLI's
transfer manager: 8 MiB parts, CRC32, concurrent) and the ``aws s3api`` multipart commands."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack

pytestmark = pytest.mark.compat
AWS = str(Path(sys.executable).with_name("aws"))
MIB = 1024 * 1024


def aws(stack: Stack, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ACCESS_KEY_ID": stack.emulator.key_id,
        "AWS_SECRET_ACCESS_KEY": stack.emulator.key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    result = subprocess.run(
        [AWS, "--endpoint-url", stack.gateway.http_url, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def aws_json(stack: Stack, *args: str) -> Any:
    return json.loads(aws(stack, *args))


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(MIB):
            digest.update(block)
    return digest.hexdigest()


@pytest.mark.timeout(300)
def test_aws_s3_cp_100_mb_up_and_down_is_byte_identical(
    stack: Stack, bucket: str, tmp_path: Path
) -> None:
    source = tmp_path / "up.bin"
    with source.open("wb") as handle:
        for _ in range(100):
            handle.write(os.urandom(MIB))
    aws(stack, "s3", "cp", str(source), f"s3://{bucket}/big.bin")
    head = aws_json(stack, "s3api", "head-object", "--bucket", bucket, "--key", "big.bin")
    assert head["ContentLength"] == 100 * MIB
    assert head["ETag"].endswith('-13"')  # 8 MiB parts: the CLI's default chunk size
    target = tmp_path / "down.bin"
    aws(stack, "s3", "cp", f"s3://{bucket}/big.bin", str(target))
    assert _md5(target) == _md5(source)
    assert [v.name for v in stack.versions(bucket)] == ["big.bin"]


@pytest.mark.timeout(120)
def test_aws_s3api_multipart_commands_round_trip(stack: Stack, bucket: str, tmp_path: Path) -> None:
    parts = [os.urandom(5 * MIB), b"the end"]
    created = aws_json(
        stack, "s3api", "create-multipart-upload", "--bucket", bucket, "--key", "cli.bin"
    )
    upload_id = created["UploadId"]
    listed = aws_json(stack, "s3api", "list-multipart-uploads", "--bucket", bucket)
    assert [(u["Key"], u["UploadId"]) for u in listed["Uploads"]] == [("cli.bin", upload_id)]
    etags = []
    for number, data in enumerate(parts, start=1):
        body = tmp_path / f"part{number}"
        body.write_bytes(data)
        answer = aws_json(
            stack,
            "s3api",
            "upload-part",
            "--bucket",
            bucket,
            "--key",
            "cli.bin",
            "--upload-id",
            upload_id,
            "--part-number",
            str(number),
            "--body",
            str(body),
        )
        etags.append(answer["ETag"])
    listed_parts = aws_json(
        stack,
        "s3api",
        "list-parts",
        "--bucket",
        bucket,
        "--key",
        "cli.bin",
        "--upload-id",
        upload_id,
    )
    assert [p["ETag"] for p in listed_parts["Parts"]] == etags
    layout = tmp_path / "parts.json"
    layout.write_text(
        json.dumps({"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    )
    done = aws_json(
        stack,
        "s3api",
        "complete-multipart-upload",
        "--bucket",
        bucket,
        "--key",
        "cli.bin",
        "--upload-id",
        upload_id,
        "--multipart-upload",
        f"file://{layout}",
    )
    joined = b"".join(hashlib.md5(p, usedforsecurity=False).digest() for p in parts)
    assert done["ETag"] == f'"{hashlib.md5(joined, usedforsecurity=False).hexdigest()}-2"'
    target = tmp_path / "down"
    aws(stack, "s3", "cp", f"s3://{bucket}/cli.bin", str(target))
    assert target.read_bytes() == b"".join(parts)

    second = aws_json(
        stack, "s3api", "create-multipart-upload", "--bucket", bucket, "--key", "gone.bin"
    )
    aws(
        stack,
        "s3api",
        "abort-multipart-upload",
        "--bucket",
        bucket,
        "--key",
        "gone.bin",
        "--upload-id",
        second["UploadId"],
    )
    assert "Uploads" not in aws_json(stack, "s3api", "list-multipart-uploads", "--bucket", bucket)
    assert [v.name for v in stack.versions(bucket)] == ["cli.bin"]

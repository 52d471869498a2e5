"""The aws CLI over HTTPS: ``s3 cp/sync/ls/rm/presign`` and ``s3api``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import (
    AWKWARD_KEYS,
    BigFile,
    Scenario,
    Served,
    multipart_etag,
    put_many_keys,
    require_program,
    run,
    run_bytes,
    sha256_of,
    tree_digest,
    write_tree,
)

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]
BUCKET = "awscli-compat"


def test_awscli_scenario_round_trips_every_operation(
    served: Served, big_file: BigFile, scenario: Any, tmp_path: Path
) -> None:
    aws_program = require_program("aws")
    env = served.environment(https=True)

    def aws(*args: str) -> str:
        return run([aws_program, *args], env)

    def s3api(*args: str) -> Any:
        return json.loads(aws("s3api", *args, "--output", "json") or "null")

    version = aws("--version").split()[0].split("/")[1]
    steps: Scenario = scenario("aws cli", version, "https")
    s3 = f"s3://{BUCKET}"

    with steps.step("s3 mb"):
        aws("s3", "mb", s3)
        assert BUCKET in aws("s3", "ls")

    with steps.step("metadata + content-type"):
        small = tmp_path / "small.txt"
        small.write_bytes(b"hello from the aws cli")
        aws("s3", "cp", str(small), f"{s3}/small.txt", "--content-type", "text/x-compat",
            "--metadata", "colour=blue")  # fmt: skip
        head = s3api("head-object", "--bucket", BUCKET, "--key", "small.txt")
        assert head["ContentType"] == "text/x-compat"
        assert head["Metadata"] == {"colour": "blue"}

    with steps.step("s3 cp multipart 50 MB"):
        aws("s3", "cp", str(big_file.path), f"{s3}/big.bin")
        head = s3api("head-object", "--bucket", BUCKET, "--key", "big.bin")
        assert head["ETag"] == multipart_etag(big_file.path, 8 * 1024 * 1024)  # the default
        back = tmp_path / "big-back.bin"
        aws("s3", "cp", f"{s3}/big.bin", str(back))
        assert sha256_of(back) == big_file.sha256

    with steps.step("s3 cp from stdin (multipart, unknown size) and to stdout"):
        run([aws_program, "s3", "cp", "-", f"{s3}/stdin.bin"], env, stdin=big_file.path)
        assert served.etag(BUCKET, "stdin.bin") == multipart_etag(big_file.path, 8 * 1024 * 1024)
        streamed = run_bytes([aws_program, "s3", "cp", f"{s3}/stdin.bin", "-"], env)
        assert hashlib.sha256(streamed).hexdigest() == big_file.sha256

    with steps.step("range"):
        part = tmp_path / "range.bin"
        s3api("get-object", "--bucket", BUCKET, "--key", "big.bin", "--range",
              "bytes=20000000-20004095", str(part))  # fmt: skip
        with big_file.path.open("rb") as f:
            f.seek(20_000_000)
            assert part.read_bytes() == f.read(4096)

    with steps.step("s3 sync tree + odd keys"):
        tree = write_tree(tmp_path / "tree")
        aws("s3", "sync", str(tree), f"{s3}/tree/")
        back_tree = tmp_path / "tree-back"
        aws("s3", "sync", f"{s3}/tree/", str(back_tree))
        assert tree_digest(back_tree) == tree_digest(tree)
        assert aws("s3", "sync", str(tree), f"{s3}/tree/") == ""  # nothing left to send

    with steps.step("s3 ls, list prefix/delimiter"):
        top = aws("s3", "ls", f"{s3}/tree/")
        assert "PRE dir one/" in top
        assert "PRE unicode/" in top
        listed = s3api("list-objects-v2", "--bucket", BUCKET, "--prefix", "tree/",
                       "--delimiter", "/")  # fmt: skip
        assert [p["Prefix"] for p in listed["CommonPrefixes"]] == [
            "tree/a/", "tree/dir one/", "tree/plus+sign/", "tree/unicode/"
        ]  # fmt: skip
        assert [o["Key"] for o in listed["Contents"]] == ["tree/empty.txt", "tree/top.txt"]

    with steps.step("paging > 1000 (s3 ls, s3api)"):
        names = put_many_keys(served, BUCKET, "many/")
        listed = s3api("list-objects-v2", "--bucket", BUCKET, "--prefix", "many/")
        assert [o["Key"] for o in listed["Contents"]] == names
        lines = aws("s3", "ls", "--recursive", f"{s3}/many/").splitlines()
        assert len(lines) == len(names)

    with steps.step("copy (s3 cp, s3api copy-object)"):
        aws("s3", "cp", f"{s3}/small.txt", f"{s3}/copy.txt")
        s3api("copy-object", "--bucket", BUCKET, "--key", "copy2.txt",
              "--copy-source", f"{BUCKET}/small.txt")  # fmt: skip
        copy = tmp_path / "copy.txt"
        aws("s3", "cp", f"{s3}/copy2.txt", str(copy))
        assert copy.read_bytes() == small.read_bytes()

    with steps.step("s3 presign (SigV2 default, SigV4)"):
        target = f"{s3}/tree/{AWKWARD_KEYS[2]}"
        expected = (tree / AWKWARD_KEYS[2]).read_bytes()
        url = aws("s3", "presign", target).strip()
        assert "Signature=" in url  # awscli v1 presigns with SigV2 unless configured
        assert served.fetch(url) == expected
        config = tmp_path / "aws-config"
        config.write_text("[default]\ns3 =\n    signature_version = s3v4\n")
        url = run([aws_program, "s3", "presign", target],
                  {**env, "AWS_CONFIG_FILE": str(config)}).strip()  # fmt: skip
        assert "X-Amz-Signature=" in url
        assert served.fetch(url) == expected

    with steps.step("s3 rm, rm --recursive, s3api delete-objects"):
        aws("s3", "rm", f"{s3}/copy.txt")
        objects = {"Objects": [{"Key": k} for k in names[:400]], "Quiet": True}
        s3api("delete-objects", "--bucket", BUCKET, "--delete", json.dumps(objects))
        aws("s3", "rm", "--recursive", f"{s3}/many/")
        remaining = s3api("list-objects-v2", "--bucket", BUCKET)
        assert [o["Key"] for o in remaining["Contents"]][:3] == ["big.bin", "copy2.txt",
                                                                 "small.txt"]  # fmt: skip
        assert not any(o["Key"].startswith("many/") for o in remaining["Contents"])

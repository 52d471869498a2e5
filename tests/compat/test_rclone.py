"""rclone's S3 backend (aws-sdk-go v1, provider Other) over HTTPS with ``--ca-cert``."""

from __future__ import annotations

import os
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
BUCKET = "rclone-compat"


def rclone_environment(served: Served, directory: Path) -> dict[str, str]:
    """An ``gw:`` remote from environment variables only. AWS_CA_BUNDLE stays unset: rclone 1.60
    aborts with LoadCustomCABundleError when it is set; the certificate goes in --ca-cert."""
    env = {k: v for k, v in served.environment(https=False).items() if not k.startswith("AWS_")}
    config = directory / "rclone.conf"
    config.write_text("")
    env.update(
        RCLONE_CONFIG=str(config),
        RCLONE_CONFIG_GW_TYPE="s3",
        RCLONE_CONFIG_GW_PROVIDER="Other",
        RCLONE_CONFIG_GW_ACCESS_KEY_ID=served.access_key,
        RCLONE_CONFIG_GW_SECRET_ACCESS_KEY=served.secret_key,
        RCLONE_CONFIG_GW_ENDPOINT=served.https_url,
        RCLONE_CONFIG_GW_REGION=served.region,
        RCLONE_CONFIG_GW_FORCE_PATH_STYLE="true",
        RCLONE_CA_CERT=str(served.ca_bundle),
        RCLONE_CHECKERS="8",
        RCLONE_TRANSFERS="8",
        RCLONE_LOW_LEVEL_RETRIES="1",
        RCLONE_RETRIES="1",
    )
    assert "AWS_CA_BUNDLE" not in env
    return env


def test_rclone_scenario_round_trips_every_operation(
    served: Served, big_file: BigFile, scenario: Any, tmp_path: Path
) -> None:
    program = require_program("rclone")
    env = rclone_environment(served, tmp_path)

    def rclone(*args: str) -> str:
        return run([program, *args], env)

    version = rclone("version").split()[1]
    steps: Scenario = scenario("rclone (s3 backend)", version, "https")
    remote = f"gw:{BUCKET}"
    boto = served.boto3(https=False)

    with steps.step("mkdir"):
        rclone("mkdir", remote)
        assert f"{BUCKET}/" in rclone("lsf", "gw:").splitlines()

    with steps.step("metadata + content-type (--header-upload)"):
        small = tmp_path / "small.txt"
        small.write_bytes(b"hello from rclone")
        rclone("copyto", str(small), f"{remote}/small.txt",
               "--header-upload", "Content-Type: text/x-compat",
               "--header-upload", "X-Amz-Meta-Colour: blue")  # fmt: skip
        head = boto.head_object(Bucket=BUCKET, Key="small.txt")
        assert head["ContentType"] == "text/x-compat"
        assert head["Metadata"]["colour"] == "blue"
        assert "mtime" in head["Metadata"]  # rclone's own metadata survives too

    with steps.step("multipart 50 MB (8M chunks), check --download"):
        big_dir = tmp_path / "big"
        big_dir.mkdir()
        os.link(big_file.path, big_dir / "big.bin")
        rclone("copy", str(big_dir), remote, "--s3-upload-cutoff", "8M", "--s3-chunk-size", "8M")
        assert served.etag(BUCKET, "big.bin") == multipart_etag(big_file.path, 8 * 1024 * 1024)
        rclone("check", "--download", str(big_dir), remote, "--include", "big.bin")
        back = tmp_path / "big-back.bin"
        rclone("copyto", f"{remote}/big.bin", str(back))
        assert sha256_of(back) == big_file.sha256

    with steps.step("rcat from stdin (streamed multipart)"):
        run([program, "rcat", f"{remote}/rcat.bin", "--s3-chunk-size", "8M"], env,
            stdin=big_file.path)  # fmt: skip
        assert served.etag(BUCKET, "rcat.bin") == multipart_etag(big_file.path, 8 * 1024 * 1024)
        assert run_bytes([program, "cat", f"{remote}/rcat.bin"], env) == (
            big_file.path.read_bytes()
        )

    with steps.step("range (cat --offset --count)"):
        cut = run_bytes([program, "cat", "--offset", "123456", "--count", "1000",
                         f"{remote}/big.bin"], env)  # fmt: skip
        with big_file.path.open("rb") as f:
            f.seek(123456)
            assert cut == f.read(1000)

    with steps.step("sync tree + odd keys, check"):
        tree = write_tree(tmp_path / "tree")
        rclone("sync", str(tree), f"{remote}/tree")
        rclone("check", str(tree), f"{remote}/tree")
        back_tree = tmp_path / "tree-back"
        rclone("sync", f"{remote}/tree", str(back_tree))
        assert tree_digest(back_tree) == tree_digest(tree)

    with steps.step("lsf prefix/delimiter (ListObjects v1)"):
        listed = rclone("lsf", f"{remote}/tree").splitlines()
        assert listed == ["a/", "dir one/", "empty.txt", "plus+sign/", "top.txt", "unicode/"]
        assert rclone("lsf", f"{remote}/tree/unicode").splitlines() == [
            AWKWARD_KEYS[2].split("/")[1]
        ]

    with steps.step("paging > 1000"):
        names = put_many_keys(served, BUCKET, "many/")
        listed = rclone("lsf", f"{remote}/many").splitlines()
        assert listed == [n.removeprefix("many/") for n in names]

    with steps.step("server-side copy (incl. multipart copy)"):
        rclone("copyto", f"{remote}/small.txt", f"{remote}/copy.txt")
        assert boto.get_object(Bucket=BUCKET, Key="copy.txt")["Body"].read() == small.read_bytes()
        rclone("copyto", f"{remote}/big.bin", f"{remote}/big-copy.bin", "--s3-copy-cutoff", "8M")
        rclone("check", "--download", str(big_dir), remote, "--include", "big.bin")
        copied = boto.head_object(Bucket=BUCKET, Key="big-copy.bin")
        assert copied["ContentLength"] == big_file.path.stat().st_size

    with steps.step("link (presigned GET)"):
        url = rclone("link", f"{remote}/{AWKWARD_KEYS[1]}".replace(
            AWKWARD_KEYS[1], f"tree/{AWKWARD_KEYS[1]}")).strip()  # fmt: skip
        assert served.fetch(url) == (tree / AWKWARD_KEYS[1]).read_bytes()

    with steps.step("deletefile, delete, purge"):
        rclone("deletefile", f"{remote}/copy.txt")
        rclone("delete", f"{remote}/many")
        assert rclone("lsf", f"{remote}/many") == ""
        rclone("purge", f"{remote}/tree")
        assert sorted(rclone("lsf", remote).splitlines()) == [
            "big-copy.bin",
            "big.bin",
            "rcat.bin",
            "small.txt",
        ]
    boto.close()

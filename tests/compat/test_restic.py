"""restic with an S3 repository (minio-go) over HTTPS: init, backup, check, restore, prune."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import (
    BigFile,
    Scenario,
    Served,
    require_program,
    run,
    tree_digest,
    write_tree,
)

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]
BUCKET = "restic-compat"


def test_restic_backup_check_restore_prune_round_trip(
    served: Served, big_file: BigFile, scenario: Any, tmp_path: Path
) -> None:
    program = require_program("restic")
    env = served.environment(https=True)
    del env["AWS_CA_BUNDLE"]  # restic takes the certificate as --cacert
    env.update(
        RESTIC_REPOSITORY=f"s3:{served.https_url}/{BUCKET}/repo",
        RESTIC_PASSWORD="compat-password",
        RESTIC_CACHE_DIR=str(tmp_path / "cache"),
        # One pack holds the 50 MB file: restic 0.14's minio-go sends it as one streamed PUT
        # (it never goes multipart for packs), the gateway's large single-PUT path.
        RESTIC_PACK_SIZE="64",
    )

    def restic(*args: str) -> str:
        return run([program, "--cacert", str(served.ca_bundle), *args], env)

    version = restic("version").split()[1]
    steps: Scenario = scenario("restic", version, "https")
    source = write_tree(tmp_path / "source")
    os.link(big_file.path, source / "big.bin")

    with steps.step("init (creates the bucket)"):
        restic("init")
        client = served.boto3(https=False)
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
        assert "repo/config" in keys

    with steps.step("backup (50 MB single-PUT pack)"):
        restic("backup", "--host", "compat", str(source))
        packs = client.list_objects_v2(Bucket=BUCKET, Prefix="repo/data/")["Contents"]
        assert max(o["Size"] for o in packs) > big_file.path.stat().st_size

    with steps.step("check --read-data"):
        restic("check", "--read-data")

    with steps.step("restore + compare"):
        target = tmp_path / "restored"
        restic("restore", "latest", "--target", str(target))
        restored_root = target / source.relative_to(source.anchor)
        assert tree_digest(restored_root) == tree_digest(source)

    with steps.step("second backup, forget --prune, check"):
        (source / "top.txt").write_bytes(b"changed")
        shutil.rmtree(source / "a")
        restic("backup", "--host", "compat", str(source))
        snapshots = json.loads(restic("snapshots", "--json"))
        assert len(snapshots) == 2
        restic("forget", "--keep-last", "1", "--prune")
        assert len(json.loads(restic("snapshots", "--json"))) == 1
        restic("check")
        target = tmp_path / "restored-again"
        restic("restore", "latest", "--target", str(target))
        assert tree_digest(target / source.relative_to(source.anchor)) == tree_digest(source)
    client.close()

"""s3cmd over HTTPS (path style, its own SigV4 signer, ListObjects v1 only)."""

from __future__ import annotations

import re
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
    sha256_of,
    tree_digest,
    write_tree,
)

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]


def s3cmd_config(served: Served, directory: Path, *, signature_v2: bool) -> Path:
    """An s3cmd configuration for this gateway over HTTPS (nothing read from ~/.s3cfg)."""
    host = f"127.0.0.1:{served.https_port}"
    path = directory / "s3cfg"
    path.write_text(
        "[default]\n"
        f"access_key = {served.access_key}\n"
        f"secret_key = {served.secret_key}\n"
        f"host_base = {host}\n"
        f"host_bucket = {host}\n"  # no %(bucket)s: path-style addressing
        "use_https = True\n"
        "signurl_use_https = True\n"  # signurl writes http:// otherwise
        f"ca_certs_file = {served.ca_bundle}\n"
        "check_ssl_certificate = True\n"
        f"bucket_location = {served.region}\n"
        f"signature_v2 = {signature_v2}\n"
    )
    return path


@pytest.mark.parametrize("signature_v2", [False, True], ids=["sigv4", "signature_v2"])
def test_s3cmd_scenario_round_trips_every_operation(
    served: Served, big_file: BigFile, scenario: Any, tmp_path: Path, signature_v2: bool
) -> None:
    program = require_program("s3cmd")
    config = s3cmd_config(served, tmp_path, signature_v2=signature_v2)
    env = served.environment()

    def s3cmd(*args: str) -> str:
        return run([program, "-c", str(config), "--no-progress", *args], env)

    version = s3cmd("--version").split()[-1]
    signing = "SigV2 (signature_v2 = True)" if signature_v2 else "SigV4"
    steps: Scenario = scenario("s3cmd", version, f"https, {signing}")
    bucket = f"s3cmd-{'sigv2' if signature_v2 else 'sigv4'}"
    s3 = f"s3://{bucket}"

    with steps.step("mb"):
        s3cmd("mb", s3)
        assert s3 in s3cmd("ls")

    with steps.step("metadata + mime type (info)"):
        small = tmp_path / "small.txt"
        small.write_bytes(b"hello from s3cmd")
        s3cmd("put", str(small), f"{s3}/small.txt", "--mime-type=text/x-compat",
              "--add-header=x-amz-meta-colour:blue")  # fmt: skip
        info = s3cmd("info", f"{s3}/small.txt")
        assert re.search(r"MIME type:\s+text/x-compat", info), info
        assert re.search(r"x-amz-meta-colour:\s+blue", info), info

    with steps.step("multipart 50 MB (15 MB chunks)"):
        s3cmd("put", str(big_file.path), f"{s3}/big.bin")
        # s3cmd's own `info` shows the md5 it stored in x-amz-meta-s3cmd-attrs: ask S3.
        assert served.etag(bucket, "big.bin") == multipart_etag(big_file.path, 15 * 1024 * 1024)
        back = tmp_path / "big-back.bin"
        s3cmd("get", f"{s3}/big.bin", str(back))
        assert sha256_of(back) == big_file.sha256

    with steps.step("range (get --continue)"):
        partial = tmp_path / "partial.bin"
        with big_file.path.open("rb") as f:
            partial.write_bytes(f.read(30_000_000))
        s3cmd("get", "--continue", f"{s3}/big.bin", str(partial))
        assert sha256_of(partial) == big_file.sha256

    with steps.step("sync tree + odd keys"):
        tree = write_tree(tmp_path / "tree")
        s3cmd("sync", f"{tree}/", f"{s3}/tree/")
        back_tree = tmp_path / "tree-back"
        back_tree.mkdir()
        s3cmd("sync", f"{s3}/tree/", f"{back_tree}/")
        assert tree_digest(back_tree) == tree_digest(tree)

    with steps.step("ls prefix/delimiter"):
        listed = s3cmd("ls", f"{s3}/tree/")
        dirs = re.findall(r"DIR\s+(\S.*)$", listed, re.MULTILINE)
        assert dirs == [f"{s3}/tree/{d}/" for d in ("a", "dir one", "plus+sign", "unicode")]
        assert f"{s3}/tree/top.txt" in listed

    with steps.step("paging > 1000 (v1)"):
        names = put_many_keys(served, bucket, "many/")
        lines = s3cmd("ls", "--recursive", f"{s3}/many/").splitlines()
        assert [line.rsplit(" ", 1)[1] for line in lines] == [f"{s3}/{n}" for n in names]

    with steps.step("cp"):
        s3cmd("cp", f"{s3}/small.txt", f"{s3}/copy.txt")
        copy = tmp_path / "copy.txt"
        s3cmd("get", f"{s3}/copy.txt", str(copy))
        assert copy.read_bytes() == small.read_bytes()

    with steps.step("signurl (SigV2 presigned GET)"):
        url = s3cmd("signurl", f"{s3}/tree/{AWKWARD_KEYS[1]}", "+300").strip()
        assert "Signature=" in url
        assert served.fetch(url) == (tree / AWKWARD_KEYS[1]).read_bytes()

    with steps.step("del, del --recursive (multi-delete)"):
        s3cmd("del", f"{s3}/copy.txt")
        s3cmd("del", "--recursive", "--force", f"{s3}/many/")
        remaining = s3cmd("ls", "--recursive", s3)
        assert "many/" not in remaining
        assert "copy.txt" not in remaining
        assert f"{s3}/small.txt" in remaining


def test_s3cmd_setacl_private_is_accepted(served: Served, tmp_path: Path) -> None:
    client = served.boto3(https=False)
    client.create_bucket(Bucket="s3cmd-acl")
    client.put_object(Bucket="s3cmd-acl", Key="k", Body=b"acl")
    client.close()
    config = s3cmd_config(served, tmp_path, signature_v2=False)
    run([require_program("s3cmd"), "-c", str(config), "setacl", "--acl-private",
         "s3://s3cmd-acl/k"], served.environment())  # fmt: skip

"""rclone's native b2 backend (Debian's rclone 1.60, which speaks B2 API v1) against the emulator.

rclone is a third B2 client written independently of b2sdk: if the emulator only pleased b2sdk,
this is where it would show.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.emulator.server import RunningEmulator

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]

# rclone's smallest chunk (5 MiB) is above B2's absoluteMinimumPartSize, so this goes multipart.
LARGE_FLAGS = ["--b2-upload-cutoff", "5M", "--b2-chunk-size", "5M", "--b2-copy-cutoff", "5M"]


class Rclone:
    def __init__(self, emulator: RunningEmulator, home: Path) -> None:
        self.emulator = emulator
        config = home / "rclone.conf"
        config.write_text("")
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "RCLONE_CONFIG": str(config),
            "RCLONE_CONFIG_RCB2_TYPE": "b2",
            "RCLONE_CONFIG_RCB2_ACCOUNT": emulator.key_id,
            "RCLONE_CONFIG_RCB2_KEY": emulator.key,
            "RCLONE_CONFIG_RCB2_ENDPOINT": emulator.url,
        }

    def __call__(self, *args: str) -> str:
        return self.bytes(*args).decode()

    def calls(self) -> dict[str, int]:
        """What the emulator was asked, by B2 call name."""
        with urllib.request.urlopen(f"{self.emulator.url}/_emulator/counters", timeout=10) as r:
            counters: dict[str, int] = json.load(r)
        return counters

    def bytes(self, *args: str) -> bytes:
        result = subprocess.run(
            ["rclone", *args], env=self.env, capture_output=True, timeout=240, check=False
        )
        assert result.returncode == 0, f"rclone {' '.join(args)}:\n{result.stderr.decode()}"
        return result.stdout


@pytest.fixture
def rclone(threaded_emulator_factory: Callable[..., RunningEmulator], tmp_path: Path) -> Rclone:
    assert shutil.which("rclone"), "rclone is installed by .ci/run (Debian package)"
    return Rclone(threaded_emulator_factory(), tmp_path)


def _tree(root: Path) -> dict[str, bytes]:
    files = {
        "top.txt": b"top level\n",
        "docs/a b+c.txt": b"spaces and plus\n",
        "docs/ünïcødé/ключ.txt": b"unicode names\n",
        "docs/deep/er/still.bin": os.urandom(70_000),
        "big/large.bin": os.urandom(12 * 1024 * 1024 + 123),  # three parts of 5 MiB or less
        "empty": b"",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def test_rclone_syncs_a_tree_and_check_agrees(rclone: Rclone, tmp_path: Path) -> None:
    source = tmp_path / "source"
    files = _tree(source)
    rclone("mkdir", "rcb2:rclone-bucket")
    rclone("sync", str(source), "rcb2:rclone-bucket/sync", *LARGE_FLAGS)

    assert set(rclone("lsf", "-R", "--files-only", "rcb2:rclone-bucket/sync").split()) >= {
        "top.txt",
        "big/large.bin",
        "empty",
    }
    listed = rclone("lsf", "-R", "--files-only", "--format", "p", "rcb2:rclone-bucket/sync")
    assert sorted(listed.splitlines()) == sorted(files)
    rclone("check", str(source), "rcb2:rclone-bucket/sync")
    rclone("check", "--download", str(source), "rcb2:rclone-bucket/sync")

    # A change and a deletion, synced again: check still agrees.
    (source / "top.txt").write_bytes(b"changed\n")
    (source / "docs/a b+c.txt").unlink()
    rclone("sync", str(source), "rcb2:rclone-bucket/sync", *LARGE_FLAGS)
    rclone("check", "--download", str(source), "rcb2:rclone-bucket/sync")

    calls = rclone.calls()
    assert calls["b2_finish_large_file"] >= 1  # big/large.bin went up in parts
    assert calls["b2_list_file_names"] >= 1

    back = tmp_path / "back"
    rclone("copy", "rcb2:rclone-bucket/sync", str(back))
    large = (source / "big/large.bin").read_bytes()
    assert (
        hashlib.sha1((back / "big/large.bin").read_bytes()).digest() == hashlib.sha1(large).digest()
    )


def test_rclone_server_side_copy_ranged_read_link_and_purge(rclone: Rclone, tmp_path: Path) -> None:
    source = tmp_path / "source"
    files = _tree(source)
    large = files["big/large.bin"]
    rclone("mkdir", "rcb2:rclone-copy")
    rclone("copyto", str(source / "big/large.bin"), "rcb2:rclone-copy/large.bin", *LARGE_FLAGS)

    # Above the copy cutoff rclone copies part by part (b2_copy_part).
    rclone("copyto", "rcb2:rclone-copy/large.bin", "rcb2:rclone-copy/copy.bin", *LARGE_FLAGS)
    assert rclone.bytes("cat", "rcb2:rclone-copy/copy.bin") == large
    assert rclone.calls()["b2_copy_part"] >= 3

    ranged = rclone.bytes("cat", "--offset", "100", "--count", "50", "rcb2:rclone-copy/copy.bin")
    assert ranged == large[100:150]

    # `rclone link` mints a download authorization; the URL works without any other credential.
    url = rclone("link", "rcb2:rclone-copy/large.bin").strip()
    with urllib.request.urlopen(url, timeout=30) as response:
        assert hashlib.md5(response.read()).digest() == hashlib.md5(large).digest()

    assert rclone.calls()["b2_get_download_authorization"] == 1

    rclone("deletefile", "rcb2:rclone-copy/copy.bin")
    assert rclone("lsf", "rcb2:rclone-copy").split() == ["large.bin"]
    rclone("purge", "rcb2:rclone-copy")
    assert "rclone-copy" not in rclone("lsd", "rcb2:")

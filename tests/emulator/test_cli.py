"""``s3-b2-gateway emulator`` as a process: the three eval-ready lines, then the real b2 CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


class EmulatorProcess:
    """The emulator CLI in a subprocess, with the B2_* variables it printed."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "s3-b2-gateway"), "emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.lines = [self.process.stdout.readline().rstrip("\n") for _ in range(3)]
        self.env = dict(line.split("=", 1) for line in self.lines)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(
        "--data-dir",
        str(tmp_path / "data"),
        "--absolute-minimum-part-size=10000",
        "--recommended-part-size=20000",
    )
    yield process
    if process.process.poll() is None:
        process.stop()


def test_cli_prints_three_eval_lines(emulator_process: EmulatorProcess) -> None:
    keys = [line.split("=", 1)[0] for line in emulator_process.lines]
    assert keys == ["B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY", "B2_ENVIRONMENT"]
    assert emulator_process.env["B2_ENVIRONMENT"].startswith("http://127.0.0.1:")
    assert emulator_process.stop(signal.SIGINT) == 0


@pytest.mark.compat
@pytest.mark.timeout(300)
def test_b2_cli_works_with_printed_variables(
    emulator_process: EmulatorProcess, tmp_path: Path
) -> None:
    env = {**os.environ, **emulator_process.env, "B2_ACCOUNT_INFO": str(tmp_path / "info.sqlite")}

    def b2(*args: str) -> str:
        result = subprocess.run(
            [str(BIN / "b2"), *args], env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    local = tmp_path / "local.txt"
    local.write_bytes(b"hello from the b2 CLI\n" * 100)
    b2("account", "authorize", env["B2_APPLICATION_KEY_ID"], env["B2_APPLICATION_KEY"])
    b2("bucket", "create", "cli-bucket", "allPrivate")
    assert "cli-bucket" in b2("bucket", "list")
    b2("file", "upload", "--content-type", "text/plain", "--info", "color=blue",
       "cli-bucket", str(local), "remote dir/name+1.txt")  # fmt: skip
    assert b2("ls", "b2://cli-bucket/").splitlines() == ["remote dir/"]
    assert "remote dir/name+1.txt" in b2("ls", "-r", "--versions", "b2://cli-bucket/")
    out = tmp_path / "out.txt"
    b2("file", "download", "b2://cli-bucket/remote dir/name+1.txt", str(out))
    assert out.read_bytes() == local.read_bytes()
    assert "color" in b2("file", "info", "b2://cli-bucket/remote dir/name+1.txt")
    b2(
        "file",
        "server-side-copy",
        "b2://cli-bucket/remote dir/name+1.txt",
        "b2://cli-bucket/copy.txt",
    )
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 300)  # several 20 kB parts at the advertised size
    b2("file", "upload", "--threads", "2", "cli-bucket", str(big), "big/large.bin")
    assert '"contentSha1": "none"' in b2("file", "info", "b2://cli-bucket/big/large.bin")
    b2("file", "download", "b2://cli-bucket/big/large.bin", str(out))
    assert out.read_bytes() == big.read_bytes()
    url = b2("file", "url", "--with-auth", "--duration", "300", "b2://cli-bucket/copy.txt").strip()
    with urllib.request.urlopen(url) as response:
        assert response.read() == local.read_bytes()
    b2("file", "hide", "b2://cli-bucket/remote dir/name+1.txt")
    assert b2("ls", "-r", "b2://cli-bucket/").split() == ["big/large.bin", "copy.txt"]
    b2("rm", "--versions", "-r", "b2://cli-bucket")
    assert b2("ls", "-r", "--versions", "b2://cli-bucket/").strip() == ""
    b2("bucket", "delete", "cli-bucket")
    assert "cli-bucket" not in b2("bucket", "list")

"""The Dockerfile, checked without a Docker daemon: its instructions, the files it copies, its
agreement with the chart and the CLI, and its HEALTHCHECK run against a real ``serve``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from gateway.cli import _build_parser
from gateway.config import _SERVE_ENV
from tests.deploy.served import serve

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "helm" / "s3-b2-gateway" / "values.yaml"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    logical = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    result = []
    for line in logical.replace("\\\n", " ").splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def _one(instruction: str) -> str:
    found = [args for word, args in _instructions() if word == instruction]
    assert found, instruction
    return found[-1]


def _env() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for word, args in _instructions():
        if word == "ENV":
            pairs.update(dict(re.findall(r"(\w+)=(\S+)", args)))
    return pairs


def _healthcheck_command() -> list[str]:
    args = _one("HEALTHCHECK")
    command: list[str] = json.loads(args[args.index("CMD ") + 4 :])
    return command


def test_dockerfile_instructions_are_known_and_multi_stage() -> None:
    known = {"ARG", "FROM", "WORKDIR", "COPY", "RUN", "ENV", "USER", "EXPOSE", "HEALTHCHECK"}
    known |= {"ENTRYPOINT", "CMD", "STOPSIGNAL", "LABEL"}
    instructions = _instructions()
    assert {word for word, _ in instructions} <= known
    stages = [args for word, args in instructions if word == "FROM"]
    assert stages == ["python:${PYTHON_VERSION}-slim AS build", "python:${PYTHON_VERSION}-slim"]
    assert ("ARG", "PYTHON_VERSION=3.11") in instructions
    assert _one("RUN").startswith("--mount=type=bind,from=build,source=/wheels,")


def test_dockerfile_copies_files_that_exist_and_are_not_ignored() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    assert "*" in ignored
    for word, args in _instructions():
        if word == "COPY" and "--from" not in args:
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"


def test_dockerfile_runs_as_the_chart_user_with_its_ports() -> None:
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    user = _one("USER")
    assert user == f"{values['podSecurityContext']['runAsUser']}:10001"
    assert int(user.split(":")[0]) > 0
    env = _env()
    assert _one("EXPOSE").split() == [env["GATEWAY_PORT"], env["GATEWAY_METRICS_PORT"]]
    assert int(env["GATEWAY_PORT"]) == values["gateway"]["port"]
    assert int(env["GATEWAY_METRICS_PORT"]) == values["gateway"]["metricsPort"]
    assert env["GATEWAY_HOST"] == "0.0.0.0"
    gateway_variables = {name for name in env if name.startswith("GATEWAY_")}
    assert gateway_variables <= set(_SERVE_ENV)


def test_dockerfile_entrypoint_is_the_cli_and_cmd_a_command_it_knows() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    entrypoint = json.loads(_one("ENTRYPOINT"))
    assert entrypoint == ["s3-b2-gateway"]
    assert scripts[entrypoint[0]] == "gateway.cli:main"
    command = json.loads(_one("CMD"))
    assert _build_parser().parse_args(command).command == "serve"
    assert _one("STOPSIGNAL") == "SIGTERM"


def test_dockerfile_healthcheck_passes_on_live_gateway_and_fails_without_it(
    tmp_path: Path,
) -> None:
    command = _healthcheck_command()
    assert command[:2] == ["python", "-c"]
    served = serve(tmp_path)
    metrics_port = str(urlsplit(served.metrics_url).port)
    env = {**os.environ, "GATEWAY_METRICS_PORT": metrics_port}
    probe = [sys.executable, *command[1:]]
    try:
        assert subprocess.run(probe, env=env, timeout=30, check=False).returncode == 0
    finally:
        served.terminate()
        assert served.wait() == 0
    failed = subprocess.run(probe, env=env, timeout=30, check=False, capture_output=True)
    assert failed.returncode != 0

"""The Helm chart, checked without a helm binary: schema, values, template references, the
examples, and agreement with what the gateway itself reads (settings, credentials)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gateway.config import (
    _SERVE_ENV,
    credentials_from_document,
    credentials_from_environment,
    load_serve_settings,
)

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "helm"
CHART = HELM / "s3-b2-gateway"
TEMPLATES = CHART / "templates"
EXAMPLES = HELM / "examples"
CREDENTIAL_VARIABLES = {
    "B2_APPLICATION_KEY_ID",
    "B2_APPLICATION_KEY",
    "GATEWAY_S3_ACCESS_KEY_ID",
    "GATEWAY_S3_SECRET_ACCESS_KEY",
    "GATEWAY_S3_BUCKETS",
}
_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.DOTALL)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _values() -> dict[str, Any]:
    values: dict[str, Any] = _load(CHART / "values.yaml")
    return values


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text("utf-8"))
    return schema


def _templates() -> Iterator[tuple[Path, str]]:
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix in (".yaml", ".tpl", ".txt"):
            yield path, path.read_text(encoding="utf-8")


def _actions(text: str) -> list[str]:
    return [m.group(1) for m in _ACTION.finditer(text) if not m.group(1).startswith("/*")]


def _merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's values merge: maps merge recursively, anything else is replaced."""
    merged = dict(base)
    for name, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(name), Mapping):
            merged[name] = _merged(base[name], value)
        else:
            merged[name] = value
    return merged


def test_chart_metadata_matches_the_gateway_version() -> None:
    chart = _load(CHART / "Chart.yaml")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == CHART.name
    assert chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert chart["appVersion"] == project["version"]
    assert chart["description"]


def test_schema_is_valid_draft7_and_accepts_values_yaml() -> None:
    jsonschema.Draft7Validator.check_schema(_schema())
    jsonschema.validate(_values(), _schema(), cls=jsonschema.Draft7Validator)


@pytest.mark.parametrize(
    "override",
    [
        {"credentials": {"mode": "vault"}},
        {"gateway": {"port": 0}},
        {"gateway": {"logFormat": "xml"}},
        {"gateway": {"shutdownGraceSeconds": -1}},
        {"securityContext": {"runAsNonRoot": False, "allowPrivilegeEscalation": False}},
        {"ingress": {"enabled": True, "hosts": [{"host": "s3.example.com", "paths": [{}]}]}},
        {"replicas": 3},
    ],
)
def test_schema_refuses_bad_values(override: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_merged(_values(), override), _schema())


def test_example_values_files_validate() -> None:
    for path in sorted(EXAMPLES.glob("values-*.yaml")):
        jsonschema.validate(_merged(_values(), _load(path)), _schema())


def test_every_plain_yaml_file_parses() -> None:
    paths = [CHART / "Chart.yaml", CHART / "values.yaml", *sorted(EXAMPLES.glob("*.yaml"))]
    for path in paths:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        assert documents, path
        assert all(isinstance(d, dict) for d in documents), path


def test_every_values_path_used_by_templates_exists() -> None:
    values = _values()
    for path, text in _templates():
        for dotted in re.findall(r"\.Values((?:\.[A-Za-z0-9_]+)+)", text):
            node: Any = values
            for part in dotted.strip(".").split("."):
                assert isinstance(node, dict), f"{path.name}: .Values{dotted}"
                assert part in node, f"{path.name}: .Values{dotted} is not in values.yaml"
                node = node[part]


def test_included_templates_are_defined_once() -> None:
    defined: list[str] = []
    included: set[str] = set()
    for _, text in _templates():
        for action in _actions(text):
            defined += re.findall(r'^define "([^"]+)"', action)
            included |= set(re.findall(r'(?:include|template) "([^"]+)"', action))
    assert len(defined) == len(set(defined))
    assert included <= set(defined), included - set(defined)
    assert set(defined) <= included, set(defined) - included


def test_template_blocks_are_balanced() -> None:
    for path, text in _templates():
        depth = 0
        for action in _actions(text):
            word = action.split(maxsplit=1)[0] if action else ""
            if word in ("if", "with", "range", "define", "block"):
                depth += 1
            elif word == "end":
                depth -= 1
                assert depth >= 0, f"{path.name}: unmatched end"
        assert depth == 0, f"{path.name}: {depth} unclosed block(s)"


def test_configmap_sets_only_settings_the_gateway_reads() -> None:
    text = (TEMPLATES / "configmap.yaml").read_text("utf-8")
    variables = set(re.findall(r"^\s+([A-Z0-9_]+):", text, re.MULTILINE))
    assert variables
    assert variables <= set(_SERVE_ENV), variables - set(_SERVE_ENV)
    assert {"GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_METRICS_PORT"} <= variables
    assert "GATEWAY_SHUTDOWN_GRACE_SECONDS" in variables


def test_secret_sets_only_credential_variables() -> None:
    text = (TEMPLATES / "secret.yaml").read_text("utf-8")
    variables = set(re.findall(r"^\s+([A-Z0-9_]+):", text, re.MULTILINE))
    assert variables == CREDENTIAL_VARIABLES


def test_deployment_probes_and_hardening() -> None:
    text = (TEMPLATES / "deployment.yaml").read_text("utf-8")
    assert re.search(r"livenessProbe:\s+httpGet:\s+path: /health/live\s+port: metrics", text)
    assert re.search(r"readinessProbe:\s+httpGet:\s+path: /health/ready\s+port: metrics", text)
    assert "terminationGracePeriodSeconds: {{ add .Values.gateway.shutdownGraceSeconds" in text
    assert "mountPath: /tmp" in text
    hardening = _values()["securityContext"]
    assert hardening["runAsNonRoot"] is True
    assert hardening["readOnlyRootFilesystem"] is True
    assert hardening["allowPrivilegeEscalation"] is False
    assert hardening["capabilities"]["drop"] == ["ALL"]


def test_optional_objects_are_off_by_default() -> None:
    values = _values()
    for template, switch in [
        ("servicemonitor.yaml", values["metrics"]["serviceMonitor"]),
        ("hpa.yaml", values["autoscaling"]),
        ("ingress.yaml", values["ingress"]),
    ]:
        assert (TEMPLATES / template).read_text("utf-8").startswith("{{- if .Values.")
        assert switch["enabled"] is False


def test_example_credentials_file_loads_with_the_gateway_loader() -> None:
    example = _load(EXAMPLES / "values-identities.yaml")
    document = tomllib.loads(example["credentials"]["file"])
    store = credentials_from_document(document, source="values-identities.yaml")
    assert set(store.identities) == {"photos-app", "backup-job"}
    assert store.identities["photos-app"].buckets == frozenset({"photos"})


def _sidecar() -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    documents = list(yaml.safe_load_all((EXAMPLES / "sidecar-pod.yaml").read_text("utf-8")))
    secrets = {d["metadata"]["name"]: d["stringData"] for d in documents if d["kind"] == "Secret"}
    (pod,) = (d for d in documents if d["kind"] == "Pod")
    return pod, secrets


def _environment(container: Mapping[str, Any], secrets: Mapping[str, Any]) -> dict[str, str]:
    environ: dict[str, str] = {}
    for variable in container.get("env", []):
        if "value" in variable:
            environ[variable["name"]] = variable["value"]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            environ[variable["name"]] = secrets[ref["name"]][ref["key"]]
    return environ


def test_sidecar_example_maps_local_key_pair_to_b2_key_kept_in_gateway() -> None:
    pod, secrets = _sidecar()
    (gateway,) = pod["spec"]["initContainers"]
    (app,) = pod["spec"]["containers"]
    chart = _load(CHART / "Chart.yaml")
    assert gateway["image"] == f"{_values()['image']['repository']}:{chart['appVersion']}"
    assert gateway["restartPolicy"] == "Always"

    gateway_env = _environment(gateway, secrets)
    app_env = _environment(app, secrets)
    settings = load_serve_settings(None, gateway_env, {})
    assert settings.host == "127.0.0.1"
    assert app_env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{settings.port}"
    probes = json.dumps([gateway["startupProbe"], gateway["livenessProbe"]])
    assert f"127.0.0.1:{settings.metrics_port}/health/ready" in probes
    assert f"127.0.0.1:{settings.metrics_port}/health/live" in probes

    identity = credentials_from_environment(gateway_env).identities[app_env["AWS_ACCESS_KEY_ID"]]
    assert identity.secret_access_key == app_env["AWS_SECRET_ACCESS_KEY"]
    assert identity.buckets == frozenset({"photos"})
    b2_key = identity.b2_key.application_key
    assert b2_key not in json.dumps(app), "the application must never see the B2 key"
    assert not {name for name in app_env if name.startswith("B2_")}
    assert b2_key not in app_env.values()
    assert gateway["securityContext"]["readOnlyRootFilesystem"] is True
    assert gateway["securityContext"]["capabilities"]["drop"] == ["ALL"]
    grace = float(gateway_env["GATEWAY_SHUTDOWN_GRACE_SECONDS"])
    assert pod["spec"]["terminationGracePeriodSeconds"] > grace

"""The Grafana dashboard against a REAL Prometheus: it scrapes a real gateway every second while
boto3 drives traffic (successes, client errors, server errors, checksum failures, B2 faults), and
every expression the dashboard draws must then return data through Prometheus' HTTP API."""

from __future__ import annotations

import base64
import json
import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.observability.conftest import Stack, value

DASHBOARD = Path(__file__).parents[2] / "grafana" / "s3-b2-gateway.json"
# What Grafana would put in for the built-in variables (1 s scrapes, a recent time range).
BUILT_INS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}
DEADLINE_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dashboard_queries(dashboard: dict[str, Any]) -> list[str]:
    """Every panel expression with the template variables replaced by concrete values."""
    values = dict(BUILT_INS)
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":  # "All": the variable's own all-value regex
            values[f"${{{variable['name']}}}"] = variable["allValue"]
            values[f"${variable['name']}"] = variable["allValue"]
    queries = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", ()):
            expr = target["expr"]
            for name in sorted(values, key=len, reverse=True):  # $__range before $__r...
                expr = expr.replace(name, values[name])
            assert "$" not in expr, f"unsubstituted variable in {expr}"
            queries.append(expr)
    return queries


class Prometheus:
    def __init__(self, binary: str, work: Path, target: str) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        config = work / "prometheus.yml"
        config.write_text(
            json.dumps(  # YAML is a superset of JSON
                {
                    "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                    "scrape_configs": [
                        {"job_name": "gateway", "static_configs": [{"targets": [target]}]}
                    ],
                }
            )
        )
        self._log = (work / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def get(self, path: str, **params: str) -> Any:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = self.get("/api/v1/query", query=expr)
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def wait_until(self, done: Any, what: str) -> None:
        """Poll (Prometheus works on its own clock) until ``done()``, within the deadline."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not done():
            assert self.process.poll() is None, "prometheus exited"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError):
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self._log.close()


@pytest.fixture
def prometheus(stack: Stack, tmp_path: Path) -> Iterator[Prometheus]:
    binary = shutil.which("prometheus")
    assert binary is not None, "install the Debian package prometheus (.ci/run does)"
    server = Prometheus(binary, tmp_path, stack.metrics_url.removeprefix("http://"))
    try:
        server.wait_until(server.ready, "prometheus to start")
        yield server
    finally:
        server.stop()


def _expect_error(call: Any) -> None:
    with pytest.raises(ClientError):
        call()


def drive_traffic(stack: Stack, bucket: str) -> None:
    """Everything the dashboard shows: successes, 4xx, 5xx, checksum failures, B2 trouble."""
    s3 = stack.s3()

    def add_unknown_header(request: Any, **_: Any) -> None:
        request.headers["x-amz-made-up-option"] = "1"

    s3.meta.events.register("before-sign.s3.PutObject", add_unknown_header)
    s3.create_bucket(Bucket=bucket)
    for number in range(3):
        s3.put_object(Bucket=bucket, Key=f"k{number}", Body=b"b" * 50_000)
        s3.get_object(Bucket=bucket, Key=f"k{number}")["Body"].read()
    s3.list_objects_v2(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="k0")
    _expect_error(lambda: s3.get_object(Bucket=bucket, Key="missing"))  # 404
    _expect_error(lambda: stack.s3(secret_key="not-the-secret").list_buckets())  # 403
    wrong_md5 = base64.b64encode(b"0123456789abcdef").decode()
    _expect_error(lambda: s3.put_object(Bucket=bucket, Key="x", Body=b"x", ContentMD5=wrong_md5))
    stack.inject("b2_list_file_names", 401, "expired_auth_token")  # re-authorisation, retry
    s3.list_objects_v2(Bucket=bucket)
    stack.inject("b2_upload_file", 503, "service_unavailable", retry_after=0)  # URL discarded
    s3.put_object(Bucket=bucket, Key="retried", Body=b"r")
    stack.inject("b2_list_file_names", 503, "service_unavailable", retry_after=0, count=10)
    _expect_error(lambda: s3.list_objects_v2(Bucket=bucket))  # 5xx once B2 retries run out
    stack.clear_faults()  # a listing makes one or two B2 calls: leave none for the next round


def _has_number(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(series["value"][1])) for series in result)


@pytest.mark.timeout(180)
def test_every_dashboard_expression_returns_data_from_real_prometheus(
    stack: Stack, prometheus: Prometheus
) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = dashboard_queries(dashboard)
    assert len(queries) >= 15
    prometheus.wait_until(lambda: prometheus.query('up{job="gateway"} == 1'), "the first scrape")
    # Two rounds, each scraped: rate() sees a series increase only after its first sample.
    for bucket in ("dashboard-one", "dashboard-two"):
        drive_traffic(stack, bucket)
        answered = value(stack.samples(), "s3_requests_total")
        prometheus.wait_until(
            lambda n=answered: prometheus.query(f"sum(s3_requests_total) >= {n}"),
            "the traffic to be scraped",
        )
    for expr in queries:
        prometheus.wait_until(lambda e=expr: _has_number(prometheus.query(e)), expr)
    # The instance variable's own query finds the gateway.
    instances = prometheus.get(
        "/api/v1/label/instance/values", **{"match[]": "s3_b2_gateway_build_info"}
    )
    assert instances["data"] == [stack.metrics_url.removeprefix("http://")]

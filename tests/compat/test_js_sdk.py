"""The AWS SDK for JavaScript v3 (client-s3, lib-storage, s3-request-presigner) under Node.

The scenario itself is ``js/scenario.mjs``; ``.ci/run`` installs its locked dependencies with
``npm ci``. Default checksums run over HTTPS, ``WHEN_REQUIRED`` over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import (
    AWKWARD_KEYS,
    MANY_KEYS,
    BigFile,
    Scenario,
    Served,
    multipart_etag,
    put_many_keys,
    require_program,
    run,
)

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]
JS_DIR = Path(__file__).parent / "js"
STEPS = [
    "create bucket",
    "metadata + content-type",
    "stream PutObject (aws-chunked unless WHEN_REQUIRED)",
    "multipart 50 MB (lib-storage, 8 MB parts)",
    "range",
    "odd keys",
    "list prefix/delimiter",
    "paging > 1000 (v2 paginator, v1 markers)",
    "copy (odd key source)",
    "presigned GET",
    "delete, delete many",
]


@pytest.mark.parametrize(
    ("https", "checksums"),
    [(True, "WHEN_SUPPORTED"), (False, "WHEN_REQUIRED")],
    ids=["https-default-checksums", "http-when_required"],
)
def test_js_sdk_scenario_round_trips_every_operation(
    served: Served, big_file: BigFile, scenario: Any, https: bool, checksums: str
) -> None:
    node = require_program("node")
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-s3").is_dir():
        pytest.fail("tests/compat/js has no node_modules: run `npm ci` there (.ci/run does)")
    bucket = f"js-sdk-{checksums.lower().replace('_', '-')}"
    # The bucket and its many keys exist before the SDK starts (setup, through boto3).
    client = served.boto3(https=False)
    client.create_bucket(Bucket=bucket)
    client.close()
    put_many_keys(served, bucket, "many/")
    env = served.environment(https=https)
    env.update(
        ENDPOINT=served.https_url if https else served.http_url,
        NODE_EXTRA_CA_CERTS=str(served.ca_bundle),
        ACCESS_KEY=served.access_key,
        SECRET_KEY=served.secret_key,
        REGION=served.region,
        BUCKET=bucket,
        BIG_FILE=str(big_file.path),
        BIG_SHA256=big_file.sha256,
        BIG_ETAG_8MB=multipart_etag(big_file.path, 8 * 1024 * 1024),
        AWKWARD_KEYS=json.dumps(AWKWARD_KEYS),
        MANY_PREFIX="many/",
        MANY_COUNT=str(MANY_KEYS),
        CHECKSUMS=checksums,
    )
    output = run([node, str(JS_DIR / "scenario.mjs")], env, cwd=JS_DIR).splitlines()
    version = next(line.split()[1] for line in output if line.startswith("VERSION "))
    steps: Scenario = scenario(
        "AWS SDK for JS v3", version, f"{'https' if https else 'http'}, checksums {checksums}"
    )
    passed = [line.removeprefix("STEP ") for line in output if line.startswith("STEP ")]
    assert passed == STEPS
    url = next(line.split(" ", 1)[1] for line in output if line.startswith("PRESIGNED "))
    assert served.fetch(url) == AWKWARD_KEYS[0].encode()
    steps.passed.extend(passed)

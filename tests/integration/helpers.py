"""Assertions shared by the integration tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.s3.errors import S3Error
from tests.integration.conftest import Stack


@contextmanager
def refused(error: type[S3Error], status: int | None = None) -> Iterator[None]:
    """The block raises botocore's ClientError with ``error``'s code and HTTP status."""
    with pytest.raises(ClientError) as caught:
        yield
    response: Any = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == (status or error.status)
    code = response["Error"]["Code"]
    # HEAD answers carry no body: botocore reports the status as the code.
    assert code in (error.code, str(status or error.status))


def refused_storing_nothing(
    stack: Stack, bucket: str, error: type[S3Error], call: Callable[[], Any]
) -> None:
    """``call`` is refused with ``error`` and B2 holds exactly the versions it held before."""
    before = stack.versions(bucket)
    with refused(error):
        call()
    assert stack.versions(bucket) == before

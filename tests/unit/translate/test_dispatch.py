"""The handler table covers every S3 operation; unimplemented ones name themselves."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.s3 import errors
from gateway.s3.operations import Op
from gateway.translate.context import Context
from gateway.translate.dispatch import build_handlers, implemented


async def _no_client(identity: Any) -> Any:
    raise AssertionError("an unimplemented operation must not reach B2")


def test_dispatch_covers_every_operation() -> None:
    handlers = build_handlers(Context(_no_client))
    assert set(handlers) == set(Op)


@pytest.mark.parametrize("op", sorted(set(Op) - set(implemented())))
def test_dispatch_unimplemented_operation_answers_not_implemented(op: Op) -> None:
    handlers = build_handlers(Context(_no_client))
    with pytest.raises(errors.S3Error) as caught:
        asyncio.run(handlers[op](None))  # type: ignore[arg-type]
    assert caught.value.code == errors.NotImplemented.code
    assert str(op) in caught.value.detail

"""What every handler shares: how to reach B2 for a caller, and the gateway's settings."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gateway.b2 import B2Client, Bucket
from gateway.config import Identity
from gateway.s3 import errors
from gateway.s3.messages import S3Request
from gateway.s3.operations import Op
from gateway.s3.xml import Owner
from gateway.translate.budget import ByteBudget
from gateway.translate.known_etags import KnownEtags

DEFAULT_PUT_BUFFER_BYTES = 8 * 1024 * 1024
B2_MAX_SIMPLE_BYTES = 5_000_000_000  # B2's limit for one upload, part or b2_copy_file

ClientFor = Callable[[Identity], Awaitable[B2Client]]
"""The (opened) B2 client that acts with an identity's B2 key."""

OnIgnoredHeader = Callable[[Op, str], None]
"""Told about each request header the gateway tolerates without honouring it."""


def _ignore(op: Op, header: str) -> None:
    del op, header


@dataclass(frozen=True)
class Context:
    client_for: ClientFor
    region: str = "us-east-1"
    put_buffer_bytes: int = DEFAULT_PUT_BUFFER_BYTES
    # Larger objects are written as B2 large files; tests lower it to exercise that path.
    b2_max_simple_bytes: int = B2_MAX_SIMPLE_BYTES
    # Shared by every request: what all buffered bodies together may hold (see budget.py).
    buffer_budget: ByteBudget = field(default_factory=ByteBudget)
    # Shared by every request: ETags learnt from b2_get_file_info, by (immutable) file id.
    known_etags: KnownEtags = field(default_factory=KnownEtags)
    on_ignored_header: OnIgnoredHeader = field(default=_ignore)
    new_token: Callable[[], str] = field(default=lambda: secrets.token_hex(16))  # unique names


def identity_of(request: S3Request) -> Identity:
    identity = request.auth.identity
    if not isinstance(identity, Identity):  # the verifier is built on a CredentialStore
        raise TypeError(f"unexpected principal {type(identity).__name__}")
    return identity


def require_bucket_name(request: S3Request) -> str:
    bucket = request.bucket
    if bucket is None:
        raise errors.InvalidRequest("This operation needs a bucket")
    if not identity_of(request).allows_bucket(bucket):
        raise errors.AccessDenied()
    return bucket


def require_key(request: S3Request) -> str:
    key = request.key
    if key is None:
        raise errors.InvalidRequest("This operation needs an object key")
    return key


async def client_for(ctx: Context, request: S3Request) -> B2Client:
    return await ctx.client_for(identity_of(request))


async def resolve_bucket(ctx: Context, request: S3Request) -> tuple[B2Client, Bucket]:
    """The caller's B2 client and the addressed bucket (NoSuchBucket when it is not there)."""
    name = require_bucket_name(request)
    client = await client_for(ctx, request)
    bucket = await client.get_bucket(name)
    if bucket is None:
        raise errors.NoSuchBucket(BucketName=name)
    return client, bucket


async def account_owner(client: B2Client) -> Owner:
    """The S3 owner of everything a B2 key reaches: the B2 account."""
    account = await client.account()
    return Owner(account.account_id, account.account_id)

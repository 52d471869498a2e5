"""Access control lists. B2 has none per object: a bucket's files are private to the account
(or public for the whole bucket, which S3 clients cannot set here). So every bucket and object
answers the one ACL that is true, the owner's FULL_CONTROL, and a Put*Acl is accepted when it asks
for exactly that (a canned ``private`` ACL, as s3cmd ``setacl --acl-private`` sends, or a policy
granting only the owner FULL_CONTROL); anything wider is refused rather than silently ignored."""

from __future__ import annotations

from gateway.s3 import errors
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.xml import AccessControlPolicy, Owner
from gateway.s3.xml_bodies import parse_access_control_policy
from gateway.translate import objects
from gateway.translate.context import Context, account_owner, resolve_bucket
from gateway.translate.headers import check_headers

_NOT_PRIVATE = "Backblaze B2 has no per-object ACLs: only the owner's FULL_CONTROL can be set"


def _private(owner: Owner) -> S3Response:
    return S3Response.xml(AccessControlPolicy(owner, [(owner, "FULL_CONTROL")]).to_xml())


async def get_bucket_acl(ctx: Context, request: S3Request) -> S3Response:
    client, _ = await resolve_bucket(ctx, request)
    return _private(await account_owner(client))


async def get_object_acl(ctx: Context, request: S3Request) -> S3Response:
    await objects.head_object(ctx, request)  # NoSuchKey / NoSuchVersion as for the object
    client, _ = await resolve_bucket(ctx, request)
    return _private(await account_owner(client))


async def put_bucket_acl(ctx: Context, request: S3Request) -> S3Response:
    check_headers(Op.PutBucketAcl, request.headers, ctx.on_ignored_header)
    client, _ = await resolve_bucket(ctx, request)
    await _require_private(request, await account_owner(client))
    return S3Response(200)


async def put_object_acl(ctx: Context, request: S3Request) -> S3Response:
    check_headers(Op.PutObjectAcl, request.headers, ctx.on_ignored_header)
    await objects.head_object(ctx, request)
    client, _ = await resolve_bucket(ctx, request)
    await _require_private(request, await account_owner(client))
    return S3Response(200)


async def _require_private(request: S3Request, owner: Owner) -> None:
    """A canned ACL was checked by ``check_headers``; a policy body may grant only the owner."""
    body = await request.body.read_all()
    if not body:
        return
    for grant in parse_access_control_policy(body):
        if grant.grantee_id != owner.id or grant.other or grant.permission != "FULL_CONTROL":
            raise errors.NotImplemented(_NOT_PRIVATE, Header="AccessControlPolicy")

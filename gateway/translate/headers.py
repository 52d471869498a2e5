"""Request headers the gateway cannot honour: refused when ignoring them would change what the
request means (SSE-C, object lock, grants, conditional writes ...), else tolerated and reported.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from gateway.s3 import errors
from gateway.s3.checksums import CHECKSUM_PREFIX
from gateway.s3.operations import Op
from gateway.translate.context import OnIgnoredHeader
from gateway.translate.mapping import META_PREFIX

# Headers every request may carry and the front door already handled.
_PROTOCOL = frozenset(
    {
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-decoded-content-length",
        "x-amz-trailer",
        "x-amz-sdk-checksum-algorithm",
        "x-amz-user-agent",
        "x-amz-security-token",
        "x-amz-checksum-mode",
        "x-amz-checksum-algorithm",
        "x-amz-checksum-type",
    }
)

# Prefixes and names whose meaning the gateway cannot deliver: refused with NotImplemented.
_REFUSED_PREFIXES = (
    "x-amz-server-side-encryption-customer-",
    "x-amz-copy-source-server-side-encryption-customer-",
    "x-amz-object-lock-",
    "x-amz-grant-",
)
_REFUSED = frozenset(
    {
        "x-amz-website-redirect-location",
        "x-amz-write-offset-bytes",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-server-side-encryption-context",
    }
)
_PRIVATE_ACLS = frozenset({"private", "bucket-owner-full-control"})
_SSE_ACCEPTED = frozenset({"AES256"})  # B2 encrypts at rest (SSE-B2): the same promise
_CONDITIONAL_WRITE = ("if-match", "if-none-match")


def _refuse(header: str, why: str) -> errors.S3Error:
    return errors.NotImplemented(f"{why} ({header})", Header=header)


def check_headers(
    op: Op,
    headers: Mapping[str, str],
    on_ignored: OnIgnoredHeader,
    *,
    handled: Collection[str] = (),
) -> None:
    """Refuse what would change the request's meaning; report other unknown ``x-amz-*``.
    ``handled`` names headers the operation itself reads."""
    conditional_write = op in (Op.PutObject, Op.CopyObject)
    for name in headers:
        if not name.startswith("x-amz-"):  # every request's common case: nothing to refuse
            if conditional_write and name in _CONDITIONAL_WRITE:
                raise _refuse(name, "Conditional writes are not supported")
            continue
        if name in _PROTOCOL:
            continue
        value = headers[name].strip()
        if name.startswith(_REFUSED_PREFIXES) or name in _REFUSED:
            raise _refuse(name, "This gateway cannot honour this header")
        if name == "x-amz-acl" and value not in _PRIVATE_ACLS:
            raise _refuse(name, "Only private ACLs are supported; objects stay private")
        if name == "x-amz-server-side-encryption" and value not in _SSE_ACCEPTED:
            raise _refuse(name, "Only AES256 (Backblaze B2 server-side encryption) is supported")
        if name == "x-amz-tagging" and value:
            raise _refuse(name, "Object tagging is not supported")
        if name == "x-amz-bucket-object-lock-enabled" and value.lower() == "true":
            raise _refuse(name, "Object lock is not supported")
        if name in handled:
            continue
        if name.startswith((META_PREFIX, CHECKSUM_PREFIX)) or name in (
            "x-amz-acl",
            "x-amz-server-side-encryption",
            "x-amz-tagging",
        ):
            continue
        on_ignored(op, name)

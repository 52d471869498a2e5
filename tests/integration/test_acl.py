"""ACLs: every bucket and object is private to its owner, and only that can be set."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.s3 import errors
from tests.integration.helpers import refused


def _owner_only(policy: dict[str, Any]) -> list[tuple[str, str]]:
    return [(g["Grantee"]["ID"], g["Permission"]) for g in policy["Grants"]]


def test_get_acls_answer_the_owners_full_control(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    bucket_acl = s3.get_bucket_acl(Bucket=bucket)
    owner = bucket_acl["Owner"]["ID"]
    assert _owner_only(bucket_acl) == [(owner, "FULL_CONTROL")]
    object_acl = s3.get_object_acl(Bucket=bucket, Key="k")
    assert (object_acl["Owner"]["ID"], _owner_only(object_acl)) == (
        owner,
        [(owner, "FULL_CONTROL")],
    )


def test_get_acls_of_missing_things_are_refused_as_s3(s3: Any, bucket: str) -> None:
    with refused(errors.NoSuchKey):
        s3.get_object_acl(Bucket=bucket, Key="absent")
    with refused(errors.NoSuchBucket):
        s3.get_bucket_acl(Bucket="no-such-bucket-anywhere")


def test_put_private_acls_are_accepted(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="private")
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    policy = s3.get_object_acl(Bucket=bucket, Key="k")
    del policy["ResponseMetadata"]
    s3.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=policy)  # as s3cmd setacl does


@pytest.mark.parametrize("acl", ["public-read", "authenticated-read"])
def test_put_wider_canned_acls_are_refused(s3: Any, bucket: str, acl: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with refused(errors.NotImplemented):
        s3.put_object_acl(Bucket=bucket, Key="k", ACL=acl)
    with refused(errors.NotImplemented):
        s3.put_bucket_acl(Bucket=bucket, ACL=acl)


def test_put_policy_granting_anyone_else_is_refused(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    policy = s3.get_object_acl(Bucket=bucket, Key="k")
    del policy["ResponseMetadata"]
    public = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
              "Permission": "READ"}  # fmt: skip
    policy["Grants"].append(public)
    with refused(errors.NotImplemented):
        s3.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=policy)
    with refused(errors.NoSuchKey):
        s3.put_object_acl(Bucket=bucket, Key="absent", ACL="private")

"""Bucket operations through boto3 against the gateway and the emulator."""

from __future__ import annotations

from typing import Any

from gateway.s3 import errors
from tests.integration.conftest import LIMITED_BUCKET, LIMITED_KEY, LIMITED_SECRET, S3Factory, Stack
from tests.integration.helpers import refused


def test_create_bucket_lists_it_with_region_and_owner(s3: Any, bucket_name: str) -> None:
    response = s3.create_bucket(Bucket=bucket_name)
    assert response["Location"] == f"/{bucket_name}"
    listed = s3.list_buckets()
    entry = next(b for b in listed["Buckets"] if b["Name"] == bucket_name)
    assert entry["CreationDate"].year >= 2026
    assert listed["Owner"]["ID"]


def test_list_buckets_sorted_by_name(s3: Any, bucket_name: str) -> None:
    for suffix in ("b", "a"):
        s3.create_bucket(Bucket=f"{bucket_name}-{suffix}")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert names == sorted(names)


def test_create_bucket_again_in_us_east_1_succeeds(s3: Any, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)  # S3's legacy us-east-1 answer: 200


def test_create_bucket_taken_by_another_account(s3: Any, stack: Stack, bucket_name: str) -> None:
    # B2 names are global: B2 says duplicate, and the name is not among this account's buckets.
    stack.inject("b2_create_bucket", 400, "duplicate_bucket_name")
    with refused(errors.BucketAlreadyExists):
        s3.create_bucket(Bucket=bucket_name)


def test_create_bucket_made_outside_the_gateway_is_ours(
    s3: Any, stack: Stack, bucket_name: str
) -> None:
    stack.call(stack.b2.create_bucket(bucket_name))
    response = s3.create_bucket(Bucket=bucket_name)  # owned by this account: 200 in us-east-1
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_create_bucket_b2_cap_exceeded_is_access_denied(
    s3: Any, stack: Stack, bucket_name: str
) -> None:
    stack.inject("b2_create_bucket", 403, "transaction_cap_exceeded")
    with refused(errors.AccessDenied):
        s3.create_bucket(Bucket=bucket_name)


def test_create_bucket_with_location_constraint_us_east_1_refused(
    s3: Any, bucket_name: str
) -> None:
    with refused(errors.InvalidLocationConstraint):
        s3.create_bucket(
            Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"}
        )


def test_create_bucket_with_other_region_refused(s3: Any, bucket_name: str) -> None:
    with refused(errors.InvalidLocationConstraint):
        s3.create_bucket(
            Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )


def test_create_bucket_name_b2_refuses(s3: Any) -> None:
    with refused(errors.InvalidBucketName):
        s3.create_bucket(Bucket="short")  # S3 allows 3+ characters, B2 needs 6
    with refused(errors.InvalidBucketName):
        s3.create_bucket(Bucket="with.dots.name")


def test_create_bucket_public_acl_not_implemented(s3: Any, bucket_name: str) -> None:
    with refused(errors.NotImplemented):
        s3.create_bucket(Bucket=bucket_name, ACL="public-read")


def test_create_bucket_private_acl_accepted(s3: Any, bucket_name: str) -> None:
    s3.create_bucket(Bucket=bucket_name, ACL="private")
    s3.head_bucket(Bucket=bucket_name)


def test_head_bucket_reports_region(s3: Any, bucket: str) -> None:
    response = s3.head_bucket(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"


def test_head_bucket_missing(s3: Any, bucket_name: str) -> None:
    with refused(errors.NoSuchBucket):
        s3.head_bucket(Bucket=bucket_name)


def test_get_bucket_location_us_east_1_is_empty(s3: Any, bucket: str) -> None:
    assert s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") is None


def test_get_bucket_location_missing_bucket(s3: Any, bucket_name: str) -> None:
    with refused(errors.NoSuchBucket):
        s3.get_bucket_location(Bucket=bucket_name)


def test_get_bucket_versioning_enabled(s3: Any, bucket: str) -> None:
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_delete_bucket_empty(s3: Any, bucket: str) -> None:
    s3.delete_bucket(Bucket=bucket)
    with refused(errors.NoSuchBucket):
        s3.head_bucket(Bucket=bucket)


def test_delete_bucket_missing(s3: Any, bucket_name: str) -> None:
    with refused(errors.NoSuchBucket):
        s3.delete_bucket(Bucket=bucket_name)


def test_delete_bucket_with_object_not_empty(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with refused(errors.BucketNotEmpty):
        s3.delete_bucket(Bucket=bucket)


def test_delete_bucket_with_delete_marker_only_not_empty(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="k")
    with refused(errors.BucketNotEmpty):
        s3.delete_bucket(Bucket=bucket)


def test_delete_bucket_with_escaped_key_not_empty(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="folder/", Body=b"")
    with refused(errors.BucketNotEmpty):
        s3.delete_bucket(Bucket=bucket)


def test_delete_bucket_cancels_unfinished_large_files(s3: Any, stack: Stack, bucket: str) -> None:
    found = stack.call(stack.b2.get_bucket(bucket))
    stack.call(stack.b2.start_large_file(found.bucket_id, "big"))
    s3.delete_bucket(Bucket=bucket)
    with refused(errors.NoSuchBucket):
        s3.head_bucket(Bucket=bucket)


def test_delete_bucket_removes_gateway_bookkeeping_files(
    s3: Any, stack: Stack, bucket: str
) -> None:
    found = stack.call(stack.b2.get_bucket(bucket))
    stack.call(stack.b2.upload_file(found.bucket_id, ".s3-b2-gateway/staging/left-over", b"x"))
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.delete_bucket(Bucket=bucket)
    with refused(errors.NoSuchBucket):
        s3.head_bucket(Bucket=bucket)


def test_delete_bucket_after_all_versions_deleted(s3: Any, bucket: str) -> None:
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=version)
    s3.delete_bucket(Bucket=bucket)


def test_bucket_limited_identity_sees_only_its_bucket(
    s3: Any, s3_factory: S3Factory, bucket: str
) -> None:
    s3.create_bucket(Bucket=LIMITED_BUCKET)
    limited = s3_factory(access_key=LIMITED_KEY, secret=LIMITED_SECRET)
    names = [b["Name"] for b in limited.list_buckets()["Buckets"]]
    assert names == [LIMITED_BUCKET]
    limited.put_object(Bucket=LIMITED_BUCKET, Key="k", Body=b"ok")
    with refused(errors.AccessDenied):
        limited.put_object(Bucket=bucket, Key="k", Body=b"no")
    with refused(errors.AccessDenied):
        limited.get_object(Bucket=bucket, Key="k")
    with refused(errors.AccessDenied):
        limited.create_bucket(Bucket=f"{bucket}-other")


def test_unimplemented_bucket_operation_names_itself(s3: Any, bucket: str) -> None:
    with refused(errors.NotImplemented):
        s3.get_bucket_policy(Bucket=bucket)

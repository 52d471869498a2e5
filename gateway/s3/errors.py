"""The S3 error catalogue.

Each error is a class that owns its code, HTTP status, default message and the extra XML
fields S3 puts in its body (``<Key>``, ``<StringToSign>``, ...). Code elsewhere raises them
and compares against ``NoSuchKey.code``, never a hand-typed string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Self
from xml.sax.saxutils import escape


class S3Error(Exception):
    """Base of every error the gateway answers to an S3 client."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    message: ClassVar[str] = "We encountered an internal error. Please try again."
    # The extra elements this error may carry in its XML body, in S3's order.
    fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        message: str | None = None,
        *,
        resource: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: object,
    ) -> None:
        self.detail = message if message is not None else self.message
        self.resource = resource
        self.headers: dict[str, str] = dict(headers or {})
        self.values: dict[str, str] = {}
        self._set_fields(fields)
        super().__init__(f"{self.code}: {self.detail}")

    @classmethod
    def with_fields(cls, message: str | None, fields: Mapping[str, object]) -> Self:
        """For fields whose XML names are not Python identifiers (``X-Amz-Expires``)."""
        error = cls(message)
        error._set_fields(fields)
        return error

    def _set_fields(self, fields: Mapping[str, object]) -> None:
        unknown = set(fields) - set(self.fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no fields {sorted(unknown)}")
        self.values = {
            name: _text(fields[name]) for name in self.fields if fields.get(name) is not None
        }

    @property
    def has_body(self) -> bool:
        """HEAD answers and 304s carry no body."""
        return self.status != 304

    def to_xml(self, request_id: str, host_id: str = "") -> bytes:
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
            f"<Code>{self.code}</Code>",
            f"<Message>{escape(self.detail)}</Message>",
        ]
        parts.extend(f"<{name}>{escape(value)}</{name}>" for name, value in self.values.items())
        if self.resource is not None:
            parts.append(f"<Resource>{escape(self.resource)}</Resource>")
        parts.append(f"<RequestId>{escape(request_id)}</RequestId>")
        parts.append(f"<HostId>{escape(host_id)}</HostId>")
        parts.append("</Error>")
        return "".join(parts).encode()


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error(code: str, status: int, message: str, *fields: str) -> type[S3Error]:
    """Declare one catalogue entry; the class name is the S3 code."""
    namespace = {"code": code, "status": status, "message": message, "fields": fields}
    return type(code, (S3Error,), namespace)


# --- authentication and signing -------------------------------------------------------------

AccessDenied = _error(
    "AccessDenied",
    403,
    "Access Denied",
    "X-Amz-Expires",
    "Expires",
    "ServerTime",
    "HeadersNotSigned",
)
AuthorizationHeaderMalformed = _error(
    "AuthorizationHeaderMalformed",
    400,
    "The authorization header is malformed.",
    "Region",
)
AuthorizationQueryParametersError = _error(
    "AuthorizationQueryParametersError",
    400,
    "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    "Region",
)
ExpiredToken = _error("ExpiredToken", 400, "The provided token has expired.")
InvalidAccessKeyId = _error(
    "InvalidAccessKeyId",
    403,
    "The AWS Access Key Id you provided does not exist in our records.",
    "AWSAccessKeyId",
)
InvalidToken = _error("InvalidToken", 400, "The provided token is malformed or otherwise invalid.")
MissingSecurityHeader = _error(
    "MissingSecurityHeader", 400, "Your request is missing a required header.", "MissingHeaderName"
)
RequestTimeTooSkewed = _error(
    "RequestTimeTooSkewed",
    403,
    "The difference between the request time and the server's time is too large.",
    "RequestTime",
    "ServerTime",
    "MaxAllowedSkewMilliseconds",
)
SignatureDoesNotMatch = _error(
    "SignatureDoesNotMatch",
    403,
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.",
    "AWSAccessKeyId",
    "StringToSign",
    "SignatureProvided",
    "StringToSignBytes",
    "CanonicalRequest",
    "CanonicalRequestBytes",
)

# --- request shape ---------------------------------------------------------------------------

BadDigest = _error(
    "BadDigest",
    400,
    "The Content-MD5 you specified did not match what we received.",
    "ExpectedDigest",
    "CalculatedDigest",
)
EntityTooLarge = _error(
    "EntityTooLarge",
    400,
    "Your proposed upload exceeds the maximum allowed size",
    "ProposedSize",
    "MaxSizeAllowed",
)
EntityTooSmall = _error(
    "EntityTooSmall",
    400,
    "Your proposed upload is smaller than the minimum allowed object size.",
    "ProposedSize",
    "MinSizeAllowed",
    "PartNumber",
    "ETag",
)
IncompleteBody = _error(
    "IncompleteBody",
    400,
    "You did not provide the number of bytes specified by the Content-Length HTTP header",
    "NumberBytesExpected",
    "NumberBytesProvided",
)
InvalidArgument = _error(
    "InvalidArgument", 400, "Invalid Argument", "ArgumentName", "ArgumentValue"
)
InvalidBucketName = _error(
    "InvalidBucketName", 400, "The specified bucket is not valid.", "BucketName"
)
InvalidChunkSizeError = _error(
    "InvalidChunkSizeError",
    403,
    "Only the last chunk is allowed to have a size less than 8192 bytes",
    "Chunk",
    "BadChunkSize",
)
InvalidDigest = _error(
    "InvalidDigest", 400, "The Content-MD5 you specified is not valid.", "Content-MD5"
)
InvalidLocationConstraint = _error(
    "InvalidLocationConstraint",
    400,
    "The specified location-constraint is not valid",
    "LocationConstraint",
)
InvalidPart = _error(
    "InvalidPart",
    400,
    "One or more of the specified parts could not be found.  The part may not have been "
    "uploaded, or the specified entity tag may not match the part's entity tag.",
    "UploadId",
    "PartNumber",
    "ETag",
)
InvalidPartOrder = _error(
    "InvalidPartOrder",
    400,
    "The list of parts was not in ascending order. Parts must be ordered by part number.",
    "UploadId",
)
InvalidRange = _error(
    "InvalidRange",
    416,
    "The requested range is not satisfiable",
    "RangeRequested",
    "ActualObjectSize",
)
InvalidRequest = _error("InvalidRequest", 400, "Invalid Request")
InvalidTag = _error("InvalidTag", 400, "The TagKey you have provided is invalid", "TagKey")
InvalidPartNumber = _error(
    "InvalidPartNumber", 416, "The requested partnumber is not satisfiable", "PartNumberRequested"
)
InvalidObjectState = _error(
    "InvalidObjectState",
    403,
    "The operation is not valid for the object's storage class",
    "StorageClass",
    "AccessTier",
)
InvalidStorageClass = _error(
    "InvalidStorageClass",
    400,
    "The storage class you specified is not valid",
    "StorageClassRequested",
)
InvalidURI = _error("InvalidURI", 400, "Couldn't parse the specified URI.", "URI")
KeyTooLongError = _error("KeyTooLongError", 400, "Your key is too long", "MaxSizeAllowed", "Size")
MalformedTrailerError = _error(
    "MalformedTrailerError",
    400,
    "The request contained trailing data that was not well-formed or did not conform to our "
    "published schema.",
)
MalformedXML = _error(
    "MalformedXML",
    400,
    "The XML you provided was not well-formed or did not validate against our published schema",
)
MaxMessageLengthExceeded = _error(
    "MaxMessageLengthExceeded", 400, "Your request was too big.", "MaxMessageLengthBytes"
)
MetadataTooLarge = _error(
    "MetadataTooLarge",
    400,
    "Your metadata headers exceed the maximum allowed metadata size",
    "Size",
    "MaxSizeAllowed",
)
MethodNotAllowed = _error(
    "MethodNotAllowed",
    405,
    "The specified method is not allowed against this resource.",
    "Method",
    "ResourceType",
)
MissingContentLength = _error(
    "MissingContentLength", 411, "You must provide the Content-Length HTTP header."
)
MissingRequestBodyError = _error("MissingRequestBodyError", 400, "Request Body is empty")
NotImplemented = _error(  # shadows the builtin on purpose: it is the S3 code
    "NotImplemented",
    501,
    "A header you provided implies functionality that is not implemented",
    "Header",
)
RequestTimeout = _error(
    "RequestTimeout",
    400,
    "Your socket connection to the server was not read from or written to within the "
    "timeout period. Idle connections will be closed.",
)
UnexpectedContent = _error("UnexpectedContent", 400, "This request does not support content")
InvalidEncryptionAlgorithmError = _error(
    "InvalidEncryptionAlgorithmError",
    400,
    "The encryption request you specified is not valid. The valid value is AES256.",
    "ArgumentName",
    "ArgumentValue",
)
XAmzContentSHA256Mismatch = _error(
    "XAmzContentSHA256Mismatch",
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
    "ClientComputedContentSHA256",
    "S3ComputedContentSHA256",
)

# --- resources -------------------------------------------------------------------------------

BucketAlreadyExists = _error(
    "BucketAlreadyExists",
    409,
    "The requested bucket name is not available. The bucket namespace is shared by all users "
    "of the system. Please select a different name and try again.",
    "BucketName",
)
BucketAlreadyOwnedByYou = _error(
    "BucketAlreadyOwnedByYou",
    409,
    "Your previous request to create the named bucket succeeded and you already own it.",
    "BucketName",
)
BucketNotEmpty = _error(
    "BucketNotEmpty", 409, "The bucket you tried to delete is not empty", "BucketName"
)
NoSuchBucket = _error("NoSuchBucket", 404, "The specified bucket does not exist", "BucketName")
NoSuchKey = _error("NoSuchKey", 404, "The specified key does not exist.", "Key")
NoSuchUpload = _error(
    "NoSuchUpload",
    404,
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
    "been aborted or completed.",
    "UploadId",
)
NoSuchVersion = _error(
    "NoSuchVersion", 404, "The specified version does not exist.", "Key", "VersionId"
)
NoSuchBucketPolicy = _error(
    "NoSuchBucketPolicy", 404, "The bucket policy does not exist", "BucketName"
)
NoSuchCORSConfiguration = _error(
    "NoSuchCORSConfiguration", 404, "The CORS configuration does not exist", "BucketName"
)
NoSuchLifecycleConfiguration = _error(
    "NoSuchLifecycleConfiguration",
    404,
    "The lifecycle configuration does not exist",
    "BucketName",
)
NoSuchTagSet = _error("NoSuchTagSet", 404, "The TagSet does not exist", "BucketName")
NoSuchWebsiteConfiguration = _error(
    "NoSuchWebsiteConfiguration",
    404,
    "The specified bucket does not have a website configuration",
    "BucketName",
)
ObjectLockConfigurationNotFoundError = _error(
    "ObjectLockConfigurationNotFoundError",
    404,
    "Object Lock configuration does not exist for this bucket",
    "BucketName",
)
ServerSideEncryptionConfigurationNotFoundError = _error(
    "ServerSideEncryptionConfigurationNotFoundError",
    404,
    "The server side encryption configuration was not found",
    "BucketName",
)
OwnershipControlsNotFoundError = _error(
    "OwnershipControlsNotFoundError",
    404,
    "The bucket ownership controls were not found",
    "BucketName",
)
NoSuchPublicAccessBlockConfiguration = _error(
    "NoSuchPublicAccessBlockConfiguration",
    404,
    "The public access block configuration was not found",
    "BucketName",
)
ReplicationConfigurationNotFoundError = _error(
    "ReplicationConfigurationNotFoundError",
    404,
    "The replication configuration was not found",
    "BucketName",
)
TooManyBuckets = _error(
    "TooManyBuckets", 400, "You have attempted to create more buckets than allowed"
)

# --- conditions ------------------------------------------------------------------------------

NotModified = _error("NotModified", 304, "Not Modified")
PreconditionFailed = _error(
    "PreconditionFailed",
    412,
    "At least one of the pre-conditions you specified did not hold",
    "Condition",
)

# --- the service -----------------------------------------------------------------------------

InternalError = _error("InternalError", 500, "We encountered an internal error. Please try again.")
OperationAborted = _error(
    "OperationAborted",
    409,
    "A conflicting conditional operation is currently in progress against this resource. "
    "Please try again.",
)
ServiceUnavailable = _error("ServiceUnavailable", 503, "Please reduce your request rate.")
SlowDown = _error("SlowDown", 503, "Please reduce your request rate.")

CATALOGUE: Mapping[str, type[S3Error]] = {cls.code: cls for cls in S3Error.__subclasses__()}

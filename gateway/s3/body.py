"""The request body a handler receives: decoded bytes as they arrive, and a verdict at the end.

    async for data in request.body:      # payload bytes, aws-chunked framing removed
        upload(data)
    digest = request.body.verify()       # raises the S3 error if any check failed
    commit()                             # only now is the data known to be what was signed

Framing and chunk-signature errors are raised by the iteration as soon as they are seen. The
digest checks (x-amz-content-sha256, Content-MD5, x-amz-checksum-*) can only be decided after the
last byte: exhausting the iterator raises them too, and ``verify()`` repeats the verdict, so a
consumer cannot mistake a refused body for a complete one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from gateway.s3 import errors
from gateway.s3.checksums import BodyDigest, BodyDigester, expectations, is_checksum_value_header
from gateway.s3.chunked import AwsChunkedDecoder, ChunkedFormat
from gateway.s3.sigv4 import AuthContext, Payload

DEFAULT_XML_LIMIT = 4 * 1024 * 1024


class RequestBody:
    """An async iterator of decoded body bytes with a verdict API (see the module doc)."""

    def __init__(
        self,
        pieces: AsyncIterator[bytes],
        digester: BodyDigester,
        *,
        length: int | None,
        decoder: AwsChunkedDecoder | None = None,
    ) -> None:
        """``pieces`` are payload bytes; ``decoder`` (when aws-chunked) produced them and holds
        the trailers."""
        self.length = length  # decoded length when known up front (Content-Length or declared)
        self._digester = digester
        self._decoder = decoder
        self._pieces = pieces
        self._digest: BodyDigest | None = None
        self._error: errors.S3Error | None = None

    def __aiter__(self) -> RequestBody:
        return self

    async def __anext__(self) -> bytes:
        if self._error is not None:
            raise self._error
        if self._digest is not None:
            raise StopAsyncIteration
        try:
            data = await anext(self._pieces)
        except StopAsyncIteration:
            self._finish()
            raise
        except errors.S3Error as exc:
            self._error = exc
            raise
        self._digester.update(data)
        return data

    def decline_md5(self) -> None:
        """The consumer takes the ETag from elsewhere (B2's answer): skip the MD5 unless
        Content-MD5 must be checked; ``verify().md5_hex`` is then None. Only before reading."""
        self._digester.decline_md5()

    def _finish(self) -> None:
        try:
            unframed = self._decoder is None and self.length is not None
            if unframed and self._digester.length != self.length:
                raise errors.IncompleteBody(
                    NumberBytesExpected=self.length, NumberBytesProvided=self._digester.length
                )
            trailers = self._decoder.trailers if self._decoder is not None else {}
            self._digest = self._digester.finish(trailers)
        except errors.S3Error as exc:
            self._error = exc
            raise

    @property
    def trailers(self) -> Mapping[str, str]:
        return self._decoder.trailers if self._decoder is not None else {}

    def verify(self) -> BodyDigest:
        """The final verdict, once the body has been read to the end."""
        if self._error is not None:
            raise self._error
        if self._digest is None:
            raise RuntimeError("the request body has not been read to the end")
        return self._digest

    async def drain(self) -> BodyDigest:
        """Read and discard the rest of the body; return the verdict."""
        async for _ in self:
            pass
        return self.verify()

    async def read_all(self, limit: int = DEFAULT_XML_LIMIT) -> bytes:
        """The whole (small) body, e.g. an XML document; refuse more than ``limit`` bytes."""
        if self.length is not None and self.length > limit:
            raise errors.MaxMessageLengthExceeded(MaxMessageLengthBytes=limit)
        parts: list[bytes] = []
        size = 0
        async for data in self:
            size += len(data)
            if size > limit:
                raise errors.MaxMessageLengthExceeded(MaxMessageLengthBytes=limit)
            parts.append(data)
        self.verify()
        return b"".join(parts)


def open_body(
    auth: AuthContext,
    headers: Mapping[str, str],
    pieces: AsyncIterator[bytes],
    *,
    content_length: int | None,
    object_checksums: bool = False,
) -> RequestBody:
    """Wrap the raw body (HTTP framing already removed) according to the verified auth context.
    ``headers`` maps lower-case names to values. With ``object_checksums`` the
    ``x-amz-checksum-*`` headers describe the object an operation assembles
    (CompleteMultipartUpload), not this body, so the body is not checked against them."""
    if object_checksums:
        headers = {k: v for k, v in headers.items() if not is_checksum_value_header(k)}
    if not auth.payload.aws_chunked:
        expected = expectations(headers, content_sha256=auth.content_sha256)
        return RequestBody(pieces, BodyDigester(expected), length=content_length)
    decoded = headers.get("x-amz-decoded-content-length")
    if decoded is None:
        raise errors.MissingContentLength()
    if not decoded.isdigit():
        raise errors.InvalidArgument(
            "x-amz-decoded-content-length must be a non-negative integer",
            ArgumentName="x-amz-decoded-content-length",
            ArgumentValue=decoded,
        )
    declared = tuple(
        name.strip().lower() for name in headers.get("x-amz-trailer", "").split(",") if name.strip()
    )
    if declared and not auth.payload.trailer:
        raise errors.InvalidRequest("x-amz-trailer requires a STREAMING-...-TRAILER payload")
    fmt = ChunkedFormat(
        int(decoded),
        auth.chunk_signing if auth.payload is not Payload.STREAMING_UNSIGNED_TRAILER else None,
        auth.payload.trailer,
        declared,
    )
    expected = expectations(headers, content_sha256=None, trailers=declared)
    decoder = AwsChunkedDecoder(pieces, fmt)
    return RequestBody(aiter(decoder), BodyDigester(expected), length=int(decoded), decoder=decoder)


def stored_content_encoding(headers: Mapping[str, str]) -> str | None:
    """Content-Encoding to store with the object: the value without the ``aws-chunked`` token."""
    value = headers.get("content-encoding")
    if value is None:
        return None
    tokens = [t.strip() for t in value.split(",") if t.strip() and t.strip() != "aws-chunked"]
    return ",".join(tokens) or None

"""Drive the large-file calls by hand (shared by the large-file and copy tests)."""

from __future__ import annotations

import io
from typing import Any

from tests.emulator.raw import B2Raw, Reply, sha1_hex

MIN_PART = 10_000
PART_SETTINGS = {"absolute_minimum_part_size": MIN_PART, "recommended_part_size": 2 * MIN_PART}


class Large:
    """Drive the large-file calls by hand."""

    def __init__(self, b2: B2Raw, bucket: Any) -> None:
        self.b2 = b2
        self.bucket = bucket

    async def start(self, name: str = "big.bin", **extra: Any) -> Any:
        return await self.b2.ok(
            "b2_start_large_file",
            {
                "bucketId": self.bucket["bucketId"],
                "fileName": name,
                "contentType": "b2/x-auto",
                **extra,
            },
        )

    async def part_url(self, file_id: str) -> tuple[str, str]:
        body = await self.b2.ok("b2_get_upload_part_url", {"fileId": file_id})
        return body["uploadUrl"], body["authorizationToken"]

    async def part(
        self, target: tuple[str, str], number: int, data: bytes, sha1: str | None = None
    ) -> Reply:
        url, token = target
        return await self.b2.request(
            "POST",
            url,
            headers={
                "Authorization": token,
                "X-Bz-Part-Number": str(number),
                "X-Bz-Content-Sha1": sha1 or sha1_hex(data),
            },
            data=io.BytesIO(data),
        )

    async def finish(self, file_id: str, parts: list[bytes]) -> Reply:
        return await self.b2.call(
            "b2_finish_large_file",
            {"fileId": file_id, "partSha1Array": [sha1_hex(p) for p in parts]},
        )

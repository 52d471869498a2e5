"""ListMultipartUploads paging against a model of S3's answer, over a fake B2 name listing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import cast

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.b2 import B2Client, Bucket, FileList, FileQuery, FileVersion
from gateway.translate.multipart_uploads import UploadsQuery, roll_up, uploads_page
from gateway.translate.names import upload_name


@dataclass
class FakeNames:
    """``b2_list_file_names`` over fixed names: inclusive start, prefix, count, next name."""

    names: list[str]

    async def list_file_names(self, bucket_id: str, query: FileQuery) -> FileList:
        del bucket_id
        chosen = sorted(
            n
            for n in self.names
            if n.startswith(query.prefix or "")
            and (query.start_file_name is None or n >= query.start_file_name)
        )
        count = query.max_file_count or 100
        files = tuple(_marker(n) for n in chosen[:count])
        following = chosen[count] if len(chosen) > count else None
        return FileList(files=files, next_file_name=following, next_file_id=None)


def _marker(name: str) -> FileVersion:
    return FileVersion("id", name, "upload", "b", 0, None, None, None, {}, 0)


Entry = tuple[str, str | None]  # (key, upload id) or (common prefix, None)


def s3_model(uploads: list[tuple[str, str]], prefix: str, delimiter: str | None) -> list[Entry]:
    entries: list[Entry] = []
    for key, upload_id in sorted(uploads, key=lambda u: (u[0].encode(), u[1])):
        if not key.startswith(prefix):
            continue
        rolled = roll_up(key, prefix, delimiter)
        entry: Entry = (key, upload_id) if rolled is None else (rolled, None)
        if entry not in entries:
            entries.append(entry)
    return entries


async def page_through(
    fake: FakeNames, prefix: str, delimiter: str | None, size: int
) -> list[Entry]:
    client = cast(B2Client, fake)
    bucket = Bucket("b", "bucket", "allPrivate", {}, 0)
    seen: list[Entry] = []
    key_marker, id_marker = "", ""
    for _ in range(len(fake.names) + 2):  # every page makes progress
        query = UploadsQuery(prefix, delimiter, key_marker, id_marker, size)
        page = await uploads_page(client, bucket, query)
        entries: list[Entry] = [(u.key, u.upload_id) for u in page.uploads]
        entries += [(p, None) for p in page.common_prefixes]
        entries.sort(key=lambda e: (e[0].encode(), e[1] or ""))
        assert len(entries) <= size
        seen += entries
        if not page.is_truncated:
            return seen
        assert page.next_key_marker is not None
        key_marker, id_marker = page.next_key_marker, page.next_upload_id_marker or ""
    raise AssertionError(f"paging does not end: stuck after {seen[-1:]}")


_chars = st.sampled_from([*"ab/ ", "\\", "é"])
_keys = st.lists(_chars, min_size=1, max_size=5).map("".join)
_ids = st.integers(min_value=0, max_value=3).map(lambda n: f"{n:013d}-{'0' * 16}")


@settings(max_examples=150, deadline=None)
@given(
    uploads=st.lists(st.tuples(_keys, _ids), max_size=12, unique=True),
    prefix=st.sampled_from(["", "a", "a/", "b "]),
    delimiter=st.sampled_from([None, "/", " "]),
    size=st.integers(min_value=1, max_value=4),
)
def test_list_multipart_uploads_pages_match_s3(
    uploads: list[tuple[str, str]], prefix: str, delimiter: str | None, size: int
) -> None:
    fake = FakeNames([upload_name(key, upload_id) for key, upload_id in uploads])
    got = asyncio.run(page_through(fake, prefix, delimiter, size))
    assert got == s3_model(uploads, prefix, delimiter)

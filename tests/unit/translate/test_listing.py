from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.b2.errors import B2ProtocolError
from gateway.b2.models import FileList, FileQuery, FileVersion
from gateway.translate.listing import list_page
from gateway.translate.names import RESERVED_ROOT, b2_name


def _file(name: str, action: str = "upload") -> FileVersion:
    folder = action == "folder"
    return FileVersion(
        file_id=None if folder else f"id-{name}",
        file_name=name,
        action=action,
        bucket_id=None if folder else "bucket",
        content_length=0,
        content_sha1=None,
        content_md5=None,
        content_type=None,
        file_info={},
        upload_timestamp=0,
    )


@dataclass
class FakeB2Names:
    """``b2_list_file_names`` over a set of names, as B2 documents it."""

    names: list[str]
    calls: list[FileQuery] = field(default_factory=list)

    async def __call__(self, query: FileQuery) -> FileList:
        self.calls.append(query)
        prefix, start = query.prefix or "", query.start_file_name or ""
        candidates = sorted(n for n in self.names if n.startswith(prefix) and start <= n)
        files: list[FileVersion] = []
        i = 0
        while i < len(candidates) and len(files) < (query.max_file_count or 100):
            name = candidates[i]
            cut = name.find(query.delimiter, len(prefix)) if query.delimiter else -1
            if cut < 0:
                files.append(_file(name))
                i += 1
                continue
            folder = name[: cut + 1]
            files.append(_file(folder, "folder"))
            while i < len(candidates) and candidates[i].startswith(folder):
                i += 1
        next_name = candidates[i] if i < len(candidates) else None
        return FileList(files=tuple(files), next_file_name=next_name, next_file_id=None)


def s3_reference(keys: list[str], prefix: str, delimiter: str | None) -> list[str]:
    """What S3 lists: keys with the prefix, rolled up at the delimiter, in byte order."""
    entries: set[str] = set()
    for key in keys:
        if not key.startswith(prefix):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        entries.add(key if cut < 0 else key[: cut + len(delimiter or "")])
    return sorted(entries)


async def list_all(
    names: FakeB2Names, prefix: str, delimiter: str | None, max_keys: int
) -> list[str]:
    listed: list[str] = []
    after: str | None = None
    while True:
        page = await list_page(
            names, prefix=prefix, delimiter=delimiter, after=after, max_keys=max_keys
        )
        entries = sorted([o.key for o in page.objects] + list(page.common_prefixes))
        assert len(entries) <= max_keys
        listed += entries
        if not page.is_truncated:
            return listed
        assert entries, "a truncated page must make progress"
        after = page.last


def bucket(keys: list[str], *extra_names: str) -> FakeB2Names:
    return FakeB2Names(sorted({b2_name(k) for k in keys} | set(extra_names)))


KEYS = [
    "a",
    "a/",
    "a/b",
    "a//c",
    "a/b/c",
    "b\\x",
    "/lead",
    "dir/",
    "dir/x",
    "dir/y/",
    "dir0",
    "photos/2024/cat.jpg",
    "photos/2024/dog.jpg",
    "photos/2025/",
    "z\x01",
    "ü/é",
]


@pytest.mark.parametrize("max_keys", [1, 2, 3, 1000])
@pytest.mark.parametrize(
    ("prefix", "delimiter"),
    [
        ("", None),
        ("", "/"),
        ("a", "/"),
        ("a/", "/"),
        ("dir/", "/"),
        ("photos/", "/"),
        ("", "/2"),
        ("photos/2024/", None),
        ("a//", None),
        ("nothing", "/"),
    ],
)
async def test_list_page_pages_through_both_namespaces_in_s3_order(
    prefix: str, delimiter: str | None, max_keys: int
) -> None:
    names = bucket(KEYS, RESERVED_ROOT + "uploads/x", RESERVED_ROOT + "uploads/y")
    assert await list_all(names, prefix, delimiter, max_keys) == s3_reference(
        KEYS, prefix, delimiter
    )


async def test_list_page_hides_the_gateways_own_files() -> None:
    names = bucket(["a", "z"], RESERVED_ROOT + "uploads/1", RESERVED_ROOT + "uploads/2")
    page = await list_page(names, prefix="", delimiter=None, after=None, max_keys=10)
    assert [o.key for o in page.objects] == ["a", "z"]
    page = await list_page(names, prefix="", delimiter="/", after=None, max_keys=10)
    assert page.common_prefixes == ()


async def test_list_page_after_a_common_prefix_skips_everything_under_it() -> None:
    # As S3 (and Ceph's s3-tests): a marker equal to a common prefix never repeats it.
    keys = ["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/bla", "cquux/thud"]
    page = await list_page(bucket(keys), prefix="", delimiter="/", after="boo/", max_keys=1)
    assert page.common_prefixes == ("cquux/",)
    assert page.objects == ()
    assert not page.is_truncated


async def test_list_page_with_zero_max_keys_is_empty_and_not_truncated() -> None:
    names = bucket(["a"])
    page = await list_page(names, prefix="", delimiter=None, after=None, max_keys=0)
    assert (page.objects, page.common_prefixes, page.is_truncated) == ((), (), False)
    assert names.calls == []


async def test_list_page_seeks_past_a_rolled_up_prefix_instead_of_reading_it() -> None:
    # B2 rolls up only '/', so for '-' the gateway groups and must jump past the group.
    keys = [f"big-{i:04d}" for i in range(500)] + ["small"]
    names = bucket(keys)
    page = await list_page(names, prefix="", delimiter="-", after=None, max_keys=10)
    assert page.common_prefixes == ("big-",)
    assert [o.key for o in page.objects] == ["small"]
    plain_calls = [q for q in names.calls if not (q.prefix or "").startswith(RESERVED_ROOT)]
    assert [q.start_file_name for q in plain_calls] == [None, "big."]


async def test_list_page_lists_a_prefix_once_when_b2_cannot_seek_past_it() -> None:
    # The successor of "a/." is "a//", which is no B2 name: the cursor reads through the group.
    keys = ["a/.x", "a/.y", "a/b"]
    page = await list_page(bucket(keys), prefix="a/", delimiter=".", after=None, max_keys=10)
    assert page.common_prefixes == ("a/.",)
    assert [o.key for o in page.objects] == ["a/b"]


async def test_list_page_refuses_a_b2_listing_that_does_not_advance() -> None:
    async def stuck(query: FileQuery) -> FileList:
        return FileList(files=(), next_file_name=query.start_file_name or "a", next_file_id=None)

    with pytest.raises(B2ProtocolError):
        await list_page(stuck, prefix="", delimiter=None, after=None, max_keys=5)


_alphabet = st.sampled_from([*"ab/-\\", "//", "\x01", "é"])
_keys = st.lists(st.lists(_alphabet, min_size=1, max_size=6).map("".join), max_size=25)


@given(
    keys=_keys,
    prefix=st.sampled_from(["", "a", "a/", "b/", "/", "a//", "é"]),
    delimiter=st.sampled_from([None, "/", "-", "a/", "//"]),
    max_keys=st.integers(1, 6),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
async def test_list_page_matches_s3_for_any_keys_and_page_size(
    keys: list[str], prefix: str, delimiter: str | None, max_keys: int
) -> None:
    expected = s3_reference(keys, prefix, delimiter)
    assert await list_all(bucket(keys), prefix, delimiter, max_keys) == expected

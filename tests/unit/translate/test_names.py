from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.s3.errors import KeyTooLongError
from gateway.translate.names import (
    ESCAPED_ROOT,
    MAX_SEGMENT_BYTES,
    RESERVED_ROOT,
    UPLOADS_ROOT,
    b2_name,
    escaped_form,
    escaped_prefix,
    is_plain,
    plain_prefix,
    s3_key,
    upload_name,
    upload_of,
    upload_position,
    upload_prefix,
)


def utf8(text: str) -> bytes:
    return text.encode()


def is_valid_b2_name(name: str) -> bool:
    """B2's strict file-name rules (the emulator enforces the same set)."""
    return (
        0 < len(name.encode()) <= 1024
        and all(" " <= c != "\x7f" for c in name)
        and "\\" not in name
        and not name.startswith("/")
        and not name.endswith("/")
        and "//" not in name
        and all(len(s.encode()) <= MAX_SEGMENT_BYTES for s in name.split("/"))
    )


# Keys biased towards the characters that matter: '/', controls, the code's escape characters.
_alphabet = st.sampled_from([*"ab/ /.!-0[\\]~\x7f\x00\x1f+%é", "\U0001f600", "z"])
keys = st.lists(_alphabet, min_size=1, max_size=40).map("".join)
long_keys = st.builds(
    lambda head, n, tail: head + "x" * n + tail, keys, st.integers(200, 300), keys
)
any_keys = keys | long_keys


@pytest.mark.parametrize(
    "key", ["photos/2024/cat.jpg", "a b+c%20d", "ünïcödé/ключ", "a", "x" * 250 + "/y"]
)
def test_b2_name_leaves_valid_names_untouched(key: str) -> None:
    assert is_plain(key)
    assert b2_name(key) == key
    assert s3_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "dir/",
        "/lead",
        "a//b",
        "back\\slash",
        "ctl\x01",
        "del\x7f",
        "/",
        "//",
        "x" * 251,
        RESERVED_ROOT + "x",
    ],
)
def test_b2_name_escapes_names_b2_refuses_into_the_reserved_namespace(key: str) -> None:
    name = b2_name(key)
    assert name.startswith(ESCAPED_ROOT)
    assert is_valid_b2_name(name)
    assert s3_key(name) == key


def test_b2_name_refuses_keys_over_1024_bytes() -> None:
    at_limit = ("k" * 200 + "/") * 5 + "k" * 19
    assert b2_name(at_limit) == at_limit
    with pytest.raises(KeyTooLongError):
        b2_name(at_limit + "k")


def test_b2_name_refuses_keys_whose_escaped_form_is_too_long() -> None:
    with pytest.raises(KeyTooLongError):
        b2_name(" /" * 400 + "/")


def test_s3_key_hides_the_gateways_own_files_and_foreign_junk() -> None:
    assert s3_key(RESERVED_ROOT + "uploads/abc") is None
    assert s3_key(ESCAPED_ROOT + "junk") is None
    assert s3_key(ESCAPED_ROOT + "1!zz") is None


@given(any_keys)
@settings(max_examples=500)
def test_every_key_round_trips_through_a_valid_b2_name(key: str) -> None:
    name = b2_name(key)
    assert is_valid_b2_name(name)
    assert s3_key(name) == key
    assert (name == key) == is_plain(key)


@given(any_keys, any_keys)
@settings(max_examples=2000)
def test_escaped_names_sort_like_their_keys(first: str, second: str) -> None:
    if is_plain(first) or is_plain(second):
        return  # untouched names sort as themselves; listings merge the namespaces
    assert (utf8(first) < utf8(second)) == (utf8(b2_name(first)) < utf8(b2_name(second)))


@given(any_keys, any_keys)
@settings(max_examples=1000)
def test_escaped_form_sorts_any_text_like_itself(first: str, second: str) -> None:
    # Listings position a cursor in the escaped namespace at any key, plain or not.
    assert (utf8(first) < utf8(second)) == (utf8(escaped_form(first)) < utf8(escaped_form(second)))


@given(any_keys, any_keys)
@settings(max_examples=2000)
def test_escaped_prefix_selects_exactly_the_keys_with_that_prefix(key: str, prefix: str) -> None:
    for candidate in (prefix, prefix[: len(prefix) // 2], key[: len(key) // 2]):
        if is_plain(key):
            continue
        assert key.startswith(candidate) == b2_name(key).startswith(escaped_prefix(candidate))


@given(any_keys, any_keys)
@settings(max_examples=1000)
def test_plain_prefix_selects_exactly_the_plain_keys_with_that_prefix(
    key: str, prefix: str
) -> None:
    if not is_plain(key):
        return
    b2_prefix = plain_prefix(prefix)
    selected = b2_prefix is not None and key.startswith(b2_prefix)
    assert selected == key.startswith(prefix)


# --- multipart upload markers ---------------------------------------------------------------------

upload_ids = st.from_regex(r"[0-9]{13}-[0-9a-f]{4}", fullmatch=True)


@settings(max_examples=300)
@given(key=keys, upload_id=upload_ids)
def test_upload_name_is_a_valid_b2_name_that_decodes_back(key: str, upload_id: str) -> None:
    name = upload_name(key, upload_id)
    assert is_valid_b2_name(name)
    assert name.startswith(UPLOADS_ROOT)
    assert upload_of(name) == (key, upload_id)


@settings(max_examples=300)
@given(a=keys, b=keys, id_a=upload_ids, id_b=upload_ids)
def test_upload_names_sort_by_key_then_upload_id(a: str, b: str, id_a: str, id_b: str) -> None:
    names = upload_name(a, id_a) < upload_name(b, id_b)
    assert names == ((utf8(a), id_a) < (utf8(b), id_b))


@settings(max_examples=300)
@given(key=keys, prefix=keys, upload_id=upload_ids)
def test_upload_prefix_selects_exactly_the_keys_with_that_prefix(
    key: str, prefix: str, upload_id: str
) -> None:
    assert upload_name(key, upload_id).startswith(upload_prefix(prefix)) == key.startswith(prefix)


@settings(max_examples=300)
@given(key=keys, text=keys, upload_id=upload_ids)
def test_upload_position_separates_smaller_keys_from_the_rest(
    key: str, text: str, upload_id: str
) -> None:
    assert (upload_name(key, upload_id) >= upload_position(text)) == (utf8(key) >= utf8(text))


def test_upload_name_of_a_long_segment_leaves_room_for_the_separator() -> None:
    key = "k" * 300
    assert is_valid_b2_name(upload_name(key, "0000000000001-beef"))


def test_upload_of_refuses_names_it_did_not_make() -> None:
    assert upload_of(ESCAPED_ROOT + "1a /1") is None
    assert upload_of(UPLOADS_ROOT + "1a") is None
    assert upload_of(UPLOADS_ROOT + "zz /1") is None

"""The pure naming and metadata rules, for cases HTTP headers cannot even carry."""

from __future__ import annotations

import pytest

from gateway.emulator.errors import B2Error
from gateway.emulator.rules import b2_quote, b2_unquote, check_file_info, check_file_name


@pytest.mark.parametrize("key", ["bad(key)", "sp ace", "ü-umlaut", "", "Upper"])
def test_file_info_key_charset(key: str) -> None:
    with pytest.raises(B2Error) as caught:
        check_file_info({key: "v"}, "name")
    assert caught.value.code == "bad_request"


def test_file_info_key_charset_allows_b2_punctuation() -> None:
    key = "a-_.`~!#$%^&*'|+z"
    assert check_file_info({key: "v"}, "name") == {key: "v"}


def test_file_name_surrogates_are_refused() -> None:
    with pytest.raises(B2Error):
        check_file_name("bad\udc80name")


@pytest.mark.parametrize("text", ["a b", "a+b", "ü€", "~!$'()*;=:@/x", "%"])
def test_quote_round_trips(text: str) -> None:
    assert b2_unquote(b2_quote(text)) == text


def test_unquote_rejects_invalid_utf8() -> None:
    with pytest.raises(B2Error):
        b2_unquote("%FF")

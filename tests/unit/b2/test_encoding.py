from __future__ import annotations

import pytest

from gateway.b2.encoding import b2_quote, b2_unquote, file_url

# The test vectors of B2's string-encoding page (as carried by b2sdk's unit tests): a selection.
VECTORS = [
    (" ", "%20"),
    ("!", "!"),
    ('"', "%22"),
    ("#", "%23"),
    ("$", "$"),
    ("%", "%25"),
    ("&", "%26"),
    ("'", "'"),
    ("(", "("),
    (")", ")"),
    ("*", "*"),
    ("+", "%2B"),
    (",", "%2C"),
    ("-", "-"),
    (".", "."),
    ("/", "/"),
    ("0123456789", "0123456789"),
    (":", ":"),
    (";", ";"),
    ("<", "%3C"),
    ("=", "="),
    (">", "%3E"),
    ("?", "%3F"),
    ("@", "@"),
    ("[", "%5B"),
    ("\\", "%5C"),
    ("_", "_"),
    ("~", "~"),
    ("\u20ac", "%E2%82%AC"),
    ("\U0001f600", "%F0%9F%98%80"),
]


@pytest.mark.parametrize(("plain", "encoded"), VECTORS)
def test_b2_quote_matches_documented_vectors(plain: str, encoded: str) -> None:
    assert b2_quote(plain) == encoded
    assert b2_unquote(encoded) == plain


def test_b2_unquote_reads_plus_as_space() -> None:
    assert b2_unquote("a+b%2Bc") == "a b+c"


def test_file_url_keeps_our_encoding_verbatim() -> None:
    url = file_url("http://127.0.0.1:9/", "bkt", "dir/a+b c%?#.txt")
    assert url.raw_path == "/file/bkt/dir/a%2Bb%20c%25%3F%23.txt"
    assert url.query_string == ""
    assert str(url) == "http://127.0.0.1:9/file/bkt/dir/a%2Bb%20c%25%3F%23.txt"

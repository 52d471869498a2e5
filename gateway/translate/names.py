"""S3 keys <-> B2 file names.

B2 refuses names S3 allows: control characters and DEL, backslash, a leading or trailing ``/``,
``//``, and path segments over 250 bytes. Every key B2 accepts is stored under its own name,
untouched. Every other key is stored under ``ESCAPED_ROOT`` in an encoded form.

No single namespace can do both (keep valid names untouched *and* keep S3's byte order for the
rest): ``"a/"`` would have to sort after every valid name below it yet before ``"a/ "``, and no
valid B2 name lies there. So listings read both namespaces and merge them by decoded key; within
each namespace B2's order is S3's order:

* untouched names: trivially;
* escaped names: the encoding is order-preserving and prefix-preserving, so a B2 listing of
  ``escaped_prefix(p)`` returns exactly the escaped keys that start with ``p``, in S3 order.

The encoding, per ``/``-separated segment of the key (each becomes one or more B2 segments, each
starting with a marker character):

* characters ``U+0000..U+002E`` -> ``!`` + two hex digits (``!`` sorts below every digit and
  letter, and the hex digits keep their order); ``[`` -> ``[0``, ``\\`` -> ``[1``,
  ``~`` -> ``~0``, DEL -> ``~1``; everything else is itself. The code is prefix-free and keeps
  the order of the characters it encodes;
* a segment starts with marker ``1``. An empty segment (from ``//``, a leading ``/`` or a trailing
  ``/``) is ``!2f`` when another segment follows and ``!`` when it is the last: these sort exactly
  where the ``/`` or the end of the key they stand for sorts;
* a segment longer than B2's 250 bytes continues in a new B2 segment marked ``0`` when the next
  character sorts below ``/`` and ``2`` when above, so a soft split compares against a real ``/``
  (marker ``1``) just as the character it splits before does. Split points depend only on what
  precedes them, which keeps both order and prefixes.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.s3.errors import KeyTooLongError

RESERVED_ROOT = ".s3-b2-gateway/"  # everything the gateway keeps for itself lives below this
ESCAPED_ROOT = RESERVED_ROOT + "e/"
UPLOADS_ROOT = RESERVED_ROOT + "u/"  # one marker file per multipart upload in progress
PARTS_ROOT = RESERVED_ROOT + "p/"  # the parts of those uploads, one file per part number

MAX_KEY_BYTES = 1024  # S3's limit, and B2's for a whole name
MAX_SEGMENT_BYTES = 250  # B2's limit for one '/'-separated segment
_MAX_CODEWORD_BYTES = 4  # a UTF-8 character; "!xx" is 3

_SEGMENT, _SPLIT_LOW, _SPLIT_HIGH = "1", "0", "2"
_EMPTY_BEFORE_SLASH, _EMPTY_AT_END = "!2f", "!"
_SPECIAL = {"[": "[0", "\\": "[1", "~": "~0", "\x7f": "~1"}
_DECODE_SPECIAL = {code: char for char, code in _SPECIAL.items()}


def b2_name(key: str) -> str:
    """The B2 file name that stores S3 ``key``; raises ``KeyTooLongError`` past 1024 bytes."""
    size = len(key.encode())
    if size > MAX_KEY_BYTES:
        raise KeyTooLongError(Size=size, MaxSizeAllowed=MAX_KEY_BYTES)
    if is_plain(key):
        return key
    name = escaped_form(key)
    if len(name.encode()) > MAX_KEY_BYTES:
        # S3 would accept this key; B2 cannot hold its escaped form.
        raise KeyTooLongError(
            "This key needs escaping for Backblaze B2 and is too long once escaped.",
            Size=size,
            MaxSizeAllowed=MAX_KEY_BYTES,
        )
    return name


def s3_key(name: str) -> str | None:
    """The S3 key stored under B2 ``name``; None for the gateway's own files and for names
    under ``ESCAPED_ROOT`` that this encoding did not produce (put there by another tool)."""
    if not name.startswith(RESERVED_ROOT):
        return name
    if not name.startswith(ESCAPED_ROOT):
        return None
    try:
        key = _decode(name.removeprefix(ESCAPED_ROOT))
        return key if b2_name(key) == name else None
    except (ValueError, KeyError, KeyTooLongError):
        return None


def is_plain(key: str) -> bool:
    """True when B2 accepts ``key`` as a file name and it needs no escaping."""
    return (
        _plain_chars(key)
        and not key.startswith("/")
        and not key.endswith("/")
        and "//" not in key
        and not key.startswith(RESERVED_ROOT)
        and all(len(s.encode()) <= MAX_SEGMENT_BYTES for s in key.split("/"))
    )


def plain_prefix(prefix: str) -> str | None:
    """The B2 prefix to list untouched names starting with ``prefix``; None if none can."""
    if not _plain_chars(prefix) or prefix.startswith("/") or "//" in prefix:
        return None
    if any(len(s.encode()) > MAX_SEGMENT_BYTES for s in prefix.split("/")):
        return None
    return prefix


def escaped_form(text: str) -> str:
    """Where ``text`` sorts among escaped names, whether or not it needs escaping itself."""
    return ESCAPED_ROOT + "/".join(_encode_segments(text, complete=True))


def escaped_prefix(prefix: str) -> str:
    """The B2 prefix under which exactly the escaped keys starting with ``prefix`` are stored."""
    return ESCAPED_ROOT + "/".join(_encode_segments(prefix, complete=False))


def upload_name(key: str, upload_id: str) -> str:
    """The marker of multipart upload ``upload_id`` of ``key``. B2 orders markers as S3 orders
    uploads (by key, then by ``upload_id``): the key's encoded form is followed by a space,
    which sorts below every codeword and ``/``, so a key's markers precede those of longer keys.
    The encoding leaves one byte of room in its last segment for that space."""
    return f"{upload_position(key)} /{upload_id}"


def upload_position(text: str) -> str:
    """Where markers of keys ``>= text`` start (markers of smaller keys sort below it)."""
    return UPLOADS_ROOT + "/".join(_encode_segments(text, complete=True, room=1))


def upload_prefix(prefix: str) -> str:
    """The B2 prefix under which exactly the markers of keys starting with ``prefix`` lie."""
    return UPLOADS_ROOT + "/".join(_encode_segments(prefix, complete=False, room=1))


def upload_of(name: str) -> tuple[str, str] | None:
    """(key, upload id) of a marker name; None for names ``upload_name`` did not produce."""
    encoded, sep, upload_id = name.removeprefix(UPLOADS_ROOT).rpartition(" /")
    if not name.startswith(UPLOADS_ROOT) or not sep:
        return None
    try:
        key = _decode(encoded)
    except (ValueError, KeyError):
        return None
    return (key, upload_id) if upload_name(key, upload_id) == name else None


def _plain_chars(text: str) -> bool:
    return "\\" not in text and all(" " <= c != "\x7f" for c in text)


def _codeword(char: str) -> str:
    if char < "/":
        return f"!{ord(char):02x}"
    return _SPECIAL.get(char, char)


def _encode_segments(key: str, *, complete: bool, room: int = 0) -> Iterator[str]:
    """B2 segments for ``key``; with ``complete=False`` the last segment may continue.
    ``room`` bytes of every segment are left free (for text a caller appends)."""
    segments = key.split("/")
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if not segment:
            if index < last:
                yield _SEGMENT + _EMPTY_BEFORE_SLASH
            elif complete:
                yield _SEGMENT + _EMPTY_AT_END
            else:
                yield _SEGMENT  # a prefix ending in "/": the next segment is still open
            continue
        yield from _split_long(segment, MAX_SEGMENT_BYTES - room)


def _split_long(segment: str, limit: int = MAX_SEGMENT_BYTES) -> Iterator[str]:
    chunk = _SEGMENT
    for char in segment:
        # Whether to split depends only on what precedes, never on the next character.
        if len(chunk.encode()) + _MAX_CODEWORD_BYTES > limit:
            yield chunk
            chunk = _SPLIT_LOW if char < "/" else _SPLIT_HIGH
        chunk += _codeword(char)
    yield chunk


def _decode(encoded: str) -> str:
    key = ""
    for index, chunk in enumerate(encoded.split("/")):
        marker, body = chunk[:1], chunk[1:]
        if marker == _SEGMENT:
            key += "/" if index > 0 else ""
            if body in (_EMPTY_BEFORE_SLASH, _EMPTY_AT_END):
                continue
        elif marker not in (_SPLIT_LOW, _SPLIT_HIGH) or index == 0:
            raise ValueError(f"not an escaped name: {encoded!r}")
        key += _decode_segment(body)
    return key


def _decode_segment(body: str) -> str:
    chars: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == "!":
            chars.append(chr(int(body[i + 1 : i + 3], 16)))
            i += 3
        elif body[i] in "[~":
            chars.append(_DECODE_SPECIAL[body[i : i + 2]])
            i += 2
        else:
            chars.append(body[i])
            i += 1
    return "".join(chars)

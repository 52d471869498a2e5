"""The bounded LRU of ETags learnt from B2, by file id."""

from __future__ import annotations

from gateway.translate.known_etags import KnownEtags


def test_known_etags_remembers_and_forgets_the_least_recently_used() -> None:
    known = KnownEtags(capacity=2)
    known.put("id-1", "etag-1")
    known.put("id-2", "etag-2")
    assert known.get("id-1") == "etag-1"  # id-2 is now the least recently used
    known.put("id-3", "etag-3")
    assert (known.get("id-1"), known.get("id-2"), known.get("id-3")) == ("etag-1", None, "etag-3")
    assert len(known) == 2


def test_known_etags_unknown_id_is_none() -> None:
    assert KnownEtags().get("never-seen") is None

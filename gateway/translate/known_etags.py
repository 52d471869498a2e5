"""ETags the gateway had to ask B2 for, remembered by file id.

An object written without its ETag in file info (by another B2 tool, or streamed without
Content-MD5) costs GET and HEAD one ``b2_get_file_info`` for B2's ``contentMd5``. A B2 file
version never changes, so what was learnt for a file id can never go stale, whichever replica
learnt it and whatever happens to the key since: a bounded LRU saves repeated reads that call.

Entries are only ever looked up with a file id that the caller's own download or HEAD just
returned, so the cache tells nobody anything their key could not read.
"""

from __future__ import annotations

from collections import OrderedDict

DEFAULT_CAPACITY = 4096  # ~1 MB at most: file ids are ~80 characters, ETags 32-40


class KnownEtags:
    """A bounded, least-recently-used map: file id -> the object's unquoted ETag."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._etags: OrderedDict[str, str] = OrderedDict()

    def get(self, file_id: str) -> str | None:
        etag = self._etags.get(file_id)
        if etag is not None:
            self._etags.move_to_end(file_id)
        return etag

    def put(self, file_id: str, etag: str) -> None:
        self._etags[file_id] = etag
        self._etags.move_to_end(file_id)
        while len(self._etags) > self._capacity:
            self._etags.popitem(last=False)

    def __len__(self) -> int:
        return len(self._etags)

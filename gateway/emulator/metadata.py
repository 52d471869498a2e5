"""SQLite metadata: buckets, file versions with their byte segments, large-file parts, keys.

Synchronous on purpose: one ``MetadataDb`` lives on one dedicated thread (see ``store``), so
every method is a serialised transaction and the event loop never waits on a commit's fsync.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from gateway.emulator.errors import B2Error, bad_bucket_id
from gateway.emulator.models import AppKey, Bucket, FileVersion, Part, Segment

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
    key_id TEXT PRIMARY KEY, secret TEXT NOT NULL, name TEXT NOT NULL,
    capabilities TEXT NOT NULL, bucket_ids TEXT, name_prefix TEXT, expires_ms INTEGER,
    is_master INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (
    bucket_id TEXT PRIMARY KEY, name TEXT NOT NULL, name_folded TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY, file_id TEXT NOT NULL UNIQUE, bucket_id TEXT NOT NULL,
    name TEXT NOT NULL, action TEXT NOT NULL, upload_ts INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS versions_by_name ON versions (bucket_id, name, upload_ts DESC, seq DESC);
CREATE TABLE IF NOT EXISTS segments (
    file_id TEXT NOT NULL, position INTEGER NOT NULL, blob TEXT NOT NULL,
    offset INTEGER NOT NULL, length INTEGER NOT NULL, PRIMARY KEY (file_id, position));
CREATE INDEX IF NOT EXISTS segments_by_blob ON segments (blob);
CREATE TABLE IF NOT EXISTS parts (
    file_id TEXT NOT NULL, part_number INTEGER NOT NULL, record TEXT NOT NULL,
    blob TEXT NOT NULL, PRIMARY KEY (file_id, part_number));
CREATE INDEX IF NOT EXISTS parts_by_blob ON parts (blob);
"""

# Parsed back out of our own file ids so list_file_versions can resume from an id that was
# deleted between pages, as the real service can (its ids also encode time).
_FILE_ID_POSITION = re.compile(r"_v(\d{10})_t\d{4}_u(\d{13})$")

_VERSION_ORDER = "ORDER BY name, upload_ts DESC, seq DESC"


def file_id_position(file_id: str) -> tuple[int, int] | None:
    """(upload_ts, seq) encoded in one of our file ids, or None for a foreign id."""
    match = _FILE_ID_POSITION.search(file_id)
    return (int(match.group(2)), int(match.group(1))) if match else None


class MetadataDb:
    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the client hears "200"; this thread absorbs the fsync.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # settings -------------------------------------------------------------------------
    def get_setting(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE name=?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting_once(self, name: str, value: str) -> str:
        """Store ``value`` unless a value exists already; return the stored one."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO settings VALUES (?, ?)", (name, value))
        stored = self.get_setting(name)
        assert stored is not None
        return stored

    # keys -----------------------------------------------------------------------------
    def put_key(self, key: AppKey) -> None:
        with self._transaction() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM keys").fetchone()[0]
            db.execute(
                "INSERT INTO keys VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    key.key_id, key.secret, key.name, json.dumps(key.capabilities),
                    None if key.bucket_ids is None else json.dumps(key.bucket_ids),
                    key.name_prefix, key.expires_ms, int(key.is_master), seq,
                ),
            )  # fmt: skip

    def delete_key(self, key_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM keys WHERE key_id=?", (key_id,))

    def all_keys(self) -> list[AppKey]:
        rows = self._db.execute("SELECT * FROM keys ORDER BY key_id").fetchall()
        return [
            AppKey(
                key_id=r[0], secret=r[1], name=r[2], capabilities=tuple(json.loads(r[3])),
                bucket_ids=None if r[4] is None else tuple(json.loads(r[4])),
                name_prefix=r[5], expires_ms=r[6], is_master=bool(r[7]),
            )
            for r in rows
        ]  # fmt: skip

    # buckets --------------------------------------------------------------------------
    def create_bucket(self, bucket: Bucket, max_buckets: int) -> Bucket:
        with self._transaction() as db:
            taken = db.execute(
                "SELECT 1 FROM buckets WHERE name_folded=?", (bucket.name.lower(),)
            ).fetchone()
            if taken:
                raise B2Error(400, "duplicate_bucket_name", "Bucket name is already in use.")
            if db.execute("SELECT COUNT(*) FROM buckets").fetchone()[0] >= max_buckets:
                raise B2Error(400, "too_many_buckets", f"Account already has {max_buckets} buckets")
            db.execute(
                "INSERT INTO buckets VALUES (?,?,?,?)",
                (bucket.bucket_id, bucket.name, bucket.name.lower(), _dump(bucket)),
            )
        return bucket

    def get_bucket(self, bucket_id: str) -> Bucket | None:
        row = self._db.execute(
            "SELECT record FROM buckets WHERE bucket_id=?", (bucket_id,)
        ).fetchone()
        return None if row is None else Bucket(**json.loads(row[0]))

    def get_bucket_by_name(self, name: str) -> Bucket | None:
        row = self._db.execute("SELECT record FROM buckets WHERE name=?", (name,)).fetchone()
        return None if row is None else Bucket(**json.loads(row[0]))

    def list_buckets(self) -> list[Bucket]:
        rows = self._db.execute("SELECT record FROM buckets ORDER BY name").fetchall()
        return [Bucket(**json.loads(r[0])) for r in rows]

    def replace_bucket(self, bucket: Bucket, if_revision: int | None) -> Bucket:
        """Store ``bucket`` with its revision bumped; 409 if ``if_revision`` is stale."""
        with self._transaction() as db:
            current = self.get_bucket(bucket.bucket_id)
            if current is None:
                raise bad_bucket_id(bucket.bucket_id)
            if if_revision is not None and if_revision != current.revision:
                raise B2Error(409, "conflict", "simultaneous updates to bucket")
            updated = Bucket(**{**asdict(bucket), "revision": current.revision + 1})
            db.execute(
                "UPDATE buckets SET record=? WHERE bucket_id=?", (_dump(updated), bucket.bucket_id)
            )
        return updated

    def delete_bucket(self, bucket_id: str) -> Bucket:
        with self._transaction() as db:
            bucket = self.get_bucket(bucket_id)
            if bucket is None:
                raise bad_bucket_id(bucket_id)
            if db.execute(
                "SELECT 1 FROM versions WHERE bucket_id=? LIMIT 1", (bucket_id,)
            ).fetchone():
                raise B2Error(
                    400, "cannot_delete_non_empty_bucket", "Cannot delete non-empty bucket"
                )
            db.execute("DELETE FROM buckets WHERE bucket_id=?", (bucket_id,))
        return bucket

    # file versions ----------------------------------------------------------------------
    def add_version(
        self, mint: Callable[[int], FileVersion], segments: Sequence[Segment]
    ) -> FileVersion:
        """Insert the version ``mint(seq)`` builds; seq is allocated inside the transaction."""
        with self._transaction() as db:
            seq = int(db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM versions").fetchone()[0])
            version = mint(seq)
            position = file_id_position(version.file_id)
            assert position == (version.upload_ts, seq), "file ids are minted by ids.new_file_id"
            if self.get_bucket(version.bucket_id) is None:
                raise bad_bucket_id(version.bucket_id)
            db.execute(
                "INSERT INTO versions VALUES (?,?,?,?,?,?,?)",
                (
                    position[1], version.file_id, version.bucket_id, version.name,
                    version.action, version.upload_ts, _dump(version),
                ),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO segments VALUES (?,?,?,?,?)",
                [(version.file_id, i, s.blob, s.offset, s.length) for i, s in enumerate(segments)],
            )
        return version

    def get_version(self, file_id: str) -> FileVersion | None:
        row = self._db.execute("SELECT record FROM versions WHERE file_id=?", (file_id,)).fetchone()
        return None if row is None else FileVersion(**json.loads(row[0]))

    def replace_version(self, version: FileVersion) -> FileVersion:
        """Rewrite a version's record (Object Lock settings change in place)."""
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE versions SET record=? WHERE file_id=?", (_dump(version), version.file_id)
            ).rowcount
            if not updated:
                raise B2Error(400, "file_not_present", f"File not present: {version.file_id}")
        return version

    def newest_version(self, bucket_id: str, name: str) -> FileVersion | None:
        """The newest upload or hide marker of ``name`` (unfinished large files don't count)."""
        row = self._db.execute(
            "SELECT record FROM versions WHERE bucket_id=? AND name=? AND action!='start' "
            "ORDER BY upload_ts DESC, seq DESC LIMIT 1",
            (bucket_id, name),
        ).fetchone()
        return None if row is None else FileVersion(**json.loads(row[0]))

    def segments(self, file_id: str) -> list[Segment]:
        rows = self._db.execute(
            "SELECT blob, offset, length FROM segments WHERE file_id=? ORDER BY position",
            (file_id,),
        ).fetchall()
        return [Segment(*r) for r in rows]

    def delete_version(self, file_id: str) -> list[str]:
        """Remove a version (and its parts); return blobs nothing references any more."""
        with self._transaction() as db:
            blobs = {
                r[0] for r in db.execute("SELECT blob FROM segments WHERE file_id=?", (file_id,))
            }
            blobs |= {
                r[0] for r in db.execute("SELECT blob FROM parts WHERE file_id=?", (file_id,))
            }
            db.execute("DELETE FROM versions WHERE file_id=?", (file_id,))
            db.execute("DELETE FROM segments WHERE file_id=?", (file_id,))
            db.execute("DELETE FROM parts WHERE file_id=?", (file_id,))
            return [b for b in sorted(blobs) if not self._blob_referenced(b)]

    def _blob_referenced(self, blob: str) -> bool:
        return bool(
            self._db.execute("SELECT 1 FROM segments WHERE blob=? LIMIT 1", (blob,)).fetchone()
            or self._db.execute("SELECT 1 FROM parts WHERE blob=? LIMIT 1", (blob,)).fetchone()
        )

    def referenced_blobs(self) -> set[str]:
        rows = self._db.execute("SELECT blob FROM segments UNION SELECT blob FROM parts")
        return {r[0] for r in rows}

    def scan_versions(
        self, bucket_id: str, start_name: str, start_position: tuple[int, int] | None, limit: int
    ) -> list[FileVersion]:
        """Versions in listing order from (start_name, start_position) inclusive."""
        args: list[object]
        if start_position is None:
            where, args = "name >= ?", [start_name]
        else:
            ts, seq = start_position
            where = "(name > ? OR (name = ? AND (upload_ts < ? OR (upload_ts = ? AND seq <= ?))))"
            args = [start_name, start_name, ts, ts, seq]
        rows = self._db.execute(
            f"SELECT record FROM versions WHERE bucket_id=? AND {where} {_VERSION_ORDER} LIMIT ?",  # noqa: S608
            [bucket_id, *args, limit],
        ).fetchall()
        return [FileVersion(**json.loads(r[0])) for r in rows]

    # large-file parts -------------------------------------------------------------------
    def put_part(self, part: Part) -> list[str]:
        """Store a part (replacing one with the same number); return blobs orphaned by that."""
        with self._transaction() as db:
            version = self.get_version(part.file_id)
            if version is None or version.action != "start":
                raise B2Error(400, "bad_request", f"No active upload for: {part.file_id}")
            old = db.execute(
                "SELECT blob FROM parts WHERE file_id=? AND part_number=?",
                (part.file_id, part.part_number),
            ).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO parts VALUES (?,?,?,?)",
                (part.file_id, part.part_number, _dump(part), part.segment.blob),
            )
            if old is not None and not self._blob_referenced(old[0]):
                return [old[0]]
            return []

    def list_parts(self, file_id: str, start: int, limit: int) -> list[Part]:
        rows = self._db.execute(
            "SELECT record FROM parts WHERE file_id=? AND part_number>=? "
            "ORDER BY part_number LIMIT ?",
            (file_id, start, limit),
        ).fetchall()
        return [_load_part(r[0]) for r in rows]

    def finish_large_file(self, finished: FileVersion) -> FileVersion:
        """Turn a started file into an upload whose segments are its parts, in order."""
        with self._transaction() as db:
            current = self.get_version(finished.file_id)
            if current is None or current.action != "start":
                raise B2Error(400, "bad_request", f"No active upload for: {finished.file_id}")
            parts = self.list_parts(finished.file_id, 1, 10_001)
            db.execute(
                "UPDATE versions SET action='upload', record=? WHERE file_id=?",
                (_dump(finished), finished.file_id),
            )
            db.executemany(
                "INSERT INTO segments VALUES (?,?,?,?,?)",
                [
                    (finished.file_id, i, p.segment.blob, p.segment.offset, p.segment.length)
                    for i, p in enumerate(parts)
                ],
            )
            db.execute("DELETE FROM parts WHERE file_id=?", (finished.file_id,))
        return finished

    def unfinished_large_files(
        self, bucket_id: str, prefix: str, start_seq: int, limit: int
    ) -> list[FileVersion]:
        rows = self._db.execute(
            "SELECT record FROM versions WHERE bucket_id=? AND action='start' AND seq>=? "
            "AND substr(name, 1, ?)=? ORDER BY seq LIMIT ?",
            (bucket_id, start_seq, len(prefix), prefix, limit),
        ).fetchall()
        return [FileVersion(**json.loads(r[0])) for r in rows]


def _dump(record: Any) -> str:
    return json.dumps(asdict(record), separators=(",", ":"))


def _load_part(text: str) -> Part:
    values = json.loads(text)
    values["segment"] = Segment(**values["segment"])
    return Part(**values)


def add_hide_marker(
    db: MetadataDb, bucket_id: str, name: str, mint: Callable[[int], FileVersion]
) -> FileVersion:
    """Hide a name atomically (one metadata thread): refuse a missing or hidden name."""
    newest = db.newest_version(bucket_id, name)
    if newest is None:
        raise B2Error(400, "no_such_file", f"File not present: {name}")
    if newest.action == "hide":
        raise B2Error(400, "already_hidden", f"File already hidden: {name}")
    return db.add_version(mint, [])

"""b2_list_file_names / b2_list_file_versions paging, folder collapsing and cursors.

Runs on the metadata thread (it is handed the ``MetadataDb``), scanning versions in listing
order (name ascending, newest first) in batches.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.emulator.metadata import MetadataDb, file_id_position
from gateway.emulator.models import FileVersion

SCAN_BATCH = 1000


@dataclass(frozen=True)
class ListQuery:
    bucket_id: str
    start_name: str | None
    start_position: tuple[int, int] | None  # (upload_ts, seq) from startFileId
    prefix: str
    delimiter: str | None
    count: int
    latest_only: bool  # list_file_names: each name once, only if its newest version is an upload


@dataclass(frozen=True)
class Entry:
    name: str
    version: FileVersion | None  # None for a folder


def list_entries(db: MetadataDb, query: ListQuery) -> tuple[list[Entry], Entry | None]:
    """Up to ``count`` entries, plus the entry the next page starts with (or None)."""
    entries: list[Entry] = []
    name = query.start_name or ""
    position = query.start_position
    if name < query.prefix:
        name, position = query.prefix, None
    last_name: str | None = None
    while len(entries) <= query.count:
        batch = db.scan_versions(query.bucket_id, name, position, SCAN_BATCH)
        if not batch:
            break
        restart = False
        for version in batch:
            if not version.name.startswith(query.prefix):
                return _split(entries, query.count)
            name, position = version.name, (version.upload_ts, _seq(version) - 1)
            if query.latest_only:
                if version.action == "start" or version.name == last_name:
                    continue
                last_name = version.name
                if version.action != "upload":
                    continue
            folder = _folder(version.name, query.prefix, query.delimiter)
            if folder is not None:
                entries.append(Entry(folder, None))
                # Skip every name under the folder: the next name after "<folder>\uffff...".
                name, position = folder[:-1] + chr(ord(folder[-1]) + 1), None
                restart = True
                break
            entries.append(Entry(version.name, version))
            if len(entries) > query.count:
                break
        if not restart and len(batch) < SCAN_BATCH:
            break
    return _split(entries, query.count)


def _seq(version: FileVersion) -> int:
    position = file_id_position(version.file_id)
    assert position is not None
    return position[1]


def _folder(name: str, prefix: str, delimiter: str | None) -> str | None:
    if not delimiter:
        return None
    index = name.find(delimiter, len(prefix))
    return None if index < 0 else name[: index + len(delimiter)]


def _split(entries: list[Entry], count: int) -> tuple[list[Entry], Entry | None]:
    return entries[:count], (entries[count] if len(entries) > count else None)

"""The compatibility matrix: which client version passed which scenario steps.

Rows seen in this run replace every row of the same client in ``matrix.md``; rows of clients that
did not run this time are kept, so running one module does not shrink the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HEADER = "| client | version | transport | exercised (all passed) |\n| --- | --- | --- | --- |\n"
INTRO = "<!-- Written by tests/compat (pytest -m compat); copy the table into README.md. -->\n\n"


@dataclass(frozen=True)
class MatrixRow:
    client: str
    version: str
    transport: str
    steps: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.client, self.transport)

    def render(self) -> str:
        return f"| {self.client} | {self.version} | {self.transport} | {', '.join(self.steps)} |"


def parse_rows(text: str) -> list[MatrixRow]:
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("client", "---"):
            continue
        rows.append(MatrixRow(cells[0], cells[1], cells[2], tuple(cells[3].split(", "))))
    return rows


def write_matrix(path: Path, seen: Iterable[MatrixRow]) -> None:
    seen = list(seen)
    ran = {row.client for row in seen}
    previous = parse_rows(path.read_text()) if path.exists() else []
    rows = {row.key: row for row in previous if row.client not in ran}
    rows.update({row.key: row for row in seen})
    ordered = sorted(rows.values(), key=lambda r: (r.client.lower(), r.transport))
    path.write_text(INTRO + HEADER + "\n".join(r.render() for r in ordered) + "\n")

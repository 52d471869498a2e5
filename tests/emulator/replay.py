"""Replaying recorded real-B2 traffic against the emulator, mapping ids, names and tokens.

The recordings (``/work/shared/data/b2-recorded``) are v2 sessions against production B2 with
secrets replaced by ``hidden-…`` strings. Each request is rewritten for the emulator (its URL,
credentials, and every id seen so far), and the answer is compared with the recorded one by
status, error code, header names, and JSON field names and value types.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yarl import URL

from tests.emulator.raw import B2Raw, Reply, basic

RECORDINGS = Path("/work/shared/data/b2-recorded")
ACCOUNT_PLACEHOLDER = "hidden-account-id"
FIVE_MB_PLACEHOLDER = "aaaaa for 5 MB of data"
ID_FIELDS = ("bucketId", "fileId", "applicationKeyId", "accountId")
IGNORED_RESPONSE_HEADERS = {"connection"}  # per-connection detail, not part of the API


@dataclass(frozen=True)
class Exchange:
    method: str
    url: URL
    headers: dict[str, str]
    body: str
    status: int
    response_headers: frozenset[str]
    response_body: str
    day: str  # the recorded answer's date: the recordings are sessions from many days

    @property
    def call(self) -> str:
        parts = self.url.path.split("/")
        return parts[3] if self.url.path.startswith("/b2api/") else "b2_download_file_by_name"

    def recorded_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body.startswith("{") else None


def load(path: Path) -> list[Exchange]:
    exchanges = []
    for document in yaml.safe_load_all(path.read_text()):
        request, response = document[0]["Request"], document[1]["Response"]
        exchanges.append(
            Exchange(
                method=request["method"],
                url=URL(request["url"]),
                headers={k.lower(): str(v[0]) for k, v in request["headers"].items()},
                body=request["body"] or "",
                status=response["status"],
                response_headers=frozenset(k.lower() for k in response["headers"]),
                response_body=response["body"] or "",
                day=_day(response["headers"]),
            )
        )
    return exchanges


def _day(headers: dict[str, list[str]]) -> str:
    dates = [v[0] for k, v in headers.items() if k.lower() == "date"]
    return dates[0][:16] if dates else ""


def shape_differences(
    recorded: Any, actual: Any, path: str = "$", ids: dict[str, str] | None = None
) -> list[str]:
    """Where ``actual`` lacks a field of ``recorded`` or holds a value of another JSON type.

    List items are paired by file id when ``ids`` maps it (listings hold more versions here
    than in the recorded account), else by position.
    """
    ids = ids or {}
    if isinstance(recorded, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        differences = []
        for key, value in recorded.items():
            if key not in actual:
                differences.append(f"{path}.{key}: missing")
            else:
                differences += shape_differences(value, actual[key], f"{path}.{key}", ids)
        return differences
    if isinstance(recorded, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {actual!r}"]
        pairs = zip(recorded, _paired(recorded, actual, ids), strict=True)
        return [
            d
            for i, (r, a) in enumerate(pairs)
            if a is not None or isinstance(r, dict)  # scalars: compare what both lists hold
            for d in shape_differences(r, a, f"{path}[{i}]", ids)
        ]
    if recorded is None:
        return []  # recorded null: the field is nullable; any value type may appear
    if actual is None or type(actual) is not type(recorded):
        return [f"{path}: expected {type(recorded).__name__}, got {actual!r}"]
    return []


def _paired(recorded: list[Any], actual: list[Any], ids: dict[str, str]) -> list[Any]:
    by_id = {a.get("fileId"): a for a in actual if isinstance(a, dict)}
    paired = []
    for index, item in enumerate(recorded):
        mapped = ids.get(item.get("fileId", "")) if isinstance(item, dict) else None
        if mapped in by_id:
            paired.append(by_id[mapped])
        else:
            paired.append(actual[index] if index < len(actual) else None)
    return paired


class Replayer:
    def __init__(self, b2: B2Raw) -> None:
        self.b2 = b2
        self.ids: dict[str, str] = {}
        self.upload_urls: dict[str, tuple[str, str]] = {}  # recorded URL -> (URL, token)

    def learn(self, recorded: Any, actual: Any) -> None:
        """Map every id (and upload URL) in a recorded answer to the emulator's value."""
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key, value in recorded.items():
                if key in ID_FIELDS and isinstance(value, str) and isinstance(actual.get(key), str):
                    self.ids.setdefault(value, actual[key])
                elif key == "uploadUrl" and isinstance(value, str):
                    self.upload_urls[value] = (actual[key], actual["authorizationToken"])
                else:
                    self.learn(value, actual.get(key))
        elif isinstance(recorded, list) and isinstance(actual, list):
            for r, a in zip(recorded, actual, strict=False):
                self.learn(r, a)

    def rewrite(self, text: str) -> str:
        for recorded in sorted(self.ids, key=len, reverse=True):
            text = text.replace(recorded, self.ids[recorded])
        return text.replace(ACCOUNT_PLACEHOLDER, self.b2.account_id)

    def _target(self, exchange: Exchange) -> tuple[str, str | None]:
        """(URL, Authorization) to use for a recorded request."""
        recorded_url = str(exchange.url.with_query(None))
        if recorded_url in self.upload_urls:
            return self.upload_urls[recorded_url]
        url = self.b2.url + self.rewrite(exchange.url.raw_path)
        if exchange.url.raw_query_string:
            url += "?" + self.rewrite(exchange.url.raw_query_string)
        if exchange.call == "b2_authorize_account":
            if exchange.status == 401:
                return url, exchange.headers.get("authorization")  # keep the bad credentials
            return url, basic(self.b2.emulator.key_id, self.b2.emulator.key)
        return url, self.b2.token

    def _body(self, exchange: Exchange) -> bytes:
        length = int(exchange.headers.get("content-length", "-1"))
        if exchange.body == FIVE_MB_PLACEHOLDER and length != len(exchange.body):
            return b"a" * length  # the recorder elided the part's bytes
        return self.rewrite(exchange.body).encode()

    async def replay(self, exchange: Exchange) -> Reply:
        url, authorization = self._target(exchange)
        headers = {
            k: self.rewrite(v)
            for k, v in exchange.headers.items()
            if k in ("content-type", "range") or k.startswith("x-bz-")
        }
        if authorization is not None:
            headers["Authorization"] = authorization
        body = self._body(exchange)
        reply = await self.b2.request(
            exchange.method, URL(url, encoded=True), headers=headers, data=io.BytesIO(body)
        )
        if exchange.call == "b2_authorize_account" and reply.status == 200:
            self.b2.token = reply.json()["authorizationToken"]
            self.b2.account_id = reply.json()["accountId"]
        recorded = exchange.recorded_json()
        if recorded is not None and reply.body.startswith(b"{"):
            self.learn(recorded, reply.json())
        return reply


def differences(exchange: Exchange, reply: Reply, ids: dict[str, str]) -> list[str]:
    found = []
    if reply.status != exchange.status:
        found.append(f"status {reply.status} != recorded {exchange.status}: {reply.body[:200]!r}")
    missing = (
        exchange.response_headers - IGNORED_RESPONSE_HEADERS - {h.lower() for h in reply.headers}
    )
    if missing:
        found.append(f"missing headers {sorted(missing)}")
    recorded = exchange.recorded_json()
    if recorded is not None:
        actual = reply.json() if reply.body.startswith(b"{") else None
        if "code" in recorded and (actual or {}).get("code") != recorded["code"]:
            found.append(f"code {(actual or {}).get('code')} != recorded {recorded['code']}")
        found += shape_differences(recorded, actual, ids=ids)
    elif exchange.response_body and reply.body != exchange.response_body.encode():
        found.append(f"body {reply.body[:60]!r} != recorded {exchange.response_body[:60]!r}")
    return found

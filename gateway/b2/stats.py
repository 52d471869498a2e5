"""Counters the gateway exports (it owns the metrics library; this package only counts)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# endpoint = the B2 call name ("b2_upload_file"); status 0 = no HTTP answer (connection failure).
OnCall = Callable[[str, int, float], None]


@dataclass(frozen=True)
class ClientStatsSnapshot:
    authorizations: int  # every b2_authorize_account, including the first
    upload_url_hits: int  # uploads that reused a pooled URL
    upload_url_misses: int  # uploads that had to fetch a URL
    upload_url_discards: int  # URLs thrown away after a failed upload
    retries_by_cause: Mapping[str, int]  # B2 error code, or "connection"
    upload_urls_idle: int = 0  # pooled, ready for the next upload (a gauge)
    upload_urls_leased: int = 0  # serving an upload right now (a gauge)


@dataclass
class ClientStats:
    authorizations: int = 0
    upload_url_hits: int = 0
    upload_url_misses: int = 0
    upload_url_discards: int = 0
    retries_by_cause: Counter[str] = field(default_factory=Counter)
    upload_urls_idle: int = 0
    upload_urls_leased: int = 0

    def snapshot(self) -> ClientStatsSnapshot:
        return ClientStatsSnapshot(
            authorizations=self.authorizations,
            upload_url_hits=self.upload_url_hits,
            upload_url_misses=self.upload_url_misses,
            upload_url_discards=self.upload_url_discards,
            retries_by_cause=MappingProxyType(dict(self.retries_by_cause)),
            upload_urls_idle=self.upload_urls_idle,
            upload_urls_leased=self.upload_urls_leased,
        )

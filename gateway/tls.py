"""A self-signed certificate for local HTTPS (embedded/dev mode), kept in the data directory
so clients can keep trusting it across restarts (``AWS_CA_BUNDLE`` points at it)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 365
_RENEW_BEFORE = dt.timedelta(days=7)


@dataclass(frozen=True)
class CertificatePaths:
    cert: Path
    key: Path


def ensure_self_signed(folder: Path, *, now: dt.datetime | None = None) -> CertificatePaths:
    """The certificate in ``folder``, made (or renewed near expiry) for 127.0.0.1/localhost."""
    moment = now or dt.datetime.now(dt.UTC)
    paths = CertificatePaths(folder / "cert.pem", folder / "key.pem")
    if paths.cert.exists() and paths.key.exists():
        existing = x509.load_pem_x509_certificate(paths.cert.read_bytes())
        if existing.not_valid_after_utc - _RENEW_BEFORE > moment:
            return paths
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "s3-b2-gateway (local)")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(minutes=5))
        .not_valid_after(moment + dt.timedelta(days=VALID_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths.key.touch(mode=0o600)
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return paths


def server_context(paths: CertificatePaths) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(paths.cert, paths.key)
    return context

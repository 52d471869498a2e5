"""An S3 API gateway in front of Backblaze B2's native API."""

__version__ = "0.1.0"

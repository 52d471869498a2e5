"""The S3 protocol: routing, SigV4, aws-chunked, checksums, errors, XML. Knows nothing of B2."""

"""The only package that knows both S3 and B2: one handler per S3 operation."""

"""An asyncio client for the B2 native API. Knows nothing of S3 or aiohttp.web."""

"""Where Bronze reads from: the OpenAQ S3 archive (backfill) and the OpenAQ API v3 (hourly)."""

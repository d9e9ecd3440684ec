"""Dashboard settings and rollups (the raw facts live in ingest)."""

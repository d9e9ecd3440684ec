"""Sync services: one sync of one resource of one repository (or an organisation's repositories).

Each service reads its checkpoint (SyncState), iterates GitHub pages through the client, maps
payloads to rows and writes each page with its checkpoint in one transaction. Services know
nothing about Celery; `ingest/tasks.py` and the `ingest`/`demo` commands call them alike.
"""

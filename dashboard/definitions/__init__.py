"""What the dashboard's numbers mean, below both sides that use it.

The builders of derived data (`dashboard.derived`) and the selectors that read it
(`dashboard.metrics`) import these definitions and never each other: what a contribution, a
kind group, a person key, a scope and a bot are (`contributions`), time buckets (`buckets`),
portable SQL (`sql`), per-bucket activity figures (`activity`), pull request difficulty
(`difficulty`) and the promotion rule's figures (`promotion`).
"""

"""Selectors: one module per question; keyword-only, typed, aggregating in SQL.

Each returns a chart-ready series (`{"labels": [...], "datasets": [...]}`, see
`dashboard.metrics.series`) or an iterable of row dicts; none renders or knows HTTP.
"""

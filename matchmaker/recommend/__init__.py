"""Recommendation engine: a pure library (no Flask, no ORM).

Takes plain profiles (``texts``), an ``Embedder`` and optionally persisted indexes; returns ids,
scores and structured reasons. ``services/recommendations.py`` is the only bridge to the database.
"""

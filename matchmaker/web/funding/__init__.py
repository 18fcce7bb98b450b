"""Funding pages: asks, pitches, the deal flow and pipeline."""

"""Recommendations: the bridge to the engine, its index lifecycle, evaluation and the pathway."""

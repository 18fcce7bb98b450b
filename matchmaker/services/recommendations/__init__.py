"""Recommendations: the one bridge to the engine, its index lifecycle, evaluation and the pathway.
"""

"""Funding: asks and pitches, investor fit, the deal flow, introductions, pitch meetings and
messages.
"""

"""The makerspace operator: monitoring, policies, subsidies, evaluation, disclosure, imports,
moderation.
"""

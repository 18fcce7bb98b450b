"""The operator console: monitoring, policies, subsidies, moderation, API tokens, the outbox."""

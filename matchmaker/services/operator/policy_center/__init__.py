"""Policy center: support measures, their rules, who is eligible, support records."""

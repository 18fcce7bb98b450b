"""Evaluation (年度评估、择优奖励): performance scores, post-subsidies and the annual report."""

"""Report jobs: the operator's annual evaluation report, generated off the web request."""

from __future__ import annotations

from matchmaker.extensions import db
from matchmaker.services.operator.evaluation import generated_reports


def generate_annual_report(report_id: int, generation: int) -> None:
    """Compute and store one requested annual report. A failure is stored on the report
    (shown to the operator with a retry button) and propagates to the worker's log; the queue
    does not retry it (the same figures would fail the same way; the operator retries)."""
    generated_reports.generate_report(db.session, report_id, generation)

"""Complaint jobs."""
from audit import audit_job
from database import write_transaction
from models import ComplaintReport, DomainError
from reports import generate_complaint_report, previous_month


def generate_monthly_complaint_report(now):
    """On the 1st, compile last month's complaint analysis (R-CMP-9); any other day, nothing."""
    if now.day != 1:
        return None
    month = previous_month(now.date())
    try:
        with write_transaction():
            report = generate_complaint_report(month, now)
            audit_job("generate_monthly_complaint_report", 1, now, text=str(report))
            return report
    except DomainError:  # already published: the report stands as it was sent
        return ComplaintReport.get(ComplaintReport.month == month)

"""The report for officials: a page per consultation and the same content as a PDF."""

from consult.reports.views import bp

__all__ = ["bp"]

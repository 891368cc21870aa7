"""The report documents of a run: HTML and Markdown, their figures, and every file ``--out`` writes."""

from sim.report.document import load_sensitivity, money, pct, pct_ci, write_outputs, write_report

__all__ = ["load_sensitivity", "money", "pct", "pct_ci", "write_outputs", "write_report"]

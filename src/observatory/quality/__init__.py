"""Data-quality checks a statistics office runs before a report (definitions are data)."""

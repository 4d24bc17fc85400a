"""Annual monitoring report in HTML and PDF."""

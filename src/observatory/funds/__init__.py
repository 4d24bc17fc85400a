"""Guidance-fund analytics: commitments, cash flows, performance and leverage."""

"""Designation eligibility: rule packs as data and an evaluator that explains itself."""

"""The data model and getting data in and out."""

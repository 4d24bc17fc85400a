"""Innovation Observatory: run and measure a city's innovation programme."""

__version__ = "0.1.0"

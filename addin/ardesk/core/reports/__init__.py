"""Reports: aging and the month's metrics."""

"""Plans, targets and progress: statuses and forecasts with named methods."""

"""Running one service of the distributed mode: health and readiness probes, Prometheus metrics, lifecycle."""

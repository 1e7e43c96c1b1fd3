"""What operators see: Prometheus metrics, structured logs and the audit log."""

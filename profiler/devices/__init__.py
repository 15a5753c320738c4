"""Device discovery and telemetry backends."""

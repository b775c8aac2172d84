"""The deterministic demo data set (`flask seed demo`), built through the services."""

"""Benchmarks a user can run: the RADIUS bridge against FreeRADIUS, Odoo at 1M accounts."""

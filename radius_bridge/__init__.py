"""radius_bridge: a standalone asyncio RADIUS server reading the zm_radius contract."""

__version__ = "0.1.0"

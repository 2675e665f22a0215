"""hoststand: the host stand of a restaurant, bridging the booking platform and the point of sale."""

__version__ = "0.1.0"

"""dln-regen: critical points of deep linear networks by multiregeneration."""

__version__ = "0.1.0"

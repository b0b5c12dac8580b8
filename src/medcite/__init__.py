"""medcite: evidence-cited medical answers, self-hosted."""

__version__ = "0.1.0"

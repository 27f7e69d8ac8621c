"""tao-tui: a terminal wizard for NVIDIA TAO Toolkit."""

__version__ = "0.1.0"

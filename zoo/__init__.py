"""zoo: one Transformer backbone for images, text, audio and video, trained by recipes."""

__version__ = "0.1.0"

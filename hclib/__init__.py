"""hclib: the machinery behind the book *Human Computing in AI* (hcbook)."""
__version__ = "0.1.0"

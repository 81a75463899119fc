"""Models of this part of governance."""

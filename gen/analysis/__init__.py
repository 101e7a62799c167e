"""Dataset-wide measurements the site needs, computed from the committed models."""

"""Dataset loading, splitting and subset selection."""

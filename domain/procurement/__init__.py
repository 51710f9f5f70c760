"""The procurement business area (issue #3)."""

"""The service business area (issue #3)."""

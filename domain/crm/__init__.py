"""Customers: who we sell to, on what terms."""

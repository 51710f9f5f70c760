"""Notifications: a transactional mail outbox (sent by a job after commit, never inside a step)."""

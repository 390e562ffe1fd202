"""Moderation: queues, policies, flags, watched words, sanctions and the log."""

"""Facilitator tools: activities, announcements, live sessions, resources, and more."""

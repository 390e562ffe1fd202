"""Tests for spaces, memberships, invitations and join requests."""

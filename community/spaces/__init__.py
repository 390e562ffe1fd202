"""Spaces: closed groups, memberships, invitations, join requests and agreements."""

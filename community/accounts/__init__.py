"""Accounts: users, sign-up and sign-in, profile, personal API tokens."""

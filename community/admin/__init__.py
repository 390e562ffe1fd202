"""Admin: site rules, user management and the audit log."""

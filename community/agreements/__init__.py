"""Confidentiality agreements: the site baseline and each space's, versioned and accepted."""

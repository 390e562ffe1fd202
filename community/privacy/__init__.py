"""Privacy: retention purge, own-data export, erasure and e-mail notifications."""

"""Realtime: the event outbox and, later, live delivery over Socket.IO."""

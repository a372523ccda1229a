"""Outbox delivery: the worker that sends queued messages at each platform's pace, exactly once per message."""

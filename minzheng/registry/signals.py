"""Registry events other apps react to (so the registry never imports them)."""

from django.dispatch import Signal

# Sent inside the recording transaction with ``person``, ``on`` (the date) and ``actor``.
person_died = Signal()

"""Web tests share the two-county world (tests/world.py)."""

from tests.world import login, world  # noqa: F401

"""Persistence: SQLModel tables, the unit of work per turn, Alembic migrations."""

from storage.database import Database, OutboxItem
from storage.turn import ClientSnapshot, DialogSnapshot, GoalView, Turn

__all__ = ["ClientSnapshot", "Database", "DialogSnapshot", "GoalView", "OutboxItem", "Turn"]

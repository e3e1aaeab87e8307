"""Persistence: SQLModel tables, the unit of work per turn, Alembic migrations."""

from storage import review_models  # noqa: F401  (registers the dashboard tables)
from storage.database import Database, OutboxItem
from storage.turn import ClientSnapshot, DialogSnapshot, GoalView, Turn

__all__ = ["ClientSnapshot", "Database", "DialogSnapshot", "GoalView", "OutboxItem", "Turn"]

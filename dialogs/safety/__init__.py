"""Safety first: the screen that reads every client text, the resources by country, and the
way a hit moves the client into the safety flow from wherever they were."""

from dialogs.safety.screen import CRISIS, Category, ScreenResult, normalise, screen

__all__ = ["CRISIS", "Category", "ScreenResult", "normalise", "screen"]

"""The counselors' review dashboard: FastAPI, server-rendered Jinja2, no front-end build."""

from review.app import create_app
from review.config import ReviewSettings

__all__ = ["ReviewSettings", "create_app"]

"""The counselors' review dashboard: FastAPI, server-rendered Jinja2, no front-end build.

The app is `review.app.create_app`; it is imported only where it is served, so the bot's own
commands start without loading FastAPI."""

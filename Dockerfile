# Build a wheel in one stage, install it into a slim image in the next.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY prompts ./prompts
COPY review ./review
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ALONGSIDE_DATABASE_URL=sqlite:////data/alongside.db
RUN useradd --create-home --uid 10001 alongside \
    && mkdir /data && chown alongside /data
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
USER alongside
WORKDIR /data
VOLUME /data
# Migrations first, then the bot (set TELEGRAM_BOT_TOKEN; without it, run with -it to chat).
CMD ["sh", "-c", "alongside migrate && exec alongside run"]

"""Adapters (Telegram, terminal), the command line, and the wiring between them."""

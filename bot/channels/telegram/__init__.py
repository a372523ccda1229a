"""The Telegram channel (aiogram 3): rendering and sending replies, turning updates into `Incoming`, running."""

"""The Telegram front end (python-telegram-bot, long polling): the command language from allowlisted chats.

The bot loads on first use, so reading ``TelegramSettings`` with the configuration does not import the library.
"""

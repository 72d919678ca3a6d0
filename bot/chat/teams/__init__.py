"""Microsoft Teams, being built: its mention cards and the bot's sign-in. Not yet a chat platform
(it is not in `bot.platforms.KEYS`); its package needs the `teams` extra (requirements-teams.txt)."""

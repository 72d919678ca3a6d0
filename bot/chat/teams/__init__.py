"""Microsoft Teams, being built: its mention cards, the bot's sign-in and the SDK's runtime. Not yet a chat
platform (it is not in `bot.platforms.KEYS`); its package needs the `teams` extra (requirements-teams.txt)."""

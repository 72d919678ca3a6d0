"""Microsoft Teams, being built: its mention cards, the bot's sign-in, the SDK's runtime and the channel
it learns at install. Not yet a chat platform (it is not in `bot.platforms.KEYS`); its package needs the
`teams` extra (requirements-teams.txt)."""

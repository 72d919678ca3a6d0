"""Microsoft Teams, being built: its mention cards and reports, the bot's sign-in, the SDK's runtime (with
its retries) and the channel it learns at install. Not yet a chat platform (it is not in
`bot.platforms.KEYS`); its package needs the `teams` extra (requirements-teams.txt)."""

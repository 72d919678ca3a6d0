"""Sources of mentions: one module per network, each producing `Mention`s."""

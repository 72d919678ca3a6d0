"""Chat platforms: the only modules that import a chat SDK."""

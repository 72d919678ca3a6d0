"""Listening Post: listens to social mentions and brings them into team chat."""

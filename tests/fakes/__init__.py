"""Fake network servers for the tests, speaking real HTTP on 127.0.0.1."""

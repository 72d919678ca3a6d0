"""The `/listen` slash command: parses the sub-command and answers in plain text."""
from __future__ import annotations

HELP = (
    "*Listening Post* — what you can ask:\n"
    "• `/listen help` — this message\n"
    "• `/listen status` — how many mentions are waiting and when each source last answered\n"
    "Stats (`stats`, `queue`, `leaders`) are coming in the next release."
)
USAGE = "I don't know `/listen {word}`. Try `/listen help` for what I can do."


def listen(text: str, status_lines: list[str]) -> str:
    """Answer `/listen <text>`; `status_lines` is what `/listen status` reports."""
    words = text.strip().split()
    command = words[0].lower() if words else "help"
    if command == "help":
        return HELP
    if command == "status":
        return "\n".join(status_lines) or "Nothing to report yet: no poll has run."
    return USAGE.format(word=command.replace("`", "'")[:40])

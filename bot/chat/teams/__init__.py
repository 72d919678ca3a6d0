"""Microsoft Teams: the platform's declaration here; cards, the SDK's runtime, the card sink and the listeners in its modules."""

from bot.chat.teams.platform import PLATFORM

__all__ = ["PLATFORM"]

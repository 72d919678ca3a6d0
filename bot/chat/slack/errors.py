"""Slack's error codes: in words that tell the owner what to do, and those that refuse a card's content."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

# Slack refused the card itself: sending it again unchanged cannot work.
CARD_ERRORS = {
    "invalid_blocks",
    "invalid_blocks_format",
    "invalid_arguments",
    "msg_too_long",
    "msg_blocks_too_long",
    "too_many_attachments",
    "invalid_attachments",
    "no_text",
    "markdown_text_conflict",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
    "metadata_must_be_sent_from_app",
}
_TOKEN_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}


def explain(error: str, channel: str = "", needed: str = "") -> str:
    """Slack's error code, in words that say what to do."""
    if error in _TOKEN_ERRORS:
        return f"Slack rejected SLACK_BOT_TOKEN ({error}). Reinstall the app to your workspace and copy the Bot User OAuth Token (xoxb-…) again."
    if error == "channel_not_found":
        return f"Slack has no channel {channel} that the bot can see. SLACK_CHANNEL must be the channel ID, like C0123456789 (channel name → About, at the bottom)."
    if error == "not_in_channel":
        return f"The bot is not in channel {channel}. In that channel, type: /invite @Listening Post"
    if error == "is_archived":
        return f"Channel {channel} is archived. Unarchive it or set SLACK_CHANNEL to another channel."
    if error == "missing_scope":
        return f"The Slack app is missing a permission ({needed or 'see manifest.yml'}). Add it under OAuth & Permissions, then reinstall the app."
    if error == "ratelimited":
        return "Slack is rate limiting the bot; the remaining cards go out on the next poll."
    return f"Slack answered '{error}'."


def describe(exc: SlackApiError, channel: str = "") -> str:
    """What a failed Web API call means for the owner, whatever the call was."""
    status = exc.response.status_code
    if status >= 500 or not isinstance(exc.response.data, dict):
        return f"Slack is having trouble (HTTP {status})."
    return explain(exc.response.get("error") or f"HTTP {status}", channel, exc.response.get("needed", ""))

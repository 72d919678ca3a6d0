"""The database's schema, as sqlite-utils migrations applied in order when it is opened: never edit one, add the next."""

from __future__ import annotations

import uuid

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("listening_post")


@migrations()
def m001_core_tables(db: sqlite_utils.Database) -> None:
    db.table("mentions").create(
        {
            "id": str,
            "source": str,
            "external_id": str,
            "author_handle": str,
            "author_name": str,
            "author_followers": int,
            "text": str,
            "url": str,
            "lang": str,
            "created_at": str,
            "in_reply_to": str,
            "raw": str,
            "sentiment": float,
            "label": str,
            "intent": str,
            "urgency": str,
            "suggestions": str,
            "spam": int,
            "scored": int,
            "status": str,
            "fetched_at": str,
            "chat_platform": str,
            "chat_channel": str,
            "chat_message_id": str,
            "posted_at": str,
        },
        pk="id",
        not_null={"source", "external_id", "text", "created_at", "status", "fetched_at"},
        defaults={"status": "new", "spam": 0, "scored": 1},
    )
    # Cards still to post, oldest first: the query every poll cycle runs.
    db.table("mentions").create_index(["posted_at", "status", "created_at"], index_name="idx_mentions_unposted")
    db.table("mentions").create_index(["created_at"], index_name="idx_mentions_created")
    db.table("events").create(
        {
            "id": int,
            "mention_id": str,
            "actor_id": str,
            "actor_name": str,
            "action": str,
            "via": str,
            "reply_text": str,
            "reply_external_id": str,
            "at": str,
        },
        pk="id",
        not_null={"mention_id", "action", "at"},
        foreign_keys=[("mention_id", "mentions", "id")],
    )
    db.table("events").create_index(["mention_id", "at"], index_name="idx_events_mention")
    db.table("cursors").create(
        {"source": str, "key": str, "value": str, "updated_at": str},
        pk=("source", "key"),
        not_null={"value", "updated_at"},
    )
    db.table("source_status").create(
        {
            "source": str,
            "last_success_at": str,
            "last_error": str,
            "last_error_at": str,
            "retry_at": str,
        },
        pk="source",
    )


@migrations()
def m002_responses(db: sqlite_utils.Database) -> None:
    # The current handling of each mention, kept beside it so a card redraws from one row.
    # The events table stays the append-only record of who did what.
    mentions = db.table("mentions")
    for column, kind in [
        ("actor_id", str),
        ("actor_name", str),
        ("status_at", str),
        ("status_note", str),
        ("reply_via", str),
        ("reply_external_id", str),
        ("reply_url", str),
        ("approved_by", str),
        ("sending_by", str),
        ("sending_at", str),
        # Set once and never reset, so reopening never changes a mention's first response.
        ("first_action_at", str),
        ("first_replied_at", str),
        ("response_secs", int),
    ]:
        mentions.add_column(column, kind)
    db.table("events").add_column("note", str)
    # Finding the mention a network reply answers.
    mentions.create_index(["source", "external_id"], index_name="idx_mentions_external")
    db.table("events").create_index(["reply_external_id"], index_name="idx_events_reply")


@migrations()
def m003_stats(db: sqlite_utils.Database) -> None:
    mentions = db.table("mentions")
    mentions.add_column("pickup_secs", int)  # posted in chat → first action by a person
    mentions.add_column("response_open_secs", int)  # response time counting business hours only
    mentions.add_column("first_replier_id", str)
    mentions.add_column("first_replier_name", str)
    # Every stats report is a range scan of this one covering index, never a walk over the table.
    mentions.create_index(
        [
            "created_at",
            "status",
            "label",
            "source",
            "response_secs",
            "response_open_secs",
            "pickup_secs",
            "first_replier_id",
        ],
        index_name="idx_mentions_stats",
    )
    mentions.create_index(["status", "created_at"], index_name="idx_mentions_queue")  # waiting, oldest first
    db.table("meta").create({"key": str, "value": str}, pk="key")


@migrations()
def m004_daily_stats(db: sqlite_utils.Database) -> None:
    # Reports add up one cached summary per local day; a day is summarised again only after
    # a mention created that day changed (the `changes` table says when).
    db.table("stats_days").create(
        {
            "day": str,
            "signature": str,
            "computed_at": str,
            "received": int,
            "replied": int,
            "dismissed": int,
            "waiting": int,
        },
        pk="day",
    )
    # kind: label, source (counts), claimed (per person, still open), replier (names of who replied)
    db.table("stats_day_counts").create(
        {"day": str, "kind": str, "key": str, "name": str, "n": int}, pk=("day", "kind", "key")
    )
    # metric: response, response_open, pickup (key ''), person (key = person id): a histogram per day
    db.table("stats_day_buckets").create(
        {"day": str, "metric": str, "key": str, "bucket": int, "n": int}, pk=("day", "metric", "key", "bucket")
    )
    db.table("changes").create({"utc_day": str, "changed_at": str}, pk="utc_day")
    # Replies whose business-hours time is not computed yet: a tiny index, however big the table.
    db.execute(
        "create index idx_mentions_open_missing on mentions (created_at) "
        "where response_secs is not null and response_open_secs is null"
    )


@migrations()
def m005_reminders(db: sqlite_utils.Database) -> None:
    db.table("mentions").add_column("reminded_at", str)  # set once: a mention is nudged at most once
    # Mentions that may still need a nudge: only the waiting, un-nudged ones, however big the table.
    db.execute(
        "create index idx_mentions_unreminded on mentions (created_at) "
        "where reminded_at is null and status in ('new', 'claimed', 'pending')"
    )
    # On an upgrade, a backlog older than a day is not nudged all at once: /listen queue lists it.
    db.execute(
        "update mentions set reminded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
        "where status in ('new', 'claimed', 'pending') and created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')"
    )


@migrations()
def m006_duplicates(db: sqlite_utils.Database) -> None:
    mentions = db.table("mentions")
    mentions.add_column("fingerprint", str)  # the text, normalised: a cross-post has the same one
    mentions.add_column("duplicate_of", str)  # the mention whose card this one joins
    mentions.add_column("duplicate_noted_at", str)  # when the card's thread was told about it
    mentions.create_index(["fingerprint", "created_at"], index_name="idx_mentions_fingerprint")
    db.execute(
        "create index idx_mentions_duplicates on mentions (duplicate_of) "
        "where duplicate_of is not null and duplicate_noted_at is null"
    )


@migrations()
def m007_safe_posting(db: sqlite_utils.Database) -> None:
    mentions = db.table("mentions")
    # Set just before a card is sent and cleared when the chat platform confirms it: a card with
    # this mark may already be in the channel, so it is looked for there before it is sent again.
    mentions.add_column("post_attempted_at", str)
    # A card the chat platform refused for good, even in its smallest form: set aside, with why.
    mentions.add_column("post_refused", str)
    db.execute("drop index if exists idx_mentions_unposted")
    db.execute(
        "create index idx_mentions_unposted on mentions (created_at, id) "
        "where posted_at is null and status != 'held' and post_refused is null"
    )
    # Who made this database: a file replaced under a running service is told apart from it.
    db.execute("insert or ignore into meta (key, value) values ('database_id', ?)", [uuid.uuid4().hex])


@migrations()
def m008_suggestion_use(db: sqlite_utils.Database) -> None:
    # For a reply written in the form: which suggestion it started from, and whether it was sent
    # as suggested (as_is), changed (edited) or replaced (own). Behind "do the suggestions help?".
    db.table("events").add_column("suggestion", int)
    db.table("events").add_column("suggestion_use", str)
    db.execute("create index idx_events_suggestion_use on events (at, suggestion_use) where suggestion_use is not null")


@migrations()
def m009_team_replies(db: sqlite_utils.Database) -> None:
    # What the team actually sent, with the mention it answered: found again by the words of a new
    # mention (FTS5, bm25), so suggestions learn from the team. Kept in step by sqlite-utils' triggers.
    db.table("team_replies").create(
        {
            "id": int,
            "mention_id": str,
            "source": str,
            "intent": str,
            "label": str,
            "mention_text": str,
            "author_handle": str,
            "author_name": str,
            "reply_text": str,
            "replier": str,
            "replied_at": str,
        },
        pk="id",
    )
    db.table("team_replies").enable_fts(["mention_text"], fts_version="FTS5", create_triggers=True, tokenize="porter")
    db.execute(
        "insert into team_replies (mention_id, source, intent, label, mention_text, author_handle, author_name, reply_text, "
        "replier, replied_at) select m.id, m.source, m.intent, m.label, m.text, coalesce(m.author_handle, ''), "
        "coalesce(m.author_name, ''), e.reply_text, coalesce(e.actor_name, ''), e.at from events e join mentions m "
        "on m.id = e.mention_id where e.action = 'replied' and coalesce(e.reply_text, '') != '' order by e.id"
    )
    # Where the first suggested reply came from ("like Maria's reply on 3 Nov", "from your facts: Sunday hours").
    db.table("mentions").add_column("suggestion_note", str)


@migrations()
def m010_harm(db: sqlite_utils.Database) -> None:
    # The kind of harm a complaint tells of (health, allergy, injury, safety, legal, money), so a card
    # redrawn after an action still says why it is urgent.
    db.table("mentions").add_column("harm", str)


@migrations()
def m011_cards(db: sqlite_utils.Database) -> None:
    # Where each mention's cards are, one row per chat platform, so a mention can have a card on
    # several. The cards already posted move here from the mention's own chat_* columns, which are
    # no longer read or written (kept, as SQLite drops a column only by copying the whole table).
    db.table("cards").create(
        {"mention_id": str, "platform": str, "channel": str, "message_id": str, "posted_at": str},
        pk=("mention_id", "platform"),
        not_null={"channel", "message_id"},
    )
    db.execute(
        "insert into cards (mention_id, platform, channel, message_id, posted_at) "
        "select id, coalesce(chat_platform, 'slack'), chat_channel, chat_message_id, posted_at from mentions "
        "where chat_message_id is not null and chat_channel is not null"
    )
    # A Listening Post of the version before, still running on this database during an upgrade, keeps
    # writing a card's place in those columns: it reaches the cards table too, so no card is lost.
    db.execute(
        "create trigger cards_from_old_columns after update of chat_message_id on mentions "
        "when new.chat_message_id is not null and new.chat_channel is not null begin "
        "insert or ignore into cards (mention_id, platform, channel, message_id, posted_at) values "
        "(new.id, coalesce(new.chat_platform, 'slack'), new.chat_channel, new.chat_message_id, new.posted_at); end"
    )


@migrations()
def m012_chat_places(db: sqlite_utils.Database) -> None:
    # Where a chat platform that has no channel setting posts: Teams tells the bot its team's
    # channel (and the address to post there) when the bot is added to the team.
    db.table("chat_places").create(
        {
            "platform": str,
            "channel": str,
            "address": str,
            "team": str,
            "name": str,
            "learned_at": str,
            "left_at": str,
        },
        pk=("platform", "channel"),
        not_null={"address", "learned_at"},
    )


@migrations()
def m013_chat_place_groups(db: sqlite_utils.Database) -> None:
    # Teams: the team's Microsoft 365 group id, by which Microsoft Graph reads the channel (to find a
    # card whose posting Teams never confirmed).
    db.table("chat_places").add_column("group_id", str)


@migrations()
def m014_card_queue(db: sqlite_utils.Database) -> None:
    # More than one chat platform (Slack and Teams at once): a mention waits for its card on each.
    # A row per mention and platform until its card is there: `attempted_at` marks a post the
    # platform never confirmed, `refused` a card it will never take. `chat_platforms` holds the
    # platforms that have posted from this database; a new mention is queued for each of them.
    # (mentions.post_attempted_at and post_refused held this for the one platform there was; the
    # first platform to join takes them over.)
    db.table("card_queue").create(
        {"mention_id": str, "platform": str, "queued_at": str, "attempted_at": str, "refused": str},
        pk=("mention_id", "platform"),
        not_null={"queued_at"},
    )
    db.table("chat_platforms").create({"platform": str, "joined_at": str}, pk="platform", not_null={"joined_at"})


@migrations()
def m015_ratings(db: sqlite_utils.Database) -> None:
    # A review's stars (Google reviews: 1 to 5), shown on its card and weighed in triage.
    db.table("mentions").add_column("rating", int)

"""Does triage miss a customer? Intent, needs-an-answer and urgency on mentions of small businesses.

Development set: bench/dev_mentions.csv, 229 mentions of cafés, salons, shops and trades written
for this bench (kept apart from the named cases in tests/test_intent_rules.py), each labelled
with its intent, whether it needs an answer, its sentiment and, for health, allergy, injury,
safety, legal and money-taken complaints, which of those it is.

Optional second, general set: the hand-labelled airline tweets in ../shared/data/labelled/
(sentiment only, no intent: a negative tweet is taken as a complaint that needs an answer).
Without that folder the bench says so and skips it.

Also times triage against raw TextBlob sentiment in the same run. Last line: JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textblob import TextBlob  # noqa: E402
from triage_quality import macro_f1  # noqa: E402  (bench/triage_quality.py)

from bot.config import DEFAULT_TEMPLATES  # noqa: E402
from bot.models import Mention  # noqa: E402
from bot.replies import ReplyTemplates  # noqa: E402
from bot.triage import Triager  # noqa: E402

DEV = ROOT / "bench" / "dev_mentions.csv"
AIRLINE = ROOT.parent / "shared" / "data" / "labelled" / "airline_tweets.csv"
INTENTS = ("complaint", "question", "praise", "other")
LABELS = ("negative", "neutral", "positive")


def mention(text: str, followers: int = 120) -> Mention:
    return Mention(
        "x",
        "1",
        "maria_eats",
        "Maria López",
        text,
        "https://x.com/maria_eats/status/1",
        datetime.now(UTC),
        author_followers=followers,
        lang="en",
    )


def needs_answer(t) -> bool:
    return t.intent in ("complaint", "question") or t.urgency in ("normal", "high")


def business(triager: Triager, rows: list[dict], careful: set[str], show: int) -> dict:
    results = [triager.triage(mention(r["text"])) for r in rows]
    gold = [r["intent"] for r in rows]
    asked = [(r, t) for r, t in zip(rows, results, strict=False) if r["intent"] in ("complaint", "question")]
    chat = [(r, t) for r, t in zip(rows, results, strict=False) if r["intent"] in ("praise", "other")]
    serious = [(r, t) for r, t in zip(rows, results, strict=False) if r["serious"]]
    missed = [r["text"] for r, t in asked if not needs_answer(t)]
    wrong = [(r["intent"], t.intent, r["text"]) for r, t in zip(rows, results, strict=False) if r["intent"] != t.intent]
    for g, p, text in wrong[:show]:
        print(f"  {g:>9} read as {p:<9} {text}")
    confusion = Counter((r["intent"], t.intent) for r, t in zip(rows, results, strict=False))
    return {
        "mentions": len(rows),
        "intent_accuracy": round(sum(g == t.intent for g, t in zip(gold, results, strict=False)) / len(rows), 4),
        "intent_macro_f1": round(macro_f1(gold, [t.intent for t in results], INTENTS), 4),
        "needs_answer_recall": round(1 - len(missed) / len(asked), 4),
        "missed": missed,
        "chat_marked_high": round(sum(t.urgency == "high" for _, t in chat) / len(chat), 4),
        "chat_marked_needing_answer": round(sum(needs_answer(t) for _, t in chat) / len(chat), 4),
        "serious_high": f"{sum(t.urgency == 'high' for _, t in serious)}/{len(serious)}",
        "serious_careful_first": f"{sum(bool(t.suggestions) and t.suggestions[0] in careful for _, t in serious)}/{len(serious)}",
        "careful_for_non_serious": sum(
            bool(t.suggestions) and t.suggestions[0] in careful
            for r, t in zip(rows, results, strict=False)
            if not r["serious"]
        ),
        "sentiment_macro_f1": round(macro_f1([r["sentiment"] for r in rows], [t.label for t in results], LABELS), 4),
        "confusion": {f"{g}->{p}": n for (g, p), n in sorted(confusion.items()) if g != p},
    }


def airline(triager: Triager, path: Path) -> dict:
    seen, rows = set(), []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["tweet_id"] not in seen:
                seen.add(row["tweet_id"])
                rows.append((row["text"], row["airline_sentiment"]))
    results = [(label, triager.triage(mention(text))) for text, label in rows]
    negative = [t for label, t in results if label == "negative"]
    positive = [t for label, t in results if label == "positive"]
    return {
        "tweets": len(rows),
        "negative_needing_answer": round(sum(needs_answer(t) for t in negative) / len(negative), 4),
        "positive_marked_high": round(sum(t.urgency == "high" for t in positive) / len(positive), 4),
        "positive_marked_needing_answer": round(sum(needs_answer(t) for t in positive) / len(positive), 4),
    }


def throughput(triager: Triager, texts: list[str], rounds: int) -> dict:
    """Mentions per second: the whole triage (sentiment, intent, urgency, suggestions) and raw
    TextBlob(text).sentiment, interleaved round by round so both see the same machine load."""
    mentions = [mention(t) for t in texts]
    best_triage = best_blob = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for m in mentions:
            triager.triage(m)
        best_triage = min(best_triage, time.perf_counter() - start)
        start = time.perf_counter()
        for t in texts:
            TextBlob(t).sentiment.polarity  # noqa: B018
        best_blob = min(best_blob, time.perf_counter() - start)
    triage_rate, blob_rate = len(texts) / best_triage, len(texts) / best_blob
    return {
        "triage_per_s": round(triage_rate),
        "textblob_per_s": round(blob_rate),
        "ratio": round(triage_rate / blob_rate, 3),
        "cores": os.cpu_count(),
    }


def careful_replies(triager: Triager, rows: list[dict]) -> set[str]:
    """Every careful reply (the templates' [serious] lists) as it would be filled for these mentions."""
    out: set[str] = set()
    for r in rows:
        m = mention(r["text"])
        for kind in triager.templates.serious:
            out.update(
                triager.templates.suggest(
                    intent="complaint",
                    handle=m.author_handle,
                    name=m.author_name,
                    text=m.text,
                    business=triager.business,
                    network="x",
                    serious=kind,
                )
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        type=Path,
        default=DEV,
        help="the labelled mentions (default: the development set; "
        "bench/heldout_mentions.csv was written apart from the rules)",
    )
    parser.add_argument("--airline", type=Path, default=AIRLINE)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--show", type=int, default=40, help="how many misread mentions to print")
    args = parser.parse_args()
    triager = Triager(ReplyTemplates.load(DEFAULT_TEMPLATES), business="Bramble Café")
    with args.set.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    result: dict = {"business": business(triager, rows, careful_replies(triager, rows), args.show)}
    print(f"business mentions ({args.set.name}): {json.dumps(result['business'], ensure_ascii=False)}")
    texts = [r["text"] for r in rows]
    if args.airline.is_file():
        result["airline"] = airline(triager, args.airline)
        print(f"airline tweets: {json.dumps(result['airline'])}")
        with args.airline.open(newline="", encoding="utf-8") as f:
            texts = [row["text"] for row in csv.DictReader(f)][:2000]
    else:
        print(
            f"airline tweets not found at {args.airline}: the labelled data sits in ../shared/ beside a "
            "development checkout only; skipping the general set (throughput is timed on the development set)."
        )
    result["throughput"] = throughput(triager, texts, args.rounds)
    print(f"throughput ({len(texts)} texts, best of {args.rounds}): {json.dumps(result['throughput'])}")
    summary = {k: v for k, v in result["business"].items() if k not in ("missed", "confusion")}
    summary.update({f"airline_{k}": v for k, v in result.get("airline", {}).items()})
    summary.update(result["throughput"])
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

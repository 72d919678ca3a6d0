"""Sentiment quality on real labelled tweets: plain TextBlob, plain VADER and Listening Post's blend.

Reads ../shared/data/labelled/airline_tweets.csv (not shipped in the repository: its licence
is non-commercial). Also scores the small business mentions in tests/fixtures/business_labelled.csv
(cafés, salons, shops), written for this project, to check the blend generalises.
Last line of output: JSON with the macro-F1 figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textblob import TextBlob  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from bot.config import DEFAULT_TEMPLATES  # noqa: E402
from bot.models import Mention  # noqa: E402
from bot.replies import ReplyTemplates  # noqa: E402
from bot.triage import Triager  # noqa: E402

LABELS = ("negative", "neutral", "positive")
AIRLINE = ROOT.parent / "shared" / "data" / "labelled" / "airline_tweets.csv"
BUSINESS = ROOT / "tests" / "fixtures" / "business_labelled.csv"


def three_way(value: float, threshold_neg: float, threshold_pos: float) -> str:
    return "negative" if value < threshold_neg else "positive" if value > threshold_pos else "neutral"


def macro_f1(gold: list[str], predicted: list[str], labels) -> float:
    """The mean over `labels` of each label's F1 (every label counts the same, however rare)."""
    f1s = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=False))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=False))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=False))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(f1s) / len(f1s)


def metrics(gold: list[str], predicted: list[str]) -> dict:
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=False)) / len(gold)
    return {"accuracy": round(accuracy, 4), "macro_f1": round(macro_f1(gold, predicted, LABELS), 4)}


def card_label(triager: Triager, text: str) -> str:
    """The mood a card shows: the blend, then the complaint rules (a complaint is never neutral)."""
    mention = Mention("x", "1", "someone", "Someone", text, "", datetime.now(UTC), lang="en")
    return triager.triage(mention).label


def evaluate(rows: list[tuple[str, str]]) -> dict:
    vader = SentimentIntensityAnalyzer()
    triager = Triager(ReplyTemplates.load(DEFAULT_TEMPLATES))
    gold = [label for _, label in rows]
    texts = [text for text, _ in rows]
    return {
        "textblob": metrics(gold, [three_way(TextBlob(t).sentiment.polarity, -0.1, 0.1) for t in texts]),
        "vader": metrics(gold, [three_way(vader.polarity_scores(t)["compound"], -0.05, 0.05) for t in texts]),
        "listening_post": metrics(gold, [card_label(triager, t) for t in texts]),
    }


def read_airline(path: Path) -> list[tuple[str, str]]:
    seen, rows = set(), []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["tweet_id"] in seen:  # the data set repeats 155 ids
                continue
            seen.add(row["tweet_id"])
            rows.append((row["text"], row["airline_sentiment"]))
    return rows


def read_business(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [(row["text"], row["label"]) for row in csv.DictReader(f)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airline", type=Path, default=AIRLINE)
    args = parser.parse_args()
    result: dict = {}
    business = evaluate(read_business(BUSINESS))
    print(f"business mentions ({BUSINESS.name}): {json.dumps(business)}")
    result["business"] = {k: v["macro_f1"] for k, v in business.items()}
    if args.airline.is_file():
        rows = read_airline(args.airline)
        airline = evaluate(rows)
        print(f"airline tweets ({len(rows)} unique): {json.dumps(airline)}")
        result.update({f"{k}_macro_f1": v["macro_f1"] for k, v in airline.items()})
        result.update({f"{k}_accuracy": v["accuracy"] for k, v in airline.items()})
        best_plain = max(airline["textblob"]["macro_f1"], airline["vader"]["macro_f1"])
        result["gain_over_best_plain"] = round(airline["listening_post"]["macro_f1"] - best_plain, 4)
    else:
        print(
            f"airline tweets not found at {args.airline}: the labelled data sits in ../shared/ "
            "beside a development checkout only; skipping that comparison."
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Train the learned readers of intent, mood, harm and audience (bot/word_model.json) from the labelled mention sets in bench/.

    python bench/train_word_model.py                      # train on TRAINING_SETS, write the models
    python bench/train_word_model.py --leave-out FILE     # train without FILE and score it (nothing written)

Multinomial logistic regression over `bot.word_model.features`, fitted with full-batch gradient
descent from zero weights, so the same sets always give the same models. numpy is needed here
only; the service reads the JSON with plain Python.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from intent_quality import business, careful_replies  # noqa: E402  (bench/intent_quality.py)

from bot import word_model  # noqa: E402
from bot.config import DEFAULT_TEMPLATES  # noqa: E402
from bot.replies import ReplyTemplates  # noqa: E402
from bot.triage import Triager  # noqa: E402
from bot.word_model import AUDIENCES, HARMS, INTENTS, MOODS, Reader, features  # noqa: E402

BENCH = ROOT / "bench"
# Every labelled set but heldout3_mentions.csv, kept from the models and the rules alike to measure them.
TRAINING_SETS = [
    "dev_mentions.csv",
    "heldout_mentions.csv",
    "dev_broad_uk_ie.csv",
    "dev_broad_us_au.csv",
    "heldout2_mentions.csv",
    "train_a.csv",
    "train_b.csv",
]
MIN_COUNT = 2  # a feature seen in one post only is that post's, not the language's
L2 = 0.002
EPOCHS = 300
STEP = 2.0


def read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fit(texts: list[str], answers: list[str], labels: tuple[str, ...]) -> dict:
    """One table as JSON: its labels, bias and each kept feature's weight per label."""
    counts = Counter(f for text in texts for f in features(text))
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= MIN_COUNT))}
    x = np.zeros((len(texts), len(vocab) + 1))
    x[:, -1] = 1.0
    for row, text in enumerate(texts):
        for f in features(text):
            if f in vocab:
                x[row, vocab[f]] = 1.0
    y = np.eye(len(labels))[[labels.index(a) for a in answers]]
    w = np.zeros((x.shape[1], len(labels)))
    for _ in range(EPOCHS):
        z = x @ w
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        w -= STEP * (x.T @ (p - y) / len(texts) + L2 * w)
    return {
        "labels": list(labels),
        "bias": [round(float(v), 4) for v in w[-1]],
        "weights": {f: [round(float(v), 4) for v in w[i]] for f, i in vocab.items()},
    }


def train(rows: list[dict]) -> dict:
    texts = [r["text"] for r in rows]
    questions = [r for r in rows if r["intent"] == "question"]
    return {
        "intent": fit(texts, [r["intent"] for r in rows], INTENTS),
        "mood": fit(texts, [r["sentiment"] for r in rows], MOODS),
        "harm": fit(texts, [r["serious"] or "none" for r in rows], HARMS),
        # whom a question asks: a question that needs no answer from us is put to other people
        "audience": fit(
            [r["text"] for r in questions],
            ["others" if r["needs_answer"] == "no" else "business" for r in questions],
            AUDIENCES,
        ),
    }


class RulesOnly(Reader):
    """The rules and lexicons as they are: what triage read before the models."""

    def intent(self, text: str, rules_intent: str, decided_by: str) -> str:
        return rules_intent

    def mood(self, text: str, lexicon_mood: str) -> str:
        return lexicon_mood

    def harm(self, text: str, rules_kind: str | None) -> str | None:
        return rules_kind

    def to_others(self, text: str, rules_say: bool) -> bool:
        return rules_say


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leave-out", type=Path, help="train without this set and score the models on it")
    args = parser.parse_args()
    left_out = args.leave_out.resolve() if args.leave_out else None
    sets = [BENCH / name for name in TRAINING_SETS if (BENCH / name).resolve() != left_out]
    rows = [r for path in sets for r in read(path)]
    models = train(rows)
    models["trained_on"] = {path.name: len(read(path)) for path in sets}
    if args.leave_out is None:
        word_model.MODEL_PATH.write_text(
            json.dumps(models, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        print(
            f"wrote {word_model.MODEL_PATH.relative_to(ROOT)}: {len(models['intent']['weights'])} intent and "
            f"{len(models['mood']['weights'])} mood, {len(models['harm']['weights'])} harm and "
            f"{len(models['audience']['weights'])} audience features from {len(rows)} mentions"
        )
        return 0
    # Score the models that never saw this set, beside the rules and lexicons alone, through the real triage.
    templates = ReplyTemplates.load(DEFAULT_TEMPLATES)
    held = read(args.leave_out)
    for name, reader in (("with the models", Reader(models)), ("rules alone", RulesOnly(models))):
        triager = Triager(templates, reader=reader)
        found = business(triager, held, careful_replies(triager, held), 0)
        print(
            f"{name:16} intent {found['intent_accuracy']:.3f}  needs-answer {found['needs_answer_recall']:.3f}  "
            f"sentiment F1 {found['sentiment_macro_f1']:.3f}  harm given careful replies "
            f"{found['serious_careful_first']} (and {found['careful_for_non_serious']} others)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How often the first suggestion on a card could be sent as it is (target ≥ 80 %).

    .venv/bin/python bench/sendable.py [--dump pairs.csv] [--show 20]

Every mention of the development set (`bench/dev_mentions.csv`: cafés, salons, shops and
trades, labelled with what the person wants) goes through the real triage as an X card would,
written by a rotating cast of display names: people, and accounts that are not one person
("Edinburgh Foodie", "BBC Scotland", "Mrs. Patel", "王芳"). Café questions have the café's facts.

Two gradings of the first suggestion:
- **checked**, by rules applied to every mention: there is one; it fits the post's real intent
  (no apology for praise, no "thanks for the mention" for a complaint, an answer or a request for
  details for a question, the careful reply for a complaint of harm); the name is the person's
  given name or none; nothing unfilled or awkward (", !", "there!", a space before a stop).
- **read**, by a person: `bench/sendable_grades.csv` holds suggestions read and graded by hand
  (yes / no and why). Suggestions the code no longer makes are reported as not yet read;
  `--dump` writes the pairs to grade.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from facts_answers import NOW, cafe_facts, frozen_clock  # noqa: E402  (bench/facts_answers.py: the café's facts)

from bot.config import DEFAULT_TEMPLATES  # noqa: E402
from bot.models import Mention  # noqa: E402
from bot.replies import ReplyTemplates  # noqa: E402
from bot.triage import Triager  # noqa: E402

DEV = ROOT / "bench" / "dev_mentions.csv"
GRADES = ROOT / "bench" / "sendable_grades.csv"
BUSINESSES = {"cafe": "Juniper Café", "salon": "Willow Hair Studio", "shop": "Fern & Co", "trade": "Hartley Plumbing"}
# (display name, handle, the given name a reply may use, or None when it must use none)
AUTHORS = [
    ("Maria López", "maria_eats", "Maria"),
    ("Edinburgh Foodie", "edinfoodie", None),
    ("Tom Baker", "tbaker", "Tom"),
    ("BBC Scotland", "bbcscotland", None),
    ("priya shah", "priya_s", "Priya"),
    ("Mrs. Patel", "mrspatel", None),
    ("Dr Sarah Jones", "drsj", "Sarah"),
    ("王芳", "wangfang", None),
    ("Aoife Byrne", "aoifeb", "Aoife"),
    ("The Daily Grind", "dailygrind", None),
    ("Kwame Mensah", "kwame_m", "Kwame"),
    ("maria_eats_88", "maria_eats_88", None),
    ("Chloé Martin", "chloem", "Chloé"),
    ("J. R. Smith", "jrsmith", None),
    ("Ben", "ben_h", "Ben"),
    ("Hexham Mums", "hexhammums", None),
]
# Unfilled places, stray spaces, and a word standing in for a name: "Thanks for the mention, there!"
AWKWARD = re.compile(r"\{|\}|\s[,.!?;:]|  |^[,.!?]|,\s*(there|Mr|Mrs|Ms|Dr|The)\b|\bHi[,!]\s*[,!.]|\.\.(?!\.)|!!")
FITS = {  # the real intent -> where a first suggestion may come from
    "complaint": {"complaint", "careful"},
    "question": {"question", "facts"},
    "praise": {"praise", "other"},
    "other": {"other", "praise"},
}


def triagers() -> dict[str, Triager]:
    templates = ReplyTemplates.load(DEFAULT_TEMPLATES)
    known = cafe_facts()
    return {kind: Triager(templates, name, known if kind == "cafe" else None) for kind, name in BUSINESSES.items()}


def careful(triager: Triager, mention: Mention) -> set[str]:
    """Every careful reply this mention could be given."""
    return {
        reply
        for kind in triager.templates.serious
        for reply in triager.templates.suggest(
            intent="complaint",
            handle=mention.author_handle,
            name=mention.author_name,
            text=mention.text,
            business=triager.business,
            network="x",
            serious=kind,
            count=50,
        )
    }


def origin(triager: Triager, mention: Mention, result, first: str) -> str:
    if result.note.startswith("📘"):
        return "facts"
    if first in careful(triager, mention):
        return "careful"
    return result.intent


def problems(row: dict, author: tuple, mention: Mention, triager: Triager) -> tuple[str, list[str], str]:
    result = triager.triage(mention)
    first = result.suggestions[0] if result.suggestions else ""
    if not first:
        return first, ["no suggestion"], ""
    came_from = origin(triager, mention, result, first)
    found = []
    if row["serious"] and came_from != "careful":
        found.append(f"a complaint of harm ({row['serious']}) without the careful reply")
    elif came_from not in FITS[row["intent"]] | ({"other"} if row["needs_answer"] == "no" else set()):
        found.append(f"a {came_from} reply to a {row['intent']}")
    name, handle, given = author
    words = set(re.findall(r"[^\W\d_]+", re.sub(r"(@|u/)\S+", " ", first)))  # addressing by @handle is right
    wrong = {
        w
        for w in set(re.findall(r"[^\W\d_]+", name)) - ({given} if given else set())
        if w in words and len(w) > 1 and w not in triager.business
    }
    if wrong:
        found.append(f"addressed as {', '.join(sorted(wrong))}")
    if AWKWARD.search(first):
        found.append("reads awkwardly")
    return first, found, came_from


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        type=Path,
        default=DEV,
        help="the labelled mentions (default: the development set; "
        "bench/heldout_mentions.csv was written apart from the rules)",
    )
    parser.add_argument("--dump", type=Path, help="write every (mention, first suggestion) pair here, to grade by hand")
    parser.add_argument("--show", type=int, default=20, help="how many unsendable suggestions to print")
    args = parser.parse_args()
    with args.set.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    graded = {}
    if GRADES.is_file():
        with GRADES.open(newline="", encoding="utf-8") as f:
            graded = {(g["text"], g["author"], g["suggestion"]): g for g in csv.DictReader(f)}
    by_business = triagers()
    pairs, reasons, read, read_yes, unread = [], Counter(), 0, 0, 0
    with frozen_clock():
        for i, row in enumerate(rows):
            author = AUTHORS[i % len(AUTHORS)]
            mention = Mention("x", str(i), author[1], author[0], row["text"], "", NOW, author_followers=300, lang="en")
            first, found, came_from = problems(row, author, mention, by_business[row["business"]])
            reasons.update(found)
            grade = graded.get((row["text"], author[0], first))
            if grade:
                read += 1
                read_yes += grade["sendable"] == "yes"
            else:
                unread += 1
            pairs.append(
                {
                    "business": row["business"],
                    "intent": row["intent"],
                    "serious": row["serious"],
                    "author": author[0],
                    "text": row["text"],
                    "suggestion": first,
                    "from": came_from,
                    "checked": "yes" if not found else "no",
                    "why": "; ".join(found),
                }
            )
    if args.dump:
        with args.dump.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(pairs[0]))
            writer.writeheader()
            writer.writerows(pairs)
    bad = [p for p in pairs if p["checked"] == "no"]
    for p in bad[: args.show]:
        print(f"  [{p['intent']}] {p['text'][:70]!r}\n      → {p['suggestion'][:90]!r}  ({p['why']})")
    checked = 1 - len(bad) / len(pairs)
    summary = {
        "mentions": len(pairs),
        "checked_sendable": round(checked, 3),
        "reasons": dict(reasons.most_common()),
        "read_by_hand": read,
        "read_sendable": round(read_yes / read, 3) if read else None,
        "not_yet_read": unread,
        "cores": os.cpu_count(),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Names that fit and spam that never hides a question: figures on development sets written for this bench.

The display names below (people in many cultures, businesses, places, titles alone, emoji
names, handles) are kept here, apart from the test cases in tests/test_names_and_spam.py.
Each is labelled with the first name a person would expect to be greeted by, or None when
no name should be used (not a person, or a person whose given name cannot be told).

Printed: precision (of the names used, how many are right), how often a real person's first
name is used, the mistakes, then the same for spam on questions and on spam posts. When
../shared/data is present, also how many airline-tweet questions would be held as spam
(it reads only the texts). Last line: JSON with the figures.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.replies import first_name  # noqa: E402
from bot.triage import asks_something, is_spam  # noqa: E402

AIRLINE = ROOT.parent / "shared" / "data" / "labelled" / "airline_tweets.csv"

P, N = "person", "not a person"
# (display name, expected first name or None, kind)
NAMES: list[tuple[str, str | None, str]] = [
    # people, English-speaking
    ("Sarah Mitchell", "Sarah", P),
    ("James O'Neill", "James", P),
    ("Emily Clarke", "Emily", P),
    ("Tom Hughes", "Tom", P),
    ("Rebecca Lowe", "Rebecca", P),
    ("Daniel Price", "Daniel", P),
    ("Jessica Taylor", "Jessica", P),
    ("Oliver Bennett", "Oliver", P),
    ("Chloe Evans", "Chloe", P),
    ("Harry Collins", "Harry", P),
    ("Megan Walsh", "Megan", P),
    ("Jack Robinson", "Jack", P),
    ("Grace Turner", "Grace", P),
    ("Will Harding", "Will", P),
    ("Amber Fox", "Amber", P),
    ("Frank Miller", "Frank", P),
    ("Joy Okonkwo", "Joy", P),
    ("Max Fischer", "Max", P),
    ("Holly Marsh", "Holly", P),
    ("Robin Hale", "Robin", P),
    ("Lucy Baker", "Lucy", P),
    ("Charlie Wood", "Charlie", P),
    ("Jamie Reid", "Jamie", P),
    ("Alex Morgan", "Alex", P),
    ("Rhys Morgan", "Rhys", P),
    ("Cerys Jones", "Cerys", P),
    ("Eilidh MacLeod", "Eilidh", P),
    ("Niamh Byrne", "Niamh", P),
    ("Siobhan Doyle", "Siobhan", P),
    ("Ciaran McCarthy", "Ciaran", P),
    ("Mary-Kate Flynn", "Mary-Kate", P),
    ("Dr Helen Shaw", "Helen", P),
    ("Rev. Paul Green", "Paul", P),
    ("Peter J. Hart", "Peter", P),
    ("Katie Brown 🌸", "Katie", P),
    ("✨ Zoe Carter ✨", "Zoe", P),
    ("Leah Simmons (she/her)", "Leah", P),
    ("Mike Dunn | Plumber", "Mike", P),
    ("Nathan Ross, PhD", "Nathan", P),
    ("becky wilson", "Becky", P),
    ("Dan Kerr 🏴", "Dan", P),
    ("Gemma Stone", "Gemma", P),
    ("Ryan Cole Jr", "Ryan", P),
    ("Abby Nolan", "Abby", P),
    ("Connor Quinn", "Connor", P),
    # people, Spanish, Portuguese, Italian, French, German, Dutch, Nordic, Polish, Greek
    ("Lucía Fernández", "Lucía", P),
    ("José Antonio Ruiz", "José", P),
    ("María José Pérez", "María", P),
    ("Javier de la Fuente", "Javier", P),
    ("Carmen Ortega", "Carmen", P),
    ("João Silva", "João", P),
    ("Beatriz Costa", "Beatriz", P),
    ("Giulia Ferrari", "Giulia", P),
    ("Matteo Bianchi", "Matteo", P),
    ("Francesca Romano", "Francesca", P),
    ("Camille Martin", "Camille", P),
    ("Étienne Moreau", "Étienne", P),
    ("Léa Girard", "Léa", P),
    ("Jürgen Müller", "Jürgen", P),
    ("Anneke van Dijk", "Anneke", P),
    ("Lukas Schneider", "Lukas", P),
    ("Sven Lindqvist", "Sven", P),
    ("Astrid Nilsen", "Astrid", P),
    ("Małgorzata Kowalska", "Małgorzata", P),
    ("Dimitris Papadopoulos", "Dimitris", P),
    ("Sofia Andersson", "Sofia", P),
    ("Pieter de Vries", "Pieter", P),
    # people, South Asian, Middle Eastern, African, Caribbean
    ("Priya Nair", "Priya", P),
    ("Rahul Mehta", "Rahul", P),
    ("Anjali Gupta", "Anjali", P),
    ("Arjun Reddy", "Arjun", P),
    ("Sunita Desai", "Sunita", P),
    ("Imran Qureshi", "Imran", P),
    ("Fatima Zahra", "Fatima", P),
    ("Mohammed Al-Rashid", "Mohammed", P),
    ("Omar Haddad", "Omar", P),
    ("Layla Hassan", "Layla", P),
    ("Yusuf Demir", "Yusuf", P),
    ("Zeynep Kaya", "Zeynep", P),
    ("Chidi Okeke", "Chidi", P),
    ("Ngozi Adeyemi", "Ngozi", P),
    ("Kwame Mensah", "Kwame", P),
    ("Ama Owusu", "Ama", P),
    ("Tunde Bakare", "Tunde", P),
    ("Wanjiru Kamau", "Wanjiru", P),
    ("Thandiwe Ndlovu", "Thandiwe", P),
    ("Shanice Campbell", "Shanice", P),
    # people, East and South-East Asian in given-name-first order
    ("Yuki Tanabe", "Yuki", P),
    ("Haruto Kobori", "Haruto", P),
    ("Mei Lin Tan", "Mei", P),
    ("Kenji Watari", "Kenji", P),
    ("Hana Oda", "Hana", P),
    ("Siti Rahmah", "Siti", P),
    ("Arif Hidayat", "Arif", P),
    # people whose given name cannot be told: family name first, or only in CJK script
    ("Chen Jing", None, P),
    ("Liu Yang", None, P),
    ("Kim Soo-min", None, P),
    ("Lee Ji-eun", None, P),
    ("Tanaka Hiroshi", None, P),
    ("Nguyen Thi Lan", None, P),
    ("王芳", None, P),
    ("김민준", None, P),
    ("山本 さくら", None, P),
    ("陈 伟", None, P),
    # people in a script the templates cannot check
    ("Иван Петров", None, P),
    ("محمد علي", None, P),
    # one word: a person or a brand, cannot be told
    ("Sophie", None, N),
    ("Marcus", None, N),
    ("Bramble", None, N),
    ("Greggs", None, N),
    # titles alone, initials, "The …"
    ("Mrs. Thompson", None, N),
    ("Mr Singh", None, N),
    ("Dr. Greene", None, N),
    ("Miss Honey", None, N),
    ("Chef Ramsay", None, N),
    ("Auntie Pat", None, N),
    ("Prof. Klein", None, N),
    ("Madame Chen", None, N),
    ("J. Smith", None, N),
    ("A.J. Porter", None, N),
    ("T J Miller", None, N),
    ("JK Rowling", None, N),
    ("The Daily Grind", None, N),
    ("The Hungry Traveller", None, N),
    ("The Real Mum", None, N),
    ("The Bearded Barista", None, N),
    # businesses and organisations
    ("Harbour Café", None, N),
    ("Sunrise Bakery", None, N),
    ("Golden Dragon Takeaway", None, N),
    ("Kirkwood & Sons", None, N),
    ("Patel Brothers Ltd", None, N),
    ("Rosie's Tearoom", None, N),
    ("Nando's UK", None, N),
    ("Pret A Manger", None, N),
    ("Costa Coffee", None, N),
    ("Green Leaf Salon", None, N),
    ("Urban Barbers", None, N),
    ("Fresh Start Cleaning", None, N),
    ("Smith Plumbing Services", None, N),
    ("Maple Street Dental", None, N),
    ("Northern Rail", None, N),
    ("British Airways", None, N),
    ("Virgin Media", None, N),
    ("Apple Support", None, N),
    ("Tesco Help", None, N),
    ("Deliveroo", None, N),
    ("Just Eat", None, N),
    ("Uber Eats", None, N),
    ("Crafty Fox Brewery", None, N),
    ("Blue Whale Books", None, N),
    ("Happy Paws Grooming", None, N),
    ("Little Acorns Nursery", None, N),
    ("Open Door Church", None, N),
    ("Riverside FC", None, N),
    ("Marco Polo Travel", None, N),
    ("Luna Yoga Studio", None, N),
    # news, media, official and role accounts
    ("BBC Scotland", None, N),
    ("Evening Standard", None, N),
    ("Leeds Live", None, N),
    ("Manchester Evening News", None, N),
    ("Time Out London", None, N),
    ("Yorkshire Post", None, N),
    ("Sky News", None, N),
    ("CNN", None, N),
    ("NHS England", None, N),
    ("City Council", None, N),
    ("Camden Council", None, N),
    ("Sarah Official", None, N),
    ("Team Bramble", None, N),
    ("Food Standards Agency", None, N),
    ("Local Guides", None, N),
    # places, foodies, bloggers, themes
    ("Edinburgh Eats", None, N),
    ("London Foodie", None, N),
    ("Bristol Bites", None, N),
    ("Glasgow Food Lover", None, N),
    ("Brighton Brunch Club", None, N),
    ("Paris Pastry Diaries", None, N),
    ("Dublin Coffee Guide", None, N),
    ("Oxford Mum Blog", None, N),
    ("Hackney Hound", None, N),
    ("Cake Addict", None, N),
    ("Coffee Snob", None, N),
    ("Hungry Harry", None, N),
    ("Sunny Side Up", None, N),
    ("Wild Swimmer", None, N),
    ("Happy Camper", None, N),
    ("Vegan Vibes", None, N),
    ("Brunch Queen", None, N),
    ("Mum of Three", None, N),
    # handles as names, digits, all caps, emoji
    ("sarah_m_92", None, N),
    ("tomhughes", None, N),
    ("JessicaTaylor", None, N),
    ("foodie.lou", None, N),
    ("xXgamerXx", None, N),
    ("mike2024", None, N),
    ("@katiebrown", None, N),
    ("DAVE SMITH", None, N),
    ("LOVE COFFEE", None, N),
    ("🌸🌿☕", None, N),
    ("🍕 pizza lover 🍕", None, N),
    ("☕️ + 📚", None, N),
    ("Cryptoking 🚀💎", None, N),
    ("Win Free Stuff", None, N),
    ("Get More Likes", None, N),
    ("Anonymous", None, N),
    ("A Concerned Parent", None, N),
    ("Not Today", None, N),
]

# Posts to the business that ask something (must never be spam) and spam (should be held).
QUESTIONS = [
    "Is the spring giveaway still running?",
    "@harbourcafe how do I enter the giveaway",
    "Did anyone win the giveaway yet?",
    "do you accept crypto or just cards",
    "Can I pay with bitcoin at the till?",
    "hey is the free coffee giveaway today or tomorrow",
    "I'd like to book a table for 4 on Saturday, is that possible",
    "Could you tell me when the giveaway winner is announced?",
    "@bramblecafe @harbourcafe are you doing a giveaway for the anniversary?",
    "please let me know if I won the giveaway",
    "Where do I collect my giveaway prize?",
    "What's the giveaway prize this month",
    "Wondering whether the NFT loyalty card is legit",
    "can we win a free cake if we share the post?",
    "Are your giveaway winners picked at random?",
    "is it true you're giving away free croissants on Friday",
    "How long does the giveaway run for",
    "Can I enter the giveaway if I live outside the UK?",
    "Will you do another give away next month?",
    "Hi, I won a free coffee in the giveaway, how do I claim it?",
]
SPAM = [
    "🎉 GIVEAWAY 🎉 Win a free PS5! Follow, like & RT to enter",
    "Crypto signals that 10x your money, link in bio",
    "Want free followers? DM me now",
    "Looking for more likes? Check my profile",
    "Win an iPhone 16 today only!!! claim your prize",
    "NFT drop live now, don't miss out 🚀",
    "Earn $300 a day from home, click here",
    "Need cheap followers? We deliver in 24h",
    "Airdrop is live! Connect your wallet",
    "Massive giveaway 💰 tag 3 friends to win",
    "Are you tired of low engagement? Buy real followers",
    "Free crypto for the first 100 people",
    "follow back for follow back #f4f",
    "Win a free holiday!!! limited offer",
    "Do you want to win $1000? Click the link",
]


def names_figures() -> dict:
    used = right = persons = persons_named = 0
    mistakes = []
    for display, expected, kind in NAMES:
        got = first_name(display)
        if got is not None:
            used += 1
            right += got == expected
        if got != expected:
            mistakes.append(f"  {display!r}: expected {expected!r}, got {got!r}")
        if kind == P and expected is not None:
            persons += 1
            persons_named += got == expected
    return {
        "display_names": len(NAMES),
        "names_used": used,
        "precision": round(right / used, 4) if used else None,
        "persons_with_a_given_name": persons,
        "person_first_name_used": round(persons_named / persons, 4),
        "mistakes": mistakes,
    }


def spam_figures() -> dict:
    held_questions = [q for q in QUESTIONS if is_spam(q)]
    missed_spam = [s for s in SPAM if not is_spam(s)]
    return {
        "questions": len(QUESTIONS),
        "questions_held_as_spam": len(held_questions),
        "spam_posts": len(SPAM),
        "spam_held": len(SPAM) - len(missed_spam),
        "mistakes": [f"  question held: {q!r}" for q in held_questions]
        + [f"  spam let through: {s!r}" for s in missed_spam],
    }


def airline_figures(path: Path) -> dict | None:
    if not path.is_file():
        return None
    seen, asks, held = set(), 0, []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["tweet_id"] in seen:
                continue
            seen.add(row["tweet_id"])
            if asks_something(row["text"]):
                asks += 1
                if is_spam(row["text"]):
                    held.append(row["text"])
    return {"airline_posts_asking": asks, "airline_asking_held_as_spam": len(held), "examples": held[:5]}


def main() -> int:
    names = names_figures()
    print(
        f"display names: {names['display_names']}, a name used for {names['names_used']}; "
        f"precision {names['precision']:.1%}; a real person's first name used for "
        f"{names['person_first_name_used']:.1%} of {names['persons_with_a_given_name']}"
    )
    print("\n".join(names.pop("mistakes")) or "  no mistakes")
    spam = spam_figures()
    print(
        f"questions to the business held as spam: {spam['questions_held_as_spam']} of {spam['questions']}; "
        f"spam held: {spam['spam_held']} of {spam['spam_posts']}"
    )
    print("\n".join(spam.pop("mistakes")) or "  no mistakes")
    result = {**names, **spam}
    airline = airline_figures(AIRLINE)
    if airline is None:
        print(
            f"airline tweets not found at {AIRLINE}: the labelled data sits in ../shared/ beside a "
            "development checkout only; skipping the check that real customer questions are never held."
        )
    else:
        examples = airline.pop("examples")
        print(
            f"airline tweets that ask something: {airline['airline_posts_asking']}, held as spam: "
            f"{airline['airline_asking_held_as_spam']}" + "".join(f"\n  {e!r}" for e in examples)
        )
        result.update(airline)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

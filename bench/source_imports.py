"""What each network's library, and Teams' SDK, costs at start: peak memory and import time, each in a fresh process."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import importlib, json, resource, sys, time
import bot.wiring  # what every start imports: Slack, triage, storage, and the networks' declarations
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
for module in filter(None, sys.argv[1].split(",")):
    importlib.import_module(module)
took = time.perf_counter() - started
print(json.dumps({"base_mb": base / 1024, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "ms": took * 1000}))
"""
# Each network's client library, which its module imports only when the network is set up.
MODULES = {
    "(none set up)": "",
    "X": "tweepy",
    "Mastodon": "mastodon",
    "Bluesky": "atproto,atproto_client.utils.facet_detection",
    "Reddit": "praw,prawcore",
    "RSS": "feedparser",
}
MODULES["all five"] = ",".join(m for m in MODULES.values() if m)
# A chat platform's SDK, imported only when that platform is set up (Teams: the `teams` extra).
MODULES["Microsoft Teams' SDK"] = "microsoft_teams.apps,microsoft_teams.cards"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per network (the median is shown)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; median of {args.runs} fresh processes each")
    print("| network | peak RSS | added to a start | import time |\n| --- | --- | --- | --- |")
    for name, module in MODULES.items():
        if module and importlib.util.find_spec(module.split(",")[0].split(".")[0]) is None:
            print(f"| {name} | not installed (its extra: pip install '.[teams]') | | |")
            continue
        runs = sorted(
            (
                json.loads(
                    subprocess.run(
                        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, cwd=ROOT, check=True
                    ).stdout
                )
                for _ in range(args.runs)
            ),
            key=lambda r: r["peak_mb"],
        )
        mid = runs[len(runs) // 2]
        print(f"| {name} | {mid['peak_mb']:.1f} MB | +{mid['peak_mb'] - mid['base_mb']:.1f} MB | {mid['ms']:.0f} ms |")


if __name__ == "__main__":
    main()

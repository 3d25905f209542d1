"""make bench: the engine against plain diff-match-patch, side by side in one run.

Pairs: the seeds; 5 KB, 100 KB and 1 MB texts made of consecutive real
revisions from the digital.gov corpus laid end to end (so the word and
paragraph edits are the real ones authors made), where the new side also
changes its paragraph separators from blank lines to single line breaks, as
the reference case (the seeds) does; the same without that reformatting
("-noreformat", for information); and two unrelated 1 MB texts (disjoint
halves of the corpus sentences).

The engine column is compare() on the two texts, parsing included; the
"blocks" column is compare() on already parsed blocks, which is what the diff
API does with stored revisions. For each pair the median
wall time of app.engine.compare (parse + align + inline + roll-up) and of plain
diff_main + diff_cleanupSemantic on the same whole texts (library defaults,
Diff_Timeout = 1 s), and their ratio. "chars" counts both texts. A plain time
marked * reached the library's 1 s deadline: diff_main stopped there with a
coarse diff (at 1 MB: four ops, everything replaced; run to completion,
Diff_Timeout = 0, it takes about 2.4 s here), so the baseline's time is fixed
and those ratios understate the engine's lead.

Then the hard-text table (bench/hard.py) and the bulk import table
(bench/ingest.py: revisions/s with everything computed, against a raw COPY),
and the server table (bench/server.py: single ingest against a bare insert,
reads by p99, on a real uvicorn over SQLite and PostgreSQL); the figures of the
last two also go to bench/latest.json. `--no-hard`, `--no-ingest`,
`--no-server` leave those out.
"""

import itertools
import json
import os
import random
import re
import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from diff_match_patch import diff_match_patch

from app.engine import compare, parse_text
from bench import hard, ingest, server
from bench.timing import median_ms, plain_dmp

ROOT = Path(__file__).resolve().parent.parent
# The shared corpus, read in place (CORPUS_DIR overrides where it is).
CORPUS_DIR = Path(os.environ.get("CORPUS_DIR") or ROOT.parent / "shared" / "corpus")
CORPUS = CORPUS_DIR / "digitalgov-news.jsonl"
SEEDS = ROOT / "tests" / "fixtures"
# The latest figures of the import table, as JSON (the README shows the same run).
RESULTS = ROOT / "bench" / "latest.json"
GOALS = {
    "5KB": ("ms", 5.0),
    "100KB": ("ratio", 0.35),
    "1MB": ("ratio", 0.10),
    "1MB-unrelated": ("ms", 1000.0),
}


def corpus_pairs() -> list[tuple[str, str]]:
    """Consecutive real revisions from the digital.gov corpus, as plain text."""
    from app.engine import parse_markdown

    def plain(markdown: str) -> str:
        return "\n\n".join(b.text for b in parse_markdown(markdown))

    pairs = []
    for line in CORPUS.open(encoding="utf-8"):
        versions = json.loads(line)["versions"]
        for before, after in itertools.pairwise(versions):
            pairs.append((plain(before["body"]), plain(after["body"])))
    return pairs


def concatenated(pairs: list[tuple[str, str]], size: int, start: int) -> tuple[str, str]:
    """Old and new texts of about `size` bytes each: real revision pairs end to end."""
    old: list[str] = []
    new: list[str] = []
    total = 0
    k = start
    while total < size:
        a, b = pairs[k % len(pairs)]
        # Tag each copy so repeated articles stay distinct paragraphs.
        tag = f"[{k}] "
        old.append(tag + a.replace("\n\n", "\n\n" + tag))
        new.append(tag + b.replace("\n\n", "\n\n" + tag))
        total += len(a)
        k += 1
    return "\n\n".join(old), "\n\n".join(new)


def sentence_pool() -> list[str]:
    """Every distinct sentence (over 30 characters) of the corpus, sorted."""
    from app.engine import parse_markdown

    sentences: set[str] = set()
    for line in CORPUS.open(encoding="utf-8"):
        for version in json.loads(line)["versions"]:
            for block in parse_markdown(version["body"]):
                sentences.update(re.split(r"(?<=[.!?])\s+", block.text))
    return sorted(s for s in sentences if len(s) > 30)


def unrelated(pool: list[str], size: int, rng: random.Random) -> tuple[str, str]:
    """Two texts sharing no paragraph: disjoint halves of the corpus sentences, shuffled."""
    halves = pool[: len(pool) // 2], pool[len(pool) // 2 :]
    texts = []
    for half in halves:
        paragraphs, total = [], 0
        while total < size:
            para = " ".join(rng.choice(half) for _ in range(rng.randint(2, 4)))
            paragraphs.append(para)
            total += len(para) + 2
        texts.append("\n\n".join(paragraphs))
    return texts[0], texts[1]


def main() -> int:
    if not CORPUS.is_file():
        print(f"corpus not found at {CORPUS} (set CORPUS_DIR to its folder)", file=sys.stderr)
        return 2
    rng = random.Random(20261130)
    real = corpus_pairs()
    pairs: dict[str, tuple[str, str]] = {
        "seeds": (
            (SEEDS / "putin-china.r1.txt").read_text(),
            (SEEDS / "putin-china.r2.txt").read_text(),
        ),
    }
    for name, size, start in (("5KB", 5_000, 3), ("100KB", 100_000, 40), ("1MB", 1_000_000, 0)):
        old, new = concatenated(real, size, start)
        pairs[name] = (old, new.replace("\n\n", "\n"))
        pairs[f"{name}-noreformat"] = (old, new)
    pool = sentence_pool()
    pairs["1MB-unrelated"] = unrelated(pool, 1_000_000, rng)
    repeats = {"seeds": 50, "5KB": 50, "100KB": 15, "1MB": 5, "1MB-unrelated": 3}
    print(
        f"{'pair':<19}{'chars':>9}{'engine ms':>11}{'blocks ms':>11}{'plain dmp ms':>14}"
        f"{'ratio':>8}  goal"
    )
    failed = False
    for name, (a, b) in pairs.items():
        n = repeats.get(name.removesuffix("-noreformat"), 5)
        engine = median_ms(partial(compare, a, b), n)
        blocks = median_ms(partial(compare, parse_text(a), parse_text(b)), n)
        plain = median_ms(partial(plain_dmp, a, b), max(1, n // 3))
        ratio = engine / plain if plain else float("inf")
        verdict = ""
        if name in GOALS:
            kind, limit = GOALS[name]
            ok = (engine < limit) if kind == "ms" else (ratio <= limit)
            failed |= not ok
            verdict = f"{'ok' if ok else 'MISSED'} ({'<' if kind == 'ms' else '≤'}{limit}"
            verdict += " ms)" if kind == "ms" else "×)"
        deadline = "*" if plain >= 1000 * diff_match_patch().Diff_Timeout else " "
        print(
            f"{name:<19}{len(a) + len(b):>9}{engine:>11.2f}{blocks:>11.2f}{plain:>13.2f}"
            f"{deadline}{ratio:>8.3f}  {verdict}"
        )
    print("* plain diff-match-patch stopped at its 1 s deadline (Diff_Timeout) with a coarse diff")
    if "--no-hard" not in sys.argv:
        failed |= not hard.run(pool, pairs["1MB-unrelated"])
    results: dict[str, object] = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
    if "--no-ingest" not in sys.argv:
        met, results["import"] = ingest.run(CORPUS)
        failed |= not met
    if "--no-server" not in sys.argv:
        met, results["server"] = server.run(ingest.histories(CORPUS))
        failed |= not met
    if len(results) > 1:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {RESULTS.relative_to(Path.cwd())}")
    return 1 if failed and "--strict" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())

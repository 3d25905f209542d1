"""Hard text for the engine: pairs where many paragraphs resemble each other, and the worst cases.

Classes (issue 11): articles recombined from one pool of real corpus sentences
(so paragraphs share sentences) at 5 KB, 100 KB and 1 MB, then edited (words
changed, paragraphs deleted, inserted and moved); two unrelated 1 MB texts;
1 MB of random-word paragraphs; 50,000 identical lines with a few inserted and
deleted; one 1 MB paragraph with two edits.

Baselines, side by side in one run: plain diff-match-patch (diff_main +
diff_cleanupSemantic) run to completion, with a deadline of DMP_DEADLINE s
that only stops it when it would take that long anyway (the row says ">");
and git's C word diff (`git diff --no-index --word-diff=porcelain`) as a
process, which is what a newsroom could run instead.
"""

import random
import subprocess
import tempfile
from functools import partial
from pathlib import Path

from app.engine import compare
from bench.timing import median_ms, plain_dmp

DMP_DEADLINE = 20.0
# (goal on the ratio to plain dmp, goal on the ratio to git, goal in ms)
GOALS: dict[str, tuple[float | None, float | None, float | None]] = {
    "recombined-100KB": (0.20, 1.5, None),
    "recombined-1MB": (0.05, None, 1000.0),
    "unrelated-1MB": (0.05, None, 300.0),
    "random-words-1MB": (0.05, None, 1000.0),
    "identical-lines-50k": (0.05, None, 1000.0),
    "one-paragraph-1MB": (None, None, 1000.0),
}


def _recombined(
    pool: list[str], size: int, rng: random.Random, vocabulary: list[str]
) -> tuple[str, str]:
    """An article of paragraphs of 2–4 pooled sentences, and an edited copy of it."""
    paragraphs: list[str] = []
    total = 0
    while total < size:
        paragraph = " ".join(rng.choice(pool) for _ in range(rng.randint(2, 4)))
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    edited: list[str] = []
    for paragraph in paragraphs:
        roll = rng.random()
        if roll < 0.05:
            continue  # deleted
        if roll < 0.15:
            words = paragraph.split()
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
            paragraph = " ".join(words)
        edited.append(paragraph)
        if rng.random() < 0.05:  # inserted
            edited.append(" ".join(rng.choice(pool) for _ in range(rng.randint(2, 4))))
    for _ in range(max(1, len(edited) // 30)):  # moved
        edited.insert(rng.randrange(len(edited)), edited.pop(rng.randrange(len(edited))))
    return "\n\n".join(paragraphs), "\n\n".join(edited)


def hard_pairs(pool: list[str], unrelated: tuple[str, str]) -> dict[str, tuple[str, str]]:
    rng = random.Random(20261201)
    vocabulary = sorted({w for sentence in pool for w in sentence.split()})
    pairs = {
        f"recombined-{name}": _recombined(pool, size, rng, vocabulary)
        for name, size in (("5KB", 5_000), ("100KB", 100_000), ("1MB", 1_000_000))
    }
    pairs["unrelated-1MB"] = unrelated
    words = [f"w{k}" for k in range(5_000)]

    def random_text() -> str:
        paragraphs, total = [], 0
        while total < 1_000_000:
            paragraph = " ".join(rng.choice(words) for _ in range(rng.randint(20, 60))) + "."
            paragraphs.append(paragraph)
            total += len(paragraph) + 2
        return "\n\n".join(paragraphs)

    pairs["random-words-1MB"] = (random_text(), random_text())
    same = ["The council met again."] * 50_000
    changed = list(same)
    for k in (10, 20_000, 35_000):
        changed.insert(k, f"Inserted line {k}.")
    del changed[45_000:45_003]
    pairs["identical-lines-50k"] = ("\n".join(same), "\n".join(changed))
    big = " ".join(rng.choice(words) for _ in range(180_000))
    middle = len(big) // 2
    pairs["one-paragraph-1MB"] = (
        big,
        big[:1_000] + " two inserted words " + big[1_000:middle] + " and more " + big[middle:],
    )
    return pairs


def _git_word_diff(a: str, b: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        old, new = Path(folder) / "old", Path(folder) / "new"
        old.write_text(a, encoding="utf-8")
        new.write_text(b, encoding="utf-8")
        command = ["git", "diff", "--no-index", "--word-diff=porcelain", str(old), str(new)]
        return median_ms(
            partial(subprocess.run, command, capture_output=True, check=False, timeout=120), 1
        )


def run(pool: list[str], unrelated: tuple[str, str]) -> bool:
    """Print the hard-text table; True when every goal was met."""
    print(
        f"\n{'hard pair':<22}{'chars':>9}{'engine ms':>11}{'plain dmp ms':>14}{'git ms':>9}"
        f"{'×dmp':>8}{'×git':>7}  goals"
    )
    all_met = True
    for name, (a, b) in hard_pairs(pool, unrelated).items():
        engine = median_ms(partial(compare, a, b), 3)
        plain = median_ms(partial(plain_dmp, a, b, DMP_DEADLINE), 1)
        git = min(_git_word_diff(a, b) for _ in range(3))
        stopped = ">" if plain >= DMP_DEADLINE * 1000 else " "
        by_dmp, by_git = engine / plain, engine / git
        goals = []
        dmp_goal, git_goal, ms_goal = GOALS.get(name, (None, None, None))
        for goal, value, unit in (
            (dmp_goal, by_dmp, "×dmp"),
            (git_goal, by_git, "×git"),
            (ms_goal, engine, "ms"),
        ):
            if goal is not None:
                met = value <= goal
                all_met &= met
                goals.append(f"{unit}≤{goal:g} {'ok' if met else 'MISSED'}")
        print(
            f"{name:<22}{len(a) + len(b):>9}{engine:>11.1f}{stopped}{plain:>13.1f}{git:>9.1f}"
            f"{by_dmp:>8.3f}{by_git:>7.2f}  {', '.join(goals)}"
        )
    print(
        f"> plain diff-match-patch reached its {DMP_DEADLINE:g} s deadline "
        "(the ratio is an upper bound)"
    )
    return all_met

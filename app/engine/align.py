"""Block alignment: which old block became which new block.

Public API: Op, Pair, Alignment, align_blocks, match_equal, dice, words, the
thresholds MODIFY_THRESHOLD, MOVE_THRESHOLD, SPLIT_THRESHOLD, PIECE_CONTAINMENT,
and the work limit SIMILARITY_BLOCK_LIMIT.

The steps, each bounded so that a pathological input degrades to coarser
output instead of quadratic time:

1. Exact, order-preserving matches (`equal`) over block keys (family, text):
   common prefix and suffix, then patience anchors (keys unique on both
   sides, longest increasing run), recursing between anchors; a gap with no
   unique key gets an exact LCS only while it is small.
2. Identical blocks left unmatched on both sides are `move`s. Duplicates never
   become phantom moves: a repeated paragraph that still has an in-order copy
   was already matched in step 1.
3. Inside each replaced region (between two equal anchors), splits and merges
   are found before one-to-one pairing, because half of a split paragraph
   resembles the whole at about 0.67 and would otherwise pair as a modification.
4. One-to-one pairs in a region by word-set Dice ≥ MODIFY_THRESHOLD; pairs
   that keep their relative order are `modify`, crossing ones are `move`.
5. Across the whole document, leftovers with Dice ≥ MOVE_THRESHOLD are edited
   `move`s. Everything else is `insert` or `delete`.

Only blocks of the same family (heading, paragraph, boilerplate) pair up.

When more than SIMILARITY_BLOCK_LIMIT blocks are left after steps 1–2 (two
unrelated texts of megabytes), steps 3–5 are skipped: the leftovers are
inserts and deletes, and the Alignment says it was degraded, and why.
"""

import itertools
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from collections.abc import Hashable, Iterable, Sequence
from typing import Literal, NamedTuple

from app.engine.blocks import KINDS, WORD, Block, BlockWords, Family, family

__all__ = [
    "FUNCTION_WORDS",
    "IN_PLACE_MAX_WORDS",
    "IN_PLACE_THRESHOLD",
    "MODIFY_THRESHOLD",
    "MOVE_THRESHOLD",
    "PIECE_CONTAINMENT",
    "SIMILARITY_BLOCK_LIMIT",
    "SPLIT_THRESHOLD",
    "Alignment",
    "Op",
    "Pair",
    "align_blocks",
    "dice",
    "in_place_kin",
    "match_equal",
    "words",
]

Op = Literal["equal", "insert", "delete", "modify", "move", "split", "merge"]

_FAMILY_OF: dict[str, Family] = {k: family(k) for k in KINDS}

# Word-set Dice at or above which two blocks in the same place are one block
# edited. Measured on the digital.gov corpus (tests/engine/test_corpus.py
# and the README): unrelated paragraphs of one article score ≤ 0.5, edited
# paragraphs mostly ≥ 0.7. Below it, a rewrite is delete + insert.
MODIFY_THRESHOLD = 0.55
# Pairing across the document is riskier than in place: demand more.
MOVE_THRESHOLD = 0.65
# One block replaced by one block at the same place: position is evidence, so a
# short block pairs at a much lower similarity (multiset Dice, repeated words
# counted) when they share a word that is not a function word. Measured on the
# corpus: 0.53% of adjacent *different* paragraphs would pair under this rule
# (as rare as unrelated pairs reaching MODIFY_THRESHOLD), while "blah blah
# blah 1" → "… 2", "foo bar" → "foo test" and a link reduced to its label pair.
IN_PLACE_THRESHOLD = 0.25
IN_PLACE_MAX_WORDS = 4
FUNCTION_WORDS = frozenset(
    """a an and are as at be been but by for from had has have he her his i in is it its
    of on or our she that the their them there they this to was we were which who will
    with you your said not no so if than then also more can could would should may into
    about after over""".split()
)
# The pieces of a split (joined) must match the original at least this well,
# and each piece must be mostly made of the original's words.
SPLIT_THRESHOLD = 0.7
PIECE_CONTAINMENT = 0.75

# Regions up to this many candidate pairs are compared exhaustively; larger
# ones use an inverted index over rare words (see _candidates).
ALL_PAIRS_LIMIT = 4096
RARE_WORD_POSTINGS = 12
CANDIDATES_PER_BLOCK = 4
SMALL_LCS_CELLS = 10_000
# Blocks left unmatched after exact matching (both sides together) beyond
# which no similarity search is done. Real revisions leave a few hundred; two
# unrelated 1 MB texts of short lines about 50,000 (0.7 s to search).
SIMILARITY_BLOCK_LIMIT = 20_000


class Pair(NamedTuple):
    """One alignment op: old and new block indices it covers."""

    op: Op
    old: tuple[int, ...]
    new: tuple[int, ...]
    similarity: float


class Alignment(NamedTuple):
    pairs: list[Pair]
    degraded: tuple[str, ...]  # why work was skipped; empty when nothing was


def words(text: str) -> frozenset[str]:
    """The set of lower-cased words of a text.

    >>> sorted(words("The cat, the HAT."))
    ['cat', 'hat', 'the']
    """
    return frozenset(WORD.findall(text.lower()))


def dice(a: frozenset[str], b: frozenset[str], inter: int | None = None) -> float:
    """Dice coefficient of two word sets: symmetric, 1.0 for equal sets.

    >>> dice(frozenset("ab"), frozenset("bc"))
    0.5
    """
    if not a or not b:
        return 0.0
    if inter is None:
        inter = len(a & b)
    return 2 * inter / (len(a) + len(b))


def in_place_kin(a: str, b: str) -> bool:
    """Whether two short blocks, one replacing the other in place, are one block edited.

    >>> in_place_kin("foo bar", "foo test"), in_place_kin("blah blah blah 1", "blah blah blah 2")
    (True, True)
    >>> in_place_kin("The minister resigned.", "The storm hit."), in_place_kin("of the", "the of")
    (False, False)
    """
    wa, wb = Counter(WORD.findall(a.lower())), Counter(WORD.findall(b.lower()))
    na, nb = sum(wa.values()), sum(wb.values())
    if not na or not nb or min(na, nb) > IN_PLACE_MAX_WORDS:
        return False
    shared = wa & wb
    if all(w in FUNCTION_WORDS for w in shared):
        return False
    return 2 * sum(shared.values()) / (na + nb) >= IN_PLACE_THRESHOLD


# -- step 1: exact order-preserving matches ------------------------------------


def _levels(seconds: Sequence[int]) -> list[int]:
    """For each item, the length of the longest increasing run ending at it."""
    tails: list[int] = []
    out = []
    for j in seconds:
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
        else:
            tails[pos] = j
        out.append(pos + 1)
    return out


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest run of pairs (sorted by first, distinct seconds) whose second items
    increase; among equally long runs, the one whose pairs are displaced least
    (sum of |first - second|), later pairs first on a tie.

    Keeping the least displaced blocks in place marks as moved the block that
    travelled, not its neighbours, so the near matches around it stay in order
    (D E F -> F D E': F moved, E edited in place; not D moved and E moved too).

    >>> _lis([(6, 7), (7, 9), (8, 6)])
    [(6, 7), (7, 9)]
    >>> _lis([(6, 7), (8, 6), (9, 9)])
    [(6, 7), (9, 9)]
    """
    if all(p[1] < q[1] for p, q in itertools.pairwise(pairs)):
        return pairs  # already in order: the usual case
    ahead = _levels([j for _, j in pairs])
    behind = _levels([-j for _, j in reversed(pairs)])[::-1]
    longest = max(ahead)
    # Only pairs on some longest run matter; at each level they are ordered by
    # first increasing and second decreasing, so a level's pairs never chain.
    levels: list[list[int]] = [[] for _ in range(longest + 1)]
    for k, (up, down) in enumerate(zip(ahead, behind, strict=True)):
        if up + down - 1 == longest:
            levels[up].append(k)
    if all(len(level) == 1 for level in levels[1:]):
        return [pairs[level[0]] for level in levels[1:]]  # only one longest run
    best: dict[int, tuple[int, int]] = {}  # pair -> (cost of the best run ending here, previous)
    work = 0
    for level in range(1, longest + 1):
        below = levels[level - 1]
        work += len(below) * len(levels[level])
        if work > SMALL_LCS_CELLS * 10:  # pathological shapes: any longest run will do
            return _any_lis(pairs)
        for k in levels[level]:
            i, j = pairs[k]
            before, prev = 0, -1
            if below:
                before, prev = min(
                    (best[q][0], -q) for q in below if pairs[q][0] < i and pairs[q][1] < j
                )
                prev = -prev
            best[k] = (before + abs(i - j), prev)
    k = -min((best[q][0], -q) for q in levels[longest])[1]
    out = []
    while k >= 0:
        out.append(pairs[k])
        k = best[k][1]
    return out[::-1]


def _any_lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One longest increasing run of pairs' second items (patience sorting)."""
    tails: list[int] = []
    tail_idx: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[pos] = j
            tail_idx[pos] = k
        back[k] = tail_idx[pos - 1] if pos else -1
    out = []
    k = tail_idx[-1] if tail_idx else -1
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    return out[::-1]


def _unique_anchors(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int
) -> tuple[list[tuple[int, int]], bool]:
    """Patience anchors: keys occurring once on each side, longest in-order run of them;
    and whether some key on both sides is repeated on one (then rank anchors compete)."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    pos_b = {key: j for j, key in enumerate(b[blo:bhi], blo)}
    pairs = []
    repeats = False
    for i, key in enumerate(a[alo:ahi], alo):
        seen_a, seen_b = count_a[key], count_b.get(key, 0)
        if seen_a == 1 and seen_b == 1:
            pairs.append((i, pos_b[key]))
        elif seen_b:
            repeats = True
    return _lis(pairs), repeats


def _small_lcs(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Exact LCS by dynamic programming, for small gaps without unique keys."""
    n, m = ahi - alo, bhi - blo
    if not set(a[alo:ahi]) & set(b[blo:bhi]):
        return []
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = table[i], table[i + 1]
        for j in range(m - 1, -1, -1):
            if a[alo + i] == b[blo + j]:
                row[j] = below[j + 1] + 1
            else:
                row[j] = max(below[j], row[j + 1])
    out = []
    i = j = 0
    while i < n and j < m:
        if a[alo + i] == b[blo + j]:
            out.append((alo + i, blo + j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def _rank_anchors(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Anchors for a large gap of repeated keys: the k-th copy of a key on one side
    paired with its k-th copy on the other, longest in-order run of those pairs.

    Identical paragraphs are thus matched in order (never shown as moved), in
    O(n log n) where an exact LCS of the gap would be quadratic.

    >>> _rank_anchors("xaaxa", "aaxaa", 0, 5, 0, 5)
    [(1, 0), (2, 1), (4, 3)]
    """
    seen_b: dict[Hashable, list[int]] = defaultdict(list)
    for j in range(blo, bhi):
        seen_b[b[j]].append(j)
    rank: Counter[Hashable] = Counter()
    pairs = []
    for i in range(alo, ahi):
        key = a[i]
        copies = seen_b.get(key)
        if copies and rank[key] < len(copies):
            pairs.append((i, copies[rank[key]]))
            rank[key] += 1
    return _lis(pairs)


def match_equal(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]]:
    """Order-preserving exact matches between two key sequences (patience diff).

    Gaps without a key unique on both sides get an exact LCS while small, and
    rank anchors (see _rank_anchors) when large.

    >>> match_equal("abcx", "zabc")
    [(0, 1), (1, 2), (2, 3)]
    >>> len(match_equal("a" * 500 + "b", "c" + "a" * 500))
    500
    """
    out: list[tuple[int, int]] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            out.append((alo, blo))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            out.append((ahi, bhi))
        if alo == ahi or blo == bhi:
            continue
        anchors, repeats = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if repeats:
            # Repeated blocks (ten identical one-word lines around a line that moved):
            # the anchors that keep the most blocks in place mark the fewest as moved.
            ranked = _rank_anchors(a, b, alo, ahi, blo, bhi)
            if len(ranked) > len(anchors):
                anchors = ranked
        if not anchors:
            if (ahi - alo) * (bhi - blo) <= SMALL_LCS_CELLS:
                out.extend(_small_lcs(a, b, alo, ahi, blo, bhi))
                continue
            anchors = _rank_anchors(a, b, alo, ahi, blo, bhi)
            if not anchors:  # no key in common: nothing more to match here
                continue
        prev_a, prev_b = alo, blo
        for i, j in anchors:
            out.append((i, j))
            stack.append((prev_a, i, prev_b, j))
            prev_a, prev_b = i + 1, j + 1
        stack.append((prev_a, ahi, prev_b, bhi))
    out.sort()
    return out


# -- similarity ------------------------------------------------------------------


class _Side:
    """One document's blocks, their families and (lazily) their word sets."""

    def __init__(self, blocks: Sequence[Block], block_words: BlockWords | None) -> None:
        self.blocks = blocks
        self.families = [_FAMILY_OF.get(b.kind, "paragraph") for b in blocks]
        self.words = (block_words or BlockWords(blocks)).words

    def keys(self) -> list[str]:
        """Alignment keys: the text, tagged with the family unless it is a paragraph.

        Plain strings (whose hashes Python caches) keep matching fast.
        """
        return [
            b.text if f == "paragraph" else f"{f}\x00{b.text}"
            for f, b in zip(self.families, self.blocks, strict=True)
        ]


def _candidates(
    old: _Side, new: _Side, olds: Sequence[int], news: Sequence[int]
) -> dict[tuple[int, int], int]:
    """Pairs of same-family blocks sharing words, with their intersection sizes.

    Small sets are compared exhaustively. Large ones go through an inverted
    index of the new side's rare words (in at most RARE_WORD_POSTINGS blocks),
    keeping the CANDIDATES_PER_BLOCK best-sharing new blocks per old block:
    an edited paragraph keeps most of its rare words (names, numbers, places),
    so it is found; the cost stays linear in the text size.
    """
    out: dict[tuple[int, int], int] = {}
    if len(olds) * len(news) <= ALL_PAIRS_LIMIT:
        for i in olds:
            wi = old.words(i)
            for j in news:
                if old.families[i] == new.families[j]:
                    inter = len(wi & new.words(j))
                    if inter:
                        out[i, j] = inter
        return out
    new_words = {j: new.words(j) for j in news}
    chain = itertools.chain.from_iterable
    seen = Counter(chain(new_words.values()))
    rare_words = {w for w, n in seen.items() if n <= RARE_WORD_POSTINGS}
    rare: dict[str, list[int]] = defaultdict(list)
    for j, wj in new_words.items():
        for w in wj & rare_words:
            rare[w].append(j)
    for i in olds:
        wi = old.words(i)
        shared = Counter(chain([rare[w] for w in wi & rare_words]))
        best: Iterable[int] = shared
        if len(shared) > CANDIDATES_PER_BLOCK:
            # The best-sharing blocks, ties to the earliest (a stable sort of sorted
            # keys: deterministic, whatever order the sets iterated in).
            best = sorted(sorted(shared), key=shared.__getitem__, reverse=True)
            best = best[:CANDIDATES_PER_BLOCK]
        fam = old.families[i]
        for j in best:
            if fam == new.families[j]:
                out[i, j] = len(wi & new_words[j])
    return out


# -- steps 3–5 -----------------------------------------------------------------------


def _runs(indices: list[int]) -> list[list[int]]:
    """Maximal runs of consecutive integers in a sorted list."""
    runs: list[list[int]] = []
    for k in indices:
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _pieces(
    whole: frozenset[str], piece_sets: dict[int, frozenset[str]], cands: dict[int, int]
) -> tuple[float, tuple[int, ...]] | None:
    """The best run of 2+ consecutive pieces that together make up `whole`;
    `cands` holds the pieces mostly made of its words, with the words shared."""
    best: tuple[float, tuple[int, ...]] | None = None
    for run in _runs(sorted(cands)):
        if len(run) < 2:
            continue
        joined = frozenset().union(*(piece_sets[k] for k in run))
        score = dice(whole, joined)
        single = max(dice(whole, piece_sets[k], cands[k]) for k in run)
        if score >= SPLIT_THRESHOLD and score > single and (best is None or score > best[0]):
            best = (score, tuple(run))
    return best


def _find_splits(old: _Side, new: _Side, cands: dict[tuple[int, int], int]) -> list[Pair]:
    # Candidate pieces: pairs where one block is mostly made of the other's words.
    by_old: dict[int, dict[int, int]] = defaultdict(dict)
    by_new: dict[int, dict[int, int]] = defaultdict(dict)
    for (i, j), inter in cands.items():
        if inter >= PIECE_CONTAINMENT * len(new.words(j)):
            by_old[i][j] = inter
        if inter >= PIECE_CONTAINMENT * len(old.words(i)):
            by_new[j][i] = inter
    found: list[tuple[float, Pair]] = []
    for i, pieces in by_old.items():
        if len(pieces) > 1:
            hit = _pieces(old.words(i), {j: new.words(j) for j in pieces}, pieces)
            if hit:
                found.append((hit[0], Pair("split", (i,), hit[1], hit[0])))
    for j, pieces in by_new.items():
        if len(pieces) > 1:
            hit = _pieces(new.words(j), {i: old.words(i) for i in pieces}, pieces)
            if hit:
                found.append((hit[0], Pair("merge", hit[1], (j,), hit[0])))
    found.sort(key=lambda sp: (-sp[0], sp[1].old, sp[1].new))
    used_old: set[int] = set()
    used_new: set[int] = set()
    out = []
    for _, pair in found:
        if used_old.isdisjoint(pair.old) and used_new.isdisjoint(pair.new):
            used_old.update(pair.old)
            used_new.update(pair.new)
            out.append(pair)
    return out


def _greedy_pairs(
    old: _Side, new: _Side, cands: dict[tuple[int, int], int], threshold: float
) -> list[tuple[int, int, float]]:
    """One-to-one pairs, most similar first; ties broken by position, never by luck."""
    scored = []
    for (i, j), inter in cands.items():
        score = dice(old.words(i), new.words(j), inter)
        if score >= threshold:
            scored.append((-score, i, j))
    scored.sort()
    used_old: set[int] = set()
    used_new: set[int] = set()
    out = []
    for neg, i, j in scored:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            out.append((i, j, -neg))
    return out


def _regions(matches: list[tuple[int, int]], n: int, m: int) -> list[tuple[range, range]]:
    """The replaced regions between consecutive equal matches."""
    out = []
    prev_i = prev_j = -1
    for i, j in [*matches, (n, m)]:
        if i > prev_i + 1 or j > prev_j + 1:
            out.append((range(prev_i + 1, i), range(prev_j + 1, j)))
        prev_i, prev_j = i, j
    return out


def align_blocks(
    old_blocks: Sequence[Block],
    new_blocks: Sequence[Block],
    old_words: BlockWords | None = None,
    new_words: BlockWords | None = None,
) -> Alignment:
    """Align two block sequences; every block appears in exactly one Pair.

    Pass BlockWords to share the word sets (and counts) with the caller.
    """
    old, new = _Side(old_blocks, old_words), _Side(new_blocks, new_words)
    old_keys, new_keys = old.keys(), new.keys()
    matches = match_equal(old_keys, new_keys)
    make = Pair._make
    pairs = [make(("equal", (i,), (j,), 1.0)) for i, j in matches]
    regions = _regions(matches, len(old_blocks), len(new_blocks))
    free_old = {i for r, _ in regions for i in r}
    free_new = {j for _, r in regions for j in r}

    # Step 2: identical blocks elsewhere are moves, paired in document order.
    waiting: dict[Hashable, deque[int]] = defaultdict(deque)
    for i in sorted(free_old):
        waiting[old_keys[i]].append(i)
    for j in sorted(free_new):
        queue = waiting.get(new_keys[j])
        if queue:
            i = queue.popleft()
            pairs.append(Pair("move", (i,), (j,), 1.0))
            free_old.discard(i)
            free_new.discard(j)

    dissolved = False
    leftover = len(free_old) + len(free_new)
    if free_old and free_new and leftover > SIMILARITY_BLOCK_LIMIT:
        pairs.extend(Pair("delete", (i,), (), 0.0) for i in sorted(free_old))
        pairs.extend(Pair("insert", (), (j,), 0.0) for j in sorted(free_new))
        reason = (
            f"{leftover} blocks differ, more than the {SIMILARITY_BLOCK_LIMIT} searched for "
            "edits, moves, splits and merges: they are shown as removed and added"
        )
        return Alignment(pairs, (reason,))

    # Steps 3–4: splits, merges and one-to-one pairs inside each region.
    for old_range, new_range in regions:
        olds = [i for i in old_range if i in free_old]
        news = [j for j in new_range if j in free_new]
        if not olds or not news:
            continue
        if len(olds) == 1 and len(news) == 1:
            # The common case, one block edited in place: no split or merge possible.
            i, j = olds[0], news[0]
            if old.families[i] == new.families[j]:
                score = dice(old.words(i), new.words(j))
                # Distinct words never outnumber words: past the in-place size the
                # cached word sets settle it without counting repeated words.
                short = min(len(old.words(i)), len(new.words(j))) <= IN_PLACE_MAX_WORDS
                if score >= MODIFY_THRESHOLD or (
                    short and in_place_kin(old_blocks[i].text, new_blocks[j].text)
                ):
                    pairs.append(Pair("modify", (i,), (j,), score))
                    free_old.discard(i)
                    free_new.discard(j)
            continue
        cands = _candidates(old, new, olds, news)
        structural = _find_splits(old, new, cands)
        taken_old = {i for p in structural for i in p.old}
        taken_new = {j for p in structural for j in p.new}
        cands = {
            ij: v for ij, v in cands.items() if ij[0] not in taken_old and ij[1] not in taken_new
        }
        found = [
            Pair("modify", (i,), (j,), score)
            for i, j, score in _greedy_pairs(old, new, cands, MODIFY_THRESHOLD)
        ]
        # In-place pairs never cross: the longest in-order set of them stays in place;
        # a one-for-one pair that crosses it is a move, a crossing split or merge is
        # undone (its blocks stay free for the edited-move search).
        placed = sorted([*structural, *found], key=lambda p: (min(p.old), min(p.new)))
        in_order = set(_lis([(min(p.old), min(p.new)) for p in placed]))
        for pair in placed:
            if (min(pair.old), min(pair.new)) not in in_order:
                if pair.op != "modify":
                    dissolved = True  # its blocks may still pair as an edited move
                    continue
                pair = pair._replace(op="move")
            pairs.append(pair)
            free_old.difference_update(pair.old)
            free_new.difference_update(pair.new)

    # Step 5: edited blocks that travelled across the document. Within one region
    # every pair above MOVE_THRESHOLD was already offered to step 4 (which pairs
    # from MODIFY_THRESHOLD), so when the leftovers share a region there is
    # nothing new to find: two unrelated texts skip a second, costly search.
    region_of_old = {i: k for k, (r, _) in enumerate(regions) for i in r if i in free_old}
    region_of_new = {j: k for k, (_, r) in enumerate(regions) for j in r if j in free_new}
    one_region = len(set(region_of_old.values()) | set(region_of_new.values())) <= 1
    if free_old and free_new and not (one_region and not dissolved):
        cands = _candidates(old, new, sorted(free_old), sorted(free_new))
        for i, j, score in _greedy_pairs(old, new, cands, MOVE_THRESHOLD):
            pairs.append(Pair("move", (i,), (j,), score))
            free_old.discard(i)
            free_new.discard(j)

    pairs.extend(Pair("delete", (i,), (), 0.0) for i in sorted(free_old))
    pairs.extend(Pair("insert", (), (j,), 0.0) for j in sorted(free_new))
    return Alignment(pairs, ())

"""Fair debate positions: who argues which side or role, in which group, in which order.

Pure functions (standard library only: no Flask, no database) used by the
assignment views and by the teacher's redraw/lock/late-arrival controls.
DESIGN.md section 6 states the rules; this module is their implementation.

Formats
-------
``two-sides``     one group; the two sides ("pro"/"con") differ by at most one.
``small-groups``  ``G = max(1, min(round_half_up(n / group_size), n // 2))``
                  groups (so a group of one never happens), group sizes differ
                  by at most one (the larger groups get the low numbers), and
                  within each group the sides differ by at most one.
``roles``         one group; the motion's role keys; role sizes differ by at
                  most one.
``sac``           Structured Academic Controversy: quads made of two pairs;
                  ``position`` is the side the pair argues *first*.  Rule:
                  ``G = ceil(n / 4)`` groups, so every group is a quad or a
                  trio (a pair plus one student) -- e.g. 30 -> six quads and
                  two trios, 13 -> one quad and three trios -- except n = 5,
                  which is one group of five (a pair and a trio), because
                  ceil(5/4) = 2 groups would leave a lone pair.  Classes of
                  fewer than four students form one group.

``n`` counts every student of the draw: the present students plus locked ones
(at least 2, else :class:`DrawError`).
A lock that names a group beyond ``G`` adds groups up to that number (the lock
is honoured exactly; the other students are then spread over all groups).

Team capacities ("layout")
--------------------------
Locked students count toward their team and are never moved.  Group sizes and
then the team sizes inside each group are *water-filled* around the locks: the
largest level ``w`` with ``sum(max(locked, w)) <= total`` is found and the
remainder is spread one by one, so sizes differ by at most one and nobody is
moved onto a team that locks have already filled.  (Sizes can differ by more
than one only when the teacher's locks force it: a team made of locked
students alone, or a group whose locks need that many members for its sides
to stay within one of each other.)  What is left after the locks is, per
position ``p``, a number of *fixed* free places plus some *flexible* places
that may go to one position or another (the one extra member of an odd
group, or the ``n mod k`` extra role members).

Fairness objective
------------------
Placing student ``s`` on position ``p`` costs::

    cost(s, p) = A * [p in s.on_motion] + s.history[p]

with ``A`` larger than any total history difference, so the objective is
lexicographic: first the number of students who get a position they already
held on this motion (0 whenever the numbers allow), then term-history balance.
The history term is linear for a reason: giving ``p`` to a student who held
it ``h`` times raises that student's sum of squared per-position counts by
``2h + 1``, so minimising the total ``history[p]`` of the draw minimises the
sum over students of their squared counts after the draw, i.e. makes term
histories as even as possible -- whoever argued pro more often gets con, and
the most lopsided histories win when places are scarce.  Constants per
student (e.g. total debates) cancel out, because every student gets exactly
one position.  (For two positions the comparison is done on the pair
(repeats, history) directly, for roles with the integer ``A``.)

Algorithm and optimality
------------------------
This is a min-cost *transportation problem*: ``n`` students (supply 1) to
``k`` positions with capacity bounds.  Costs depend on the position only, not
on the group, so the problem is solved on positions and the chosen members
of each position are then dealt to that position's teams in seeded random
order (which group a student lands in does not change the cost).

* ``k == 2`` (two-sides, small-groups, sac, two-role motions).  The feasible
  number ``x`` of free students on the first side is an interval ``[lo, hi]``
  (fixed places plus 0..F flexible places).  Sort students by
  ``cost(pro) - cost(con)``; the first ``x`` go pro.  The total cost as a
  function of ``x`` is a prefix sum of a sorted sequence, hence convex, and is
  minimised by ``x`` = number of negative differences clamped to ``[lo, hi]``
  (when several ``x`` are equally good, the one closest to even sides).  An
  exchange argument shows the sorted prefix is optimal for each ``x``.
  Exact, ``O(n log n)``.
* ``k >= 3`` (roles).  Successive shortest paths (SSP) on the residual
  network students -> positions -> sink, with one extra node ``X`` that pools
  the flexible places.  Students are inserted one by one, each along a
  shortest augmenting path; that keeps the partial assignment optimal (no
  negative cycle) after every insertion, in any insertion order, so the
  final assignment is an exact optimum.  Paths only need the ``k`` position
  nodes (+ ``X``): the arc ``p -> q`` is "move the member of ``p`` who loses
  least by moving to ``q``", kept in ``k * (k - 1)`` lazy heaps, and
  Bellman-Ford runs on ``k + 1`` nodes.  Two accelerations, both exact:
  students with identical cost rows are one *type* and travel together (a
  path carries as many as its bottleneck allows: a whole class with no
  history is a handful of augmentations); and when a student's cheapest
  position still has room, that single arc *is* a shortest path (any detour
  continues with an exchange chain of cost >= 0, because the current
  assignment is optimal), so those students are placed first in ``O(k)``
  each and only the rest need real paths and the heaps.  Worst case
  ``O(n * k^2 * (k + log n))`` time, ``O(n k)`` memory -- no dense
  ``n x n`` matrix (the Hungarian method would be ``O(n^3)``), no LP solver.

The solution is optimal for the water-filled layout; without locks every
layout of a format is the same up to renaming groups, so then it is the
global optimum over all fair draws.

Determinism
-----------
All randomness comes from one ``random.Random(seed)``, consumed in a fixed
order: students are sorted by id and then shuffled, and that shuffled rank
breaks every tie (equal costs, which groups take the flexible places, the
dealing into groups, speaking order).  The same inputs and seed give the
same draw whatever the order of ``students`` and ``locked``.

Speaking order
--------------
1..size within each team (same group and position), seeded random; a locked
student keeps their locked speaking order when it is still a free slot in
1..size, otherwise they are renumbered like everyone else.

``place_late`` adds latecomers without touching anyone else: each joins the
smallest group's smallest team (ties: the position that suits the student
best by the same cost, then the lowest group number, then the seed) and
speaks after the team's last speaker.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from typing import Iterable, Mapping, Sequence

__all__ = [
    "FORMATS",
    "Student",
    "Placement",
    "DrawError",
    "draw",
    "place_late",
    "team_sizes",
    "group_count",
]

FORMATS = ("two-sides", "small-groups", "roles", "sac")
_SINGLE_GROUP = ("two-sides", "roles")
_INF = math.inf
_HEAPS_AFTER = 8  # augmenting paths found by rescanning before _augment builds its heaps


@dataclass(frozen=True)
class Student:
    id: int
    # how many times this student held each position key in this class this term (any motion)
    history: Mapping[str, int] = field(default_factory=dict)
    # position keys this student already held on THIS motion (earlier assignments)
    on_motion: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Placement:
    student_id: int
    position: str  # side key ("pro"/"con") or, for "roles", a role key
    group: int  # 1-based group number; 1 for two-sides and roles
    speaking_order: int  # 1-based order within the team (same group and position)


class DrawError(ValueError):
    """The draw cannot be made as asked (the message says why, for the teacher)."""


def team_sizes(placements: Iterable[Placement]) -> dict[tuple[int, str], int]:
    """(group, position) -> number of students.  Teams with no member are absent."""
    sizes: dict[tuple[int, str], int] = {}
    for pl in placements:
        key = (pl.group, pl.position)
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


# ---------------------------------------------------------------------------
# validation


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise DrawError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _check_positions(fmt: str, positions: Sequence[str]) -> list[str]:
    if isinstance(positions, str):
        raise DrawError("positions must be a list of keys such as ['pro', 'con'], not one string")
    keys = list(positions or ())
    if not keys:
        raise DrawError("no positions to assign: give the sides or the motion's roles")
    for key in keys:
        if not isinstance(key, str) or not key:
            raise DrawError(f"position keys must be non-empty strings, got {key!r}")
    if len(set(keys)) != len(keys):
        raise DrawError(f"duplicate position keys in {keys!r}")
    if fmt != "roles" and len(keys) != 2:
        raise DrawError(f"format {fmt!r} needs exactly two sides (e.g. ['pro', 'con']), got {len(keys)}")
    return keys


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DrawError(f"seed must be an integer, got {seed!r}")


def _check_group_size(fmt: str, group_size: int | None, required: bool) -> None:
    if fmt != "small-groups":
        return
    if group_size is None:
        if required:
            raise DrawError("small-groups needs a group_size (2 or more)")
        return
    if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 2:
        raise DrawError(f"group_size must be a whole number of at least 2, got {group_size!r}")


def _check_placements(fmt: str, placements: Sequence[Placement], index: dict[str, int], what: str):
    seen: set[int] = set()
    for pl in placements:
        if pl.position not in index:
            raise DrawError(f"{what} student {pl.student_id} has position {pl.position!r}, "
                            f"which is not one of {list(index)}")
        if isinstance(pl.group, bool) or not isinstance(pl.group, int) or pl.group < 1:
            raise DrawError(f"{what} student {pl.student_id} has group {pl.group!r}; groups start at 1")
        if fmt in _SINGLE_GROUP and pl.group != 1:
            raise DrawError(f"{what} student {pl.student_id} is in group {pl.group}, "
                            f"but {fmt} has a single group (1)")
        if pl.student_id in seen:
            raise DrawError(f"student {pl.student_id} appears twice among the {what} placements")
        seen.add(pl.student_id)
    return seen


def _unique_students(students: Sequence[Student]) -> list[Student]:
    ordered = sorted(students, key=lambda s: s.id)
    for a, b in zip(ordered, ordered[1:]):
        if a.id == b.id:
            raise DrawError(f"student {a.id} is listed twice")
    return ordered


# ---------------------------------------------------------------------------
# layout: how many groups, and how many places each team has


def group_count(fmt: str, n: int, group_size: int | None = None) -> int:
    """Number of groups the format uses for ``n`` students (before locks)."""
    if fmt in _SINGLE_GROUP or n <= 0:
        return 1
    if fmt == "small-groups":
        if group_size is None or group_size < 2:
            raise DrawError("small-groups needs a group_size (2 or more)")
        rounded = (2 * n + group_size) // (2 * group_size)  # round half up, in integers
        return max(1, min(rounded, n // 2))
    if fmt == "sac":
        return 1 if n == 5 else max(1, -(-n // 4))
    raise DrawError(f"unknown format {fmt!r}")


def _water_fill(total: int, lower: Sequence[int]) -> tuple[list[int], list[int], int]:
    """Spread ``total`` over ``len(lower)`` bins, bin i getting at least ``lower[i]``,
    as evenly as possible.  Returns (caps, eligible, r): ``caps[i] = max(lower[i], w)``
    for the largest level ``w`` with ``sum(caps) <= total``; the ``r`` leftover units
    (``r < len(eligible)``) go one each to some of the bins in ``eligible``
    (those with ``lower[i] <= w``)."""
    nonzero = [v for v in lower if v > 0]
    zeros = len(lower) - len(nonzero)

    def filled(w: int) -> int:
        return w * zeros + sum(v if v > w else w for v in nonzero)

    lo, hi = 0, total  # filled(0) == sum(lower) <= total
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if filled(mid) <= total:
            lo = mid
        else:
            hi = mid - 1
    w = lo
    caps = [v if v > w else w for v in lower]
    eligible = [i for i, v in enumerate(lower) if v <= w]
    return caps, eligible, total - sum(caps)


def _balanced_min_size(locked: Sequence[int]) -> int:
    """Smallest group size whose teams can differ by at most one and still hold the locks."""
    top = max(locked)
    if top == 0:
        return 0
    return len(locked) * (top - 1) + sum(1 for v in locked if v == top)


class _Layout:
    """Free places per team: ``base[g][p]`` fixed free places in group g (0-based
    here) for position p, plus ``r[g]`` flexible places that go one each to
    distinct positions of ``elig[g]``."""

    __slots__ = ("groups", "base", "elig", "r")

    def __init__(self, groups: int, base, elig, r):
        self.groups = groups
        self.base = base
        self.elig = elig
        self.r = r


def _layout(fmt: str, n_total: int, k: int, locked_counts: dict[tuple[int, int], int],
            group_size: int | None) -> _Layout:
    groups = group_count(fmt, n_total, group_size)
    if locked_counts:
        groups = max(groups, max(g for g, _ in locked_counts))
    locks = [[0] * k for _ in range(groups)]
    for (g, p), c in locked_counts.items():
        locks[g - 1][p] = c
    if groups == 1:
        sizes = [n_total]
    else:
        lower = [_balanced_min_size(row) for row in locks]
        if sum(lower) > n_total:  # the locks themselves make balanced teams impossible
            lower = [sum(row) for row in locks]
        caps, eligible, extra = _water_fill(n_total, lower)
        sizes = caps
        for g in eligible[:extra]:  # the larger groups get the low numbers
            sizes[g] += 1
    base, elig, r = [], [], []
    for g in range(groups):
        row, size = locks[g], sizes[g]
        if any(row):
            caps, eligible, extra = _water_fill(size, row)
            base.append([caps[p] - row[p] for p in range(k)])
            elig.append(eligible)
            r.append(extra)
        else:
            base.append([size // k] * k)
            elig.append(list(range(k)))
            r.append(size % k)
    return _Layout(groups, base, elig, r)


# ---------------------------------------------------------------------------
# solvers


def _solve_two(free: Sequence[Student], keys: Sequence[str], lo: int, hi: int,
               rng: random.Random) -> tuple[list[int], list[int]]:
    """Exact optimum for two positions.  Returns (indices on keys[0], indices on keys[1])."""
    p0, p1 = keys
    order = []
    append = order.append
    for i, s in enumerate(free):
        om = s.on_motion
        h = s.history
        append(((p0 in om) - (p1 in om), h.get(p0, 0) - h.get(p1, 0), i))
    order.sort()
    negative = bisect_left(order, (0, 0, -1))  # strictly prefer keys[0]
    non_positive = bisect_left(order, (0, 1, -1))  # prefer keys[0] or indifferent
    if non_positive < lo:
        x = lo
    elif negative > hi:
        x = hi
    else:
        a, b = max(negative, lo), min(non_positive, hi)
        # equally good counts: keep the sides as even as the flexible places allow
        if 2 * a >= lo + hi:
            x = a
        elif 2 * b <= lo + hi:
            x = b
        elif (lo + hi) % 2 == 0:
            x = (lo + hi) // 2
        else:
            x = rng.choice(((lo + hi) // 2, (lo + hi) // 2 + 1))
    first = [t[2] for t in order[:x]]
    second = [t[2] for t in order[x:]]
    return first, second


def _solve_many(costs: list[list[int]], base: list[int], elig: Sequence[int], r: int,
                prio: Sequence[int]) -> list[int]:
    """Exact min-cost assignment of ``len(costs)`` students to k positions:
    position p takes ``base[p]`` students, plus one more for ``r`` of the positions
    in ``elig``.  Returns each student's position index.

    Successive shortest paths (see the module docstring) over student *types*:
    students with the same cost row are interchangeable, so they are inserted
    together and a path carries as many of them as its bottleneck allows.  Types
    whose cheapest position is already full are set aside and inserted after
    all the others (SSP is exact in any insertion order), so the exchange heaps
    are built once and only maintained while real augmenting paths are needed.
    In the end the members of a type are dealt to its positions in index
    (seeded rank) order, positions in ``prio`` order."""
    k = len(base)
    type_index: dict[tuple[int, ...], int] = {}
    rows: list[list[int]] = []
    members: list[list[int]] = []
    for i, row in enumerate(costs):
        key = tuple(row)
        t = type_index.get(key)
        if t is None:
            type_index[key] = len(rows)
            rows.append(row)
            members.append([i])
        else:
            members[t].append(i)

    held: list[dict[int, int]] = [{} for _ in range(k)]  # held[p][type] = how many
    cnt = [0] * k
    is_elig = [False] * k
    for p in elig:
        is_elig[p] = True
    used = 0  # flexible places in use == sum(max(0, cnt[p] - base[p]))
    prange = range(k)

    # Phase 1: every type whose cheapest position has room goes there (for one
    # student that single arc is a shortest path: any detour continues with an
    # exchange chain of cost >= 0, because the assignment so far is optimal).
    pending: list[tuple[int, int]] = []
    for t, c in enumerate(rows):
        remaining = len(members[t])
        best = min(c)
        unique = c.count(best) == 1
        while remaining:
            if unique:
                choice = c.index(best)
                cp = cnt[choice]
                if not (cp < base[choice] or (cp == base[choice] and is_elig[choice] and used < r)):
                    choice = -1
            else:
                choice = _cheapest_with_room(c, best, cnt, base, is_elig, used < r, prio)
            if choice < 0:
                pending.append((t, remaining))
                break
            old = cnt[choice]
            b = base[choice]
            amount = b - old if old < b else 1  # fixed places, or one flexible place
            if amount > remaining:
                amount = remaining
            hp = held[choice]
            hp[t] = hp.get(t, 0) + amount
            cnt[choice] = old + amount
            if old + amount > b:
                used += 1
            remaining -= amount

    if pending:
        _augment(rows, pending, held, cnt, base, is_elig, used, r, prio)

    pos = [0] * len(costs)
    start = [0] * len(rows)
    for p in sorted(prange, key=prio.__getitem__):  # deal each type's members to its positions
        for t, amount in held[p].items():
            s = start[t]
            for i in members[t][s:s + amount]:
                pos[i] = p
            start[t] = s + amount
    return pos


def _cheapest_with_room(c: list[int], best: int, cnt: list[int], base: list[int],
                        is_elig: list[bool], flexible_left: bool, prio: Sequence[int]) -> int:
    """The cheapest position that has room (ties: the emptiest, then the seeded
    position order), or -1 when every cheapest position is full."""
    choice = -1
    for p in range(len(c)):
        if c[p] == best:
            cp = cnt[p]
            if cp < base[p] or (cp == base[p] and is_elig[p] and flexible_left):
                if choice < 0 or cp < cnt[choice] or (cp == cnt[choice] and prio[p] < prio[choice]):
                    choice = p
    return choice


def _augment(rows, pending, held, cnt, base, is_elig, used, r, prio) -> None:
    """Phase 2 of :func:`_solve_many`: insert the pending types along shortest
    augmenting paths.  Mutates ``held`` and ``cnt``."""
    k = len(base)
    prange = range(k)
    X = k  # the node pooling the flexible places
    arc: list[list[tuple[int, int] | None]] = [[None] * k for _ in prange]
    dirty = set(prange)  # positions whose outgoing exchange arcs must be recomputed
    # heaps[p][q]: (cost[q] - cost[p], type) for the types held by p (lazy deletion).
    # Built only once real augmenting paths turn out to be frequent: until then a
    # rescan of the changed positions is cheaper than building and maintaining them.
    heaps: list[list[list[tuple[int, int]]]] | None = None
    augmentations = 0

    def build_heaps() -> list[list[list[tuple[int, int]]]]:
        built: list[list[list[tuple[int, int]]]] = [[[] for _ in prange] for _ in prange]
        for p in prange:
            hp = built[p]
            for u in held[p]:
                row = rows[u]
                cp = row[p]
                for q in prange:
                    if q != p:
                        hp[q].append((row[q] - cp, u))
        for hrow in built:
            for h in hrow:
                heapify(h)
        return built

    def change(t: int, p: int, amount: int) -> None:
        """held[p][t] += amount (amount may be negative), keeping cnt, used, heaps."""
        nonlocal used
        hp = held[p]
        before = hp.get(t, 0)
        after = before + amount
        if after:
            hp[t] = after
        else:
            del hp[t]
        old = cnt[p]
        new = old + amount
        cnt[p] = new
        b = base[p]
        used += (new - b if new > b else 0) - (old - b if old > b else 0)
        dirty.add(p)
        if not before and heaps is not None:
            row = rows[t]
            cp = row[p]
            hq = heaps[p]
            for q in prange:
                if q != p:
                    heappush(hq[q], (row[q] - cp, t))

    for t, remaining in pending:
        c = rows[t]
        best = min(c)
        while remaining:
            choice = _cheapest_with_room(c, best, cnt, base, is_elig, used < r, prio)
            if choice >= 0:
                b = base[choice]
                amount = b - cnt[choice] if cnt[choice] < b else 1
                amount = min(amount, remaining)
                change(t, choice, amount)
                remaining -= amount
                continue

            # exchange arcs p -> q: move members of the type that loses least
            augmentations += 1
            if heaps is None and augmentations > _HEAPS_AFTER:
                heaps = build_heaps()
                dirty.update(prange)
            for p in dirty:
                hp = held[p]
                ap = arc[p]
                if heaps is None:  # rescan the types that p holds
                    types = list(hp)
                    type_rows = [rows[u] for u in types]
                    for q in prange:
                        if q != p:
                            if types:
                                gains = [w[q] - w[p] for w in type_rows]
                                least = min(gains)
                                ap[q] = (least, types[gains.index(least)])
                            else:
                                ap[q] = None
                    continue
                hh = heaps[p]
                for q in prange:
                    if q != p:
                        h = hh[q]
                        while h and h[0][1] not in hp:
                            heappop(h)
                        ap[q] = h[0] if h else None
            dirty.clear()

            dist: list[float] = list(c) + [_INF]
            pred = [-1] * (k + 1)
            changed = True
            while changed:  # Bellman-Ford on k + 1 nodes (no negative cycles: optimal so far)
                changed = False
                for p in prange:
                    dp = dist[p]
                    ap = arc[p]
                    for q in prange:
                        a = ap[q]
                        if a is not None and dp + a[0] < dist[q]:
                            dist[q] = dp + a[0]
                            pred[q] = p
                            changed = True
                    if is_elig[p] and cnt[p] == base[p] and dp < dist[X]:
                        dist[X] = dp  # p takes a flexible place
                        pred[X] = p
                        changed = True
                dx = dist[X]
                if dx < _INF:
                    for q in prange:  # q gives its flexible place up, so must shed a member
                        if cnt[q] == base[q] + 1 and dx < dist[q]:
                            dist[q] = dx
                            pred[q] = X
                            changed = True

            end = -1
            end_key = None
            for p in prange:
                if cnt[p] < base[p]:
                    key = (dist[p], 0, prio[p])
                    if end_key is None or key < end_key:
                        end, end_key = p, key
            if used < r:
                key = (dist[X], 1, 0)
                if end_key is None or key < end_key:
                    end, end_key = X, key
            if end < 0 or end_key[0] == _INF:  # pragma: no cover - capacities always add up
                raise AssertionError("no augmenting path; layout capacities are inconsistent")

            chain = []
            node = end
            while node != -1:
                chain.append(node)
                node = pred[node]
            chain.reverse()
            # bottleneck: students left of this type, room at the end, movable members
            amount = 1 if end == X else min(remaining, base[end] - cnt[end])
            moves = []
            for u, v in zip(chain, chain[1:]):
                if u == X or v == X:
                    amount = 1  # one flexible place changes hands
                else:
                    mover = arc[u][v][1]
                    moves.append((u, v, mover))
                    amount = min(amount, held[u][mover])
            for u, v, mover in moves:
                change(mover, u, -amount)
                change(mover, v, amount)
            change(t, chain[0], amount)
            remaining -= amount
    assert used == r and all(base[p] <= cnt[p] <= base[p] + is_elig[p] for p in prange)


def _shuffled(items: Sequence, rng: random.Random) -> list:
    """A seeded random permutation (sorting by random keys: much faster than
    random.shuffle for thousands of items, and just as reproducible)."""
    rand = rng.random
    keys = [rand() for _ in range(len(items))]
    return [items[i] for i in sorted(range(len(items)), key=keys.__getitem__)]


def _cost_matrix(free: Sequence[Student], keys: Sequence[str]) -> list[list[int]]:
    """cost(s, p) = A * [p held on this motion] + history[p], with A above any
    possible total history difference (lexicographic objective)."""
    zeros = [0] * len(keys)
    rows = [list(map(s.history.get, keys, zeros)) for s in free]
    big = 1 + sum(map(max, rows)) - sum(map(min, rows))  # > sum of per-student spreads
    index = {key: p for p, key in enumerate(keys)}
    for s, row in zip(free, rows):
        for key in s.on_motion:
            p = index.get(key)
            if p is not None:
                row[p] += big
    return rows


# ---------------------------------------------------------------------------
# public API


def draw(fmt: str, students: Sequence[Student], *, positions: Sequence[str], seed: int,
         group_size: int | None = None, locked: Sequence[Placement] = ()) -> list[Placement]:
    """Assign every present student (and every locked student) one position, group
    and speaking order.  Sorted by (group, position order, speaking_order)."""
    _check_format(fmt)
    keys = _check_positions(fmt, positions)
    _check_seed(seed)
    _check_group_size(fmt, group_size, required=True)
    index = {key: i for i, key in enumerate(keys)}
    locked = sorted(locked, key=lambda pl: pl.student_id)
    locked_ids = _check_placements(fmt, locked, index, "locked")
    free = [s for s in _unique_students(students) if s.id not in locked_ids]
    n_total = len(free) + len(locked)
    if n_total < 2:
        raise DrawError(f"too few students for a debate: {n_total} (at least 2 are needed)")
    k = len(keys)

    rng = random.Random(seed)
    free = _shuffled(free, rng)  # sorted by id above, so the rank depends on the seed only
    prio = list(range(k))
    rng.shuffle(prio)

    locked_counts: dict[tuple[int, int], int] = {}
    for pl in locked:
        gp = (pl.group, index[pl.position])
        locked_counts[gp] = locked_counts.get(gp, 0) + 1
    lay = _layout(fmt, n_total, k, locked_counts, group_size)
    G = lay.groups

    # how many free places each team gets, and who takes them
    team_caps = [row[:] for row in lay.base]
    members: list[list[int]]  # per position: indices into `free`
    if k == 1:
        members = [list(range(len(free)))]
        for g in range(G):
            team_caps[g][0] += lay.r[g]
    elif k == 2:
        lo = sum(row[0] for row in lay.base)
        flexible = [g for g in range(G) if lay.r[g]]
        first, second = _solve_two(free, keys, lo, lo + len(flexible), rng)
        first.sort()  # back to the seeded rank: dealing and speaking order are random
        second.sort()
        to_first = len(first) - lo
        chosen = set(rng.sample(flexible, to_first))  # k == 2: r <= 1, both sides eligible
        for g in flexible:
            team_caps[g][0 if g in chosen else 1] += 1
        members = [first, second]
    else:  # roles: one group
        costs = _cost_matrix(free, keys)
        pos = _solve_many(costs, lay.base[0], lay.elig[0], lay.r[0], prio)
        members = [[] for _ in range(k)]
        for i, p in enumerate(pos):
            members[p].append(i)
        for p in range(k):
            team_caps[0][p] = len(members[p])

    # deal each position's members to its teams, then number the speakers
    locked_by_team: dict[tuple[int, int], list[Placement]] = {}
    for pl in locked:
        locked_by_team.setdefault((pl.group - 1, index[pl.position]), []).append(pl)
    teams: list[list[list[int]]] = [[[] for _ in range(k)] for _ in range(G)]
    for p in range(k):
        ids = [free[i].id for i in members[p]]  # in seeded rank order
        start = 0
        for g in range(G):
            cap = team_caps[g][p]
            teams[g][p] = ids[start:start + cap]
            start += cap
        assert start == len(ids), "team capacities do not match the solver's counts"

    out: list[Placement] = []
    append = out.append
    for g in range(G):
        for p in range(k):
            team = teams[g][p]
            key = keys[p]
            locks = locked_by_team.get((g, p))
            if not locks:
                for order, sid in enumerate(team, 1):
                    append(Placement(sid, key, g + 1, order))
                continue
            size = len(team) + len(locks)
            slots: list[int | None] = [None] * (size + 1)
            rest = []
            for pl in sorted(locks, key=lambda pl: (pl.speaking_order, pl.student_id)):
                so = pl.speaking_order
                if isinstance(so, int) and 1 <= so <= size and slots[so] is None:
                    slots[so] = pl.student_id
                else:
                    rest.append(pl.student_id)
            if rest:  # locked students whose old slot is gone speak at a random turn
                deferred, rest = rest, list(team)
                for sid in deferred:
                    rest.insert(rng.randrange(len(rest) + 1), sid)
            else:
                rest = team
            it = iter(rest)
            for order in range(1, size + 1):
                sid = slots[order]
                append(Placement(next(it) if sid is None else sid, key, g + 1, order))
    return out


def place_late(fmt: str, current: Sequence[Placement], newcomers: Sequence[Student], *,
               positions: Sequence[str], seed: int, group_size: int | None = None) -> list[Placement]:
    """Placements for ``newcomers`` only; ``current`` is left exactly as it is.

    Each newcomer (in seeded order) joins the smallest group's smallest team;
    ties go to the position that suits the student best (not held on this
    motion, then least held this term), then the lowest group number, then the
    seed.  They speak after the team's current last speaker.  No new group is
    opened, so the debates already under way are not disturbed (``group_size``
    is accepted for symmetry with :func:`draw` and only validated).
    """
    _check_format(fmt)
    keys = _check_positions(fmt, positions)
    _check_seed(seed)
    _check_group_size(fmt, group_size, required=False)
    index = {key: i for i, key in enumerate(keys)}
    placed = _check_placements(fmt, current, index, "current")
    arrivals = _unique_students(newcomers)
    for s in arrivals:
        if s.id in placed:
            raise DrawError(f"student {s.id} already has a position in this draw")
    if not arrivals:
        return []

    groups = sorted({pl.group for pl in current}) or [1]
    if fmt in _SINGLE_GROUP:
        groups = [1]
    size = {(g, p): 0 for g in groups for p in keys}
    last = dict.fromkeys(size, 0)
    group_total = dict.fromkeys(groups, 0)
    for pl in current:
        gp = (pl.group, pl.position)
        size[gp] += 1
        group_total[pl.group] += 1
        if pl.speaking_order > last[gp]:
            last[gp] = pl.speaking_order

    rng = random.Random(seed)
    rng.shuffle(arrivals)
    out = []
    for s in arrivals:
        fit = {p: (p in s.on_motion, s.history.get(p, 0)) for p in keys}
        tiebreak = {gp: rng.random() for gp in size}
        g, p = min(size, key=lambda gp: (group_total[gp[0]], size[gp], fit[gp[1]], gp[0], tiebreak[gp]))
        size[(g, p)] += 1
        group_total[g] += 1
        last[(g, p)] += 1
        out.append(Placement(s.id, p, g, last[(g, p)]))
    out.sort(key=lambda pl: (pl.group, index[pl.position], pl.speaking_order))
    return out

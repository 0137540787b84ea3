"""Tests for debatekit.positions: property-based (hypothesis) and exact examples."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from debatekit import positions as P
from debatekit.positions import FORMATS, DrawError, Placement, Student, draw, place_late, team_sizes

SIDES = ("pro", "con")
ROLES = ("senator", "minister", "ngo", "mayor", "resident")
GROUP_SIZES = (2, 3, 4, 5)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------
# helpers


def keys_for(fmt, n_roles=len(ROLES)):
    return ROLES[:n_roles] if fmt == "roles" else SIDES


def make_class(n, rnd, keys, *, hist_max=4, p_on_motion=0.3):
    ids = rnd.sample(range(1, 10 * n + 10), n)
    students = []
    for sid in ids:
        history = {p: rnd.randint(0, hist_max) for p in keys if rnd.random() < 0.8}
        on_motion = frozenset(p for p in keys if rnd.random() < p_on_motion / len(keys) * 2)
        students.append(Student(sid, history, on_motion))
    return students


def groups_of(result):
    return sorted({pl.group for pl in result})


def team_table(result, keys):
    """{group: {position: [placements]}} with every position present for every group."""
    table = {}
    for g in groups_of(result) or [1]:
        table[g] = {p: [] for p in keys}
    for pl in result:
        table[pl.group][pl.position].append(pl)
    return table


def min_balanced_size(locked_counts):
    """Smallest group size whose teams differ by <= 1 and can hold these locks (brute force)."""
    k = len(locked_counts)
    s = sum(locked_counts)
    while True:
        a, b = divmod(s, k)
        if all(c <= a + 1 for c in locked_counts) and sum(c == a + 1 for c in locked_counts) <= b:
            return s
        s += 1


def expected_groups(fmt, n, group_size):
    if fmt in ("two-sides", "roles"):
        return 1
    if fmt == "small-groups":
        g = int(n / group_size + 0.5)  # round half up
        return max(1, min(g, n // 2))
    if n == 5:
        return 1
    return max(1, -(-n // 4))


def check_basic(fmt, keys, present, locked, result):
    """Everyone present or locked placed once, nobody else; locks kept; speaking orders 1..size; sorted."""
    locked_by_id = {pl.student_id: pl for pl in locked}
    want = {s.id for s in present} | set(locked_by_id)
    got = [pl.student_id for pl in result]
    assert len(got) == len(set(got)), "a student was placed twice"
    assert set(got) == want
    for pl in result:
        assert pl.position in keys
        if pl.student_id in locked_by_id:
            lk = locked_by_id[pl.student_id]
            assert (pl.position, pl.group) == (lk.position, lk.group)
        if fmt in ("two-sides", "roles"):
            assert pl.group == 1
    for g, teams in team_table(result, keys).items():
        for p, members in teams.items():
            assert sorted(m.speaking_order for m in members) == list(range(1, len(members) + 1))
    order = {p: i for i, p in enumerate(keys)}
    sort_key = [(pl.group, order[pl.position], pl.speaking_order) for pl in result]
    assert sort_key == sorted(sort_key)


def check_balance(fmt, keys, locked, result, *, strict):
    """Sizes differ by at most one.  With arbitrary locks (strict=False) a team or group may
    be larger only when the teacher's locks force it."""
    locked_ids = {pl.student_id for pl in locked}
    table = team_table(result, keys)
    for g, teams in table.items():
        sizes = {p: len(m) for p, m in teams.items()}
        for a in keys:
            for b in keys:
                if sizes[a] > sizes[b] + 1:
                    assert not strict, f"group {g}: team sizes {sizes}"
                    assert all(m.student_id in locked_ids for m in teams[a]), f"group {g}: {sizes}"
    if fmt in ("small-groups", "sac"):
        gsize = {g: sum(len(m) for m in teams.values()) for g, teams in table.items()}
        for g in gsize:
            for h in gsize:
                if gsize[g] > gsize[h] + 1:
                    assert not strict, f"group sizes {gsize}"
                    lcounts = [sum(m.student_id in locked_ids for m in table[g][p]) for p in keys]
                    assert gsize[g] == min_balanced_size(lcounts) or sum(lcounts) == gsize[g]


def cost_of(student, position):
    """(repeat on this motion, term history count) -- the lexicographic objective."""
    return (int(position in student.on_motion), student.history.get(position, 0))


def total_cost(students, assignment):
    rep = sum(cost_of(s, p)[0] for s, p in zip(students, assignment))
    hist = sum(cost_of(s, p)[1] for s, p in zip(students, assignment))
    return rep, hist


def result_cost(students, result):
    by_id = {pl.student_id: pl.position for pl in result}
    return total_cost(students, [by_id[s.id] for s in students])


# ---------------------------------------------------------------------------
# hypothesis strategies


@st.composite
def cases(draw_, fmt, max_n=200, lock_mode=None):
    n_roles = draw_(st.integers(1, len(ROLES))) if fmt == "roles" else 2
    keys = keys_for(fmt, n_roles)
    n = draw_(st.integers(0, max_n))
    gen_seed = draw_(st.integers(0, 2**32 - 1))
    p_absent = draw_(st.sampled_from([0.0, 0.1, 0.3]))
    group_size = draw_(st.sampled_from(GROUP_SIZES))
    seed = draw_(st.integers(-(2**40), 2**40))
    mode = lock_mode or draw_(st.sampled_from(["none", "prior", "any"]))
    rnd = random.Random(gen_seed)
    everyone = make_class(n, rnd, keys, hist_max=draw_(st.sampled_from([0, 1, 4])))
    present = [s for s in everyone if rnd.random() >= p_absent]
    locked = []
    n_total = len(present)
    if mode == "prior" and n_total >= 2:
        # the teacher locks some students of the current draw, then redraws the same class
        prior = draw(fmt, present, positions=keys, seed=seed + 1, group_size=group_size)
        locked = rnd.sample(prior, rnd.randint(0, max(0, len(prior) // 3)))
    elif mode == "any" and everyone:
        groups = expected_groups(fmt, max(n_total, 2), group_size)
        for s in rnd.sample(everyone, rnd.randint(0, min(len(everyone), 6))):
            g = 1 if fmt in ("two-sides", "roles") else rnd.randint(1, groups + 1)
            locked.append(Placement(s.id, rnd.choice(keys), g, rnd.randint(1, 4)))
    return dict(fmt=fmt, keys=keys, everyone=everyone, present=present, locked=locked,
                group_size=group_size, seed=seed, mode=mode)


def run_case(c):
    return draw(c["fmt"], c["present"], positions=c["keys"], seed=c["seed"],
                group_size=c["group_size"], locked=c["locked"])


def n_total(c):
    return len({s.id for s in c["present"]} | {pl.student_id for pl in c["locked"]})


# ---------------------------------------------------------------------------
# properties of draw, for every format


@pytest.mark.parametrize("fmt", FORMATS)
@FAST
@given(data=st.data())
def test_draw_places_everyone_once_balanced_and_reproducible(fmt, data):
    c = data.draw(cases(fmt))
    if n_total(c) < 2:
        with pytest.raises(DrawError):
            run_case(c)
        return
    result = run_case(c)
    check_basic(fmt, c["keys"], c["present"], c["locked"], result)
    check_balance(fmt, c["keys"], c["locked"], result, strict=c["mode"] != "any")

    # absent students (not locked) get nothing
    present_or_locked = {s.id for s in c["present"]} | {pl.student_id for pl in c["locked"]}
    absent = {s.id for s in c["everyone"]} - present_or_locked
    assert not absent & {pl.student_id for pl in result}

    # group count and sizes follow the format's rule (locks may only add groups)
    if c["mode"] != "any":
        n = n_total(c)
        assert len(groups_of(result)) == expected_groups(fmt, n, c["group_size"])
        sizes = Counter(pl.group for pl in result).values()
        if fmt == "sac" and n >= 4:
            assert min(sizes) >= 3, "SAC never makes a group of one or two"
        if fmt == "small-groups":
            assert min(sizes) >= 2, "small-groups never makes a group of one"

    # same seed, same draw -- also with students and locks given in another order
    shuffled = list(c["present"])
    random.Random(1).shuffle(shuffled)
    again = draw(fmt, shuffled, positions=c["keys"], seed=c["seed"], group_size=c["group_size"],
                 locked=list(reversed(c["locked"])))
    assert again == result
    # a locked student may also be passed among the students: still placed once
    if c["locked"]:
        present_ids = {s.id for s in c["present"]}
        extra = [Student(pl.student_id) for pl in c["locked"] if pl.student_id not in present_ids]
        assert draw(fmt, c["present"] + extra, positions=c["keys"], seed=c["seed"],
                    group_size=c["group_size"], locked=c["locked"]) == result


@pytest.mark.parametrize("fmt", FORMATS)
@QUICK
@given(n=st.integers(6, 120), gen_seed=st.integers(0, 10**9))
def test_different_seeds_can_differ(fmt, n, gen_seed):
    keys = keys_for(fmt, 3)
    students = make_class(n, random.Random(gen_seed), keys, hist_max=1)
    draws = {tuple(draw(fmt, students, positions=keys, seed=s, group_size=3)) for s in range(8)}
    assert len(draws) > 1


@pytest.mark.parametrize("fmt", ["two-sides", "small-groups", "sac"])
@FAST
@given(half=st.integers(1, 100), gen_seed=st.integers(0, 10**9), s1=st.integers(0, 10**6),
       s2=st.integers(0, 10**6), group_size=st.sampled_from(GROUP_SIZES))
def test_second_draw_on_motion_gives_everyone_the_other_side(fmt, half, gen_seed, s1, s2, group_size):
    rnd = random.Random(gen_seed)
    students = make_class(2 * half, rnd, SIDES, p_on_motion=0)  # term histories still vary
    first = draw(fmt, students, positions=SIDES, seed=s1, group_size=group_size)
    held = {pl.student_id: pl.position for pl in first}
    again = [Student(s.id, s.history, frozenset([held[s.id]])) for s in students]
    second = draw(fmt, again, positions=SIDES, seed=s2, group_size=group_size)
    assert all(pl.position != held[pl.student_id] for pl in second)


@pytest.mark.parametrize("fmt", ["two-sides", "small-groups", "sac"])
@FAST
@given(n=st.integers(2, 150), gen_seed=st.integers(0, 10**9), seed=st.integers(0, 10**6),
       group_size=st.sampled_from(GROUP_SIZES))
def test_side_history_is_balanced_when_the_numbers_allow(fmt, n, gen_seed, seed, group_size):
    students = make_class(n, random.Random(gen_seed), SIDES, p_on_motion=0)
    result = draw(fmt, students, positions=SIDES, seed=seed, group_size=group_size)
    got = {pl.student_id: pl.position for pl in result}
    table = team_table(result, SIDES)
    fixed_places = sum(min(len(t["pro"]), len(t["con"])) for t in table.values())
    for side, other in (("con", "pro"), ("pro", "con")):
        # students who held `other` more often than `side` this term
        wants = [s for s in students if s.history.get(other, 0) > s.history.get(side, 0)]
        if len(wants) <= fixed_places:
            assert all(got[s.id] == side for s in wants)


def _brute_force_best(students, keys, feasible_counts):
    best = None
    for assignment in itertools.product(keys, repeat=len(students)):
        counts = tuple(assignment.count(p) for p in keys)
        if counts in feasible_counts:
            cost = total_cost(students, assignment)
            best = cost if best is None or cost < best else best
    return best


@pytest.mark.parametrize("fmt", FORMATS)
@QUICK
@given(data=st.data())
def test_draw_is_optimal_against_brute_force(fmt, data):
    k = data.draw(st.integers(2, 3)) if fmt == "roles" else 2
    keys = keys_for(fmt, k)
    n = data.draw(st.integers(2, 7 if k == 3 else 9))
    rnd = random.Random(data.draw(st.integers(0, 10**9)))
    students = make_class(n, rnd, keys, hist_max=3, p_on_motion=0.6)
    group_size = data.draw(st.sampled_from(GROUP_SIZES))
    result = draw(fmt, students, positions=keys, seed=data.draw(st.integers(0, 99)), group_size=group_size)
    if fmt in ("two-sides", "roles"):
        a, b = divmod(n, k)
        feasible = {c for c in itertools.product(range(n + 1), repeat=k)
                    if sum(c) == n and all(a <= x <= a + 1 for x in c)}
    else:  # any split of each group's members into sides differing by at most one
        gsizes = Counter(pl.group for pl in result).values()
        lo = sum(s // 2 for s in gsizes)
        hi = sum(s - s // 2 for s in gsizes)
        feasible = {(x, n - x) for x in range(lo, hi + 1)}
    assert result_cost(students, result) == _brute_force_best(students, keys, feasible)


@QUICK
@given(data=st.data())
def test_role_solver_matches_the_two_side_sort_and_brute_force(data):
    """The successive-shortest-path solver (roles) against two independent optima."""
    k = data.draw(st.integers(2, 4))
    n = data.draw(st.integers(1, 7 if k > 2 else 150))
    rnd = random.Random(data.draw(st.integers(0, 10**9)))
    keys = keys_for("roles", k)
    students = make_class(n, rnd, keys, hist_max=5, p_on_motion=0.7)
    # random capacities: fixed places plus r flexible places among `elig`
    elig = sorted(rnd.sample(range(k), rnd.randint(1, k)))
    r = rnd.randint(0, min(len(elig) - 1, n))
    base = [0] * k
    for _ in range(n - r):
        base[rnd.randrange(k)] += 1
    costs = P._cost_matrix(students, keys)
    prio = list(range(k))
    rnd.shuffle(prio)
    pos = P._solve_many(costs, base, elig, r, prio)
    saved = P._HEAPS_AFTER
    try:  # the heap-based exchange arcs give an equally good answer
        P._HEAPS_AFTER = 0
        with_heaps = P._solve_many(costs, base, elig, r, prio)
    finally:
        P._HEAPS_AFTER = saved
    assert total_cost(students, [keys[p] for p in with_heaps]) == total_cost(students, [keys[p] for p in pos])
    counts = [pos.count(p) for p in range(k)]
    assert all(base[p] <= counts[p] <= base[p] + (p in elig) for p in range(k))
    assert sum(counts) == n
    got = total_cost(students, [keys[p] for p in pos])
    if k == 2:  # r > 0 only when both sides are eligible
        lo, hi = base[0], base[0] + r
        first, second = P._solve_two(students, keys, lo, hi, random.Random(0))
        want = total_cost(students, [keys[0] if i in set(first) else keys[1] for i in range(n)])
        assert got == want
    if n <= 7:
        feasible = set()
        for extra in itertools.combinations(elig, r):
            feasible.add(tuple(base[p] + (p in extra) for p in range(k)))
        assert got == _brute_force_best(students, keys, feasible)


def _has_negative_cycle(students, result, keys):
    """Optimality certificate for roles without locks: no cycle of moves (student from
    role p to q, ..., back to p, possibly handing an "extra" place from one role to
    another) lowers the lexicographic cost."""
    k, n = len(keys), len(students)
    base = n // k
    where = {pl.student_id: pl.position for pl in result}
    cnt = Counter(where.values())
    arcs = []
    for p in keys:
        for q in keys:
            gains = [(cost_of(s, q)[0] - cost_of(s, p)[0], cost_of(s, q)[1] - cost_of(s, p)[1])
                     for s in students if where[s.id] == p]
            if p != q and gains:
                arcs.append((p, q, min(gains)))
        if cnt[p] == base and n % k:
            arcs.append((p, "X", (0, 0)))  # p may take one of the n % k extra places ...
        if cnt[p] == base + 1:
            arcs.append(("X", p, (0, 0)))  # ... that q gives up
    dist = {node: (0, 0) for node in list(keys) + ["X"]}
    for _ in range(k + 2):
        changed = False
        for u, v, (a, b) in arcs:
            cand = (dist[u][0] + a, dist[u][1] + b)
            if cand < dist[v]:
                dist[v], changed = cand, True
        if not changed:
            return False
    return True


@QUICK
@given(n=st.integers(2, 300), k=st.integers(3, 5), gen_seed=st.integers(0, 10**9),
       seed=st.integers(0, 99), skew=st.booleans())
def test_roles_draw_has_an_optimality_certificate(n, k, gen_seed, seed, skew):
    rnd = random.Random(gen_seed)
    keys = keys_for("roles", k)
    students = make_class(n, rnd, keys, hist_max=6, p_on_motion=0.5)
    if skew:  # most students held every role but the first two more often: heavy contention
        students = [Student(s.id, {p: v + (0 if p in keys[:2] else 5) for p, v in s.history.items()},
                            s.on_motion) for s in students]
    result = draw("roles", students, positions=keys, seed=seed)
    check_basic("roles", keys, students, [], result)
    check_balance("roles", keys, [], result, strict=True)
    assert not _has_negative_cycle(students, result, keys)


# ---------------------------------------------------------------------------
# place_late


@pytest.mark.parametrize("fmt", FORMATS)
@FAST
@given(data=st.data())
def test_place_late_joins_a_smallest_team_and_moves_nobody(fmt, data):
    c = data.draw(cases(fmt, max_n=80, lock_mode="none"))
    assume(n_total(c) >= 2)
    current = run_case(c)
    before = list(current)
    rnd = random.Random(data.draw(st.integers(0, 10**9)))
    used = {s.id for s in c["everyone"]}
    newcomers = [Student(10**7 + i, {p: rnd.randint(0, 3) for p in c["keys"]}) for i in range(rnd.randint(1, 5))]
    placed = list(current)
    for s in newcomers:  # one at a time: each must join a smallest team at that moment
        table = team_table(placed, c["keys"])
        gsize = {g: sum(len(m) for m in t.values()) for g, t in table.items()}
        [new] = place_late(fmt, placed, [s], positions=c["keys"], seed=c["seed"], group_size=c["group_size"])
        assert new.student_id == s.id and new.student_id not in used
        assert gsize[new.group] == min(gsize.values())
        team = table[new.group]
        assert len(team[new.position]) == min(len(m) for m in team.values())
        assert new.speaking_order == max((m.speaking_order for m in team[new.position]), default=0) + 1
        placed.append(new)
    assert current == before  # the existing placements are untouched
    # all newcomers at once: same guarantees on sizes, unique speaking slots
    together = place_late(fmt, current, newcomers, positions=c["keys"], seed=c["seed"], group_size=c["group_size"])
    assert sorted(pl.student_id for pl in together) == sorted(s.id for s in newcomers)
    merged = current + together
    slots = [(pl.group, pl.position, pl.speaking_order) for pl in merged]
    assert len(slots) == len(set(slots))
    check_basic(fmt, c["keys"], c["present"] + newcomers, [], sorted(
        merged, key=lambda pl: (pl.group, c["keys"].index(pl.position), pl.speaking_order)))
    check_balance(fmt, c["keys"], [], merged, strict=True)
    assert place_late(fmt, current, newcomers, positions=c["keys"], seed=c["seed"],
                      group_size=c["group_size"]) == together


# ---------------------------------------------------------------------------
# exact examples


def test_two_sides_exact_fairness():
    students = [
        Student(1, {"pro": 3, "con": 0}),  # argued pro three times -> con
        Student(2, {"con": 2}),  # argued con twice -> pro
        Student(3, on_motion=frozenset({"pro"})),  # was pro on this motion -> con
        Student(4, on_motion=frozenset({"con"})),  # was con on this motion -> pro
    ]
    for seed in range(10):
        got = {pl.student_id: pl.position for pl in draw("two-sides", students, positions=SIDES, seed=seed)}
        assert got == {1: "con", 2: "pro", 3: "con", 4: "pro"}


def test_on_motion_beats_term_history():
    # student 1 held pro far more often, but already argued con on this motion
    students = [Student(1, {"pro": 5}, frozenset({"con"})), Student(2, {}, frozenset({"pro"}))]
    got = {pl.student_id: pl.position for pl in draw("two-sides", students, positions=SIDES, seed=7)}
    assert got == {1: "pro", 2: "con"}


def test_scarce_places_go_to_the_most_lopsided_history():
    # three students all argued pro more often; only two con places
    students = [Student(1, {"pro": 1}), Student(2, {"pro": 4}), Student(3, {"pro": 3}), Student(4, {})]
    for seed in range(10):
        got = {pl.student_id: pl.position for pl in draw("two-sides", students, positions=SIDES, seed=seed)}
        assert got == {1: "pro", 2: "con", 3: "con", 4: "pro"}


def test_roles_history_balance_exact():
    keys = ["senator", "minister", "mayor"]
    students = [
        Student(1, {"senator": 3, "minister": 3}),  # never mayor -> mayor
        Student(2, {"minister": 2, "mayor": 2}),  # never senator -> senator
        Student(3, {"senator": 1, "mayor": 1}),  # never minister -> minister
        Student(4, {"senator": 1}, frozenset({"mayor"})),
        Student(5, {"minister": 1}, frozenset({"senator"})),
        Student(6, {"mayor": 1}, frozenset({"minister"})),
    ]
    got = {pl.student_id: pl.position for pl in draw("roles", students, positions=keys, seed=3)}
    assert got == {1: "mayor", 2: "senator", 3: "minister", 4: "minister", 5: "mayor", 6: "senator"}


def _group_sizes(result):
    return sorted(Counter(pl.group for pl in result).values(), reverse=True)


@pytest.mark.parametrize("n,group_size,sizes", [
    (10, 4, [4, 3, 3]),  # 10 / 4 = 2.5 rounds up to 3 groups
    (9, 4, [5, 4]),  # 2.25 -> 2 groups
    (3, 2, [3]),  # 1.5 would round to 2 groups, but never a group of one
    (5, 2, [3, 2]),
    (2, 6, [2]),
    (25, 5, [5, 5, 5, 5, 5]),
    (27, 5, [6, 6, 5, 5, 5]),
])
def test_small_group_sizes(n, group_size, sizes):
    students = [Student(i) for i in range(1, n + 1)]
    result = draw("small-groups", students, positions=SIDES, seed=1, group_size=group_size)
    assert _group_sizes(result) == sizes
    by_number = [size for _, size in sorted(Counter(pl.group for pl in result).items())]
    assert by_number == sorted(by_number, reverse=True)  # the larger groups get the low numbers


@pytest.mark.parametrize("n,sizes", [
    (30, [4] * 6 + [3] * 2), (28, [4] * 7), (13, [4, 3, 3, 3]), (7, [4, 3]), (6, [3, 3]),
    (5, [5]), (4, [4]), (3, [3]), (2, [2]),
])
def test_sac_quads_and_trios(n, sizes):
    students = [Student(i) for i in range(1, n + 1)]
    result = draw("sac", students, positions=SIDES, seed=4)
    assert _group_sizes(result) == sizes
    for g, teams in team_table(result, SIDES).items():
        assert abs(len(teams["pro"]) - len(teams["con"])) <= 1


def test_locked_students_count_toward_team_sizes():
    students = [Student(i) for i in range(1, 6)]
    locked = [Placement(99, "pro", 1, 1)]  # not among the students: still placed
    result = draw("two-sides", students, positions=SIDES, seed=2, locked=locked)
    assert team_sizes(result) == {(1, "pro"): 3, (1, "con"): 3}
    assert Placement(99, "pro", 1, 1) in result


def test_locks_that_overfill_a_team_are_kept_and_nobody_else_joins_it():
    students = [Student(i) for i in range(1, 7)]
    locked = [Placement(i, "con", 1, i) for i in range(1, 6)]
    result = draw("two-sides", students, positions=SIDES, seed=2, locked=locked)
    assert team_sizes(result) == {(1, "con"): 5, (1, "pro"): 1}
    assert [pl.student_id for pl in result if pl.position == "pro"] == [6]
    # locked speaking orders survive when they are still valid slots
    assert [(pl.student_id, pl.speaking_order) for pl in result if pl.position == "con"] == \
        [(i, i) for i in range(1, 6)]


def test_lock_into_a_later_group_is_honoured():
    students = [Student(i) for i in range(1, 9)]
    locked = [Placement(1, "con", 3, 1)]  # 8 students of 4 -> 2 groups; the lock names group 3
    result = draw("small-groups", students, positions=SIDES, seed=5, group_size=4, locked=locked)
    assert _group_sizes(result) == [3, 3, 2]
    assert next(pl for pl in result if pl.student_id == 1).group == 3


def test_speaking_order_is_reproducible_and_covers_the_team():
    students = [Student(i) for i in range(1, 21)]
    a = draw("roles", students, positions=ROLES, seed=11)
    b = draw("roles", list(reversed(students)), positions=ROLES, seed=11)
    assert a == b
    assert team_sizes(a) == {(1, p): 4 for p in ROLES}


def test_place_late_prefers_the_smallest_team_then_the_fitting_side():
    current = [Placement(1, "pro", 1, 1), Placement(2, "pro", 1, 2), Placement(3, "con", 1, 1)]
    [late] = place_late("two-sides", current, [Student(9, {"con": 4})], positions=SIDES, seed=0)
    assert late == Placement(9, "con", 1, 2)  # smallest team wins over history
    current.append(late)
    for seed in range(5):
        [late2] = place_late("two-sides", current, [Student(10, {"pro": 3})], positions=SIDES, seed=seed)
        assert late2 == Placement(10, "con", 1, 3)  # tie on size: the side they held less
        [late3] = place_late("two-sides", current, [Student(11, {"pro": 3}, frozenset({"con"}))],
                             positions=SIDES, seed=seed)
        assert late3 == Placement(11, "pro", 1, 3)  # never the same side twice on a motion


def test_place_late_small_groups_joins_the_smallest_group():
    current = [Placement(1, "pro", 1, 1), Placement(2, "con", 1, 1), Placement(3, "pro", 1, 2),
               Placement(4, "pro", 2, 1), Placement(5, "con", 2, 1)]
    [late] = place_late("small-groups", current, [Student(6, {"con": 2})], positions=SIDES, seed=3)
    assert late == Placement(6, "pro", 2, 2)
    assert place_late("sac", current, [], positions=SIDES, seed=3) == []


# ---------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("call", [
    lambda: draw("debate", [Student(1), Student(2)], positions=SIDES, seed=1),
    lambda: draw("two-sides", [Student(1), Student(2)], positions=[], seed=1),
    lambda: draw("two-sides", [Student(1), Student(2)], positions="pro", seed=1),
    lambda: draw("two-sides", [Student(1), Student(2)], positions=["pro", "pro"], seed=1),
    lambda: draw("two-sides", [Student(1), Student(2)], positions=["pro", "con", "abstain"], seed=1),
    lambda: draw("sac", [Student(1), Student(2)], positions=["pro"], seed=1),
    lambda: draw("small-groups", [Student(1), Student(2)], positions=SIDES, seed=1),
    lambda: draw("small-groups", [Student(1), Student(2)], positions=SIDES, seed=1, group_size=1),
    lambda: draw("two-sides", [], positions=SIDES, seed=1),
    lambda: draw("roles", [Student(1)], positions=ROLES, seed=1),
    lambda: draw("two-sides", [Student(1), Student(1)], positions=SIDES, seed=1),
    lambda: draw("two-sides", [Student(1), Student(2)], positions=SIDES, seed="x"),
    lambda: draw("two-sides", [Student(1), Student(2)], positions=SIDES, seed=1,
                 locked=[Placement(1, "maybe", 1, 1)]),
    lambda: draw("two-sides", [Student(1), Student(2)], positions=SIDES, seed=1,
                 locked=[Placement(1, "pro", 2, 1)]),
    lambda: draw("small-groups", [Student(1), Student(2)], positions=SIDES, seed=1, group_size=2,
                 locked=[Placement(1, "pro", 0, 1)]),
    lambda: draw("two-sides", [Student(1), Student(2)], positions=SIDES, seed=1,
                 locked=[Placement(1, "pro", 1, 1), Placement(1, "con", 1, 1)]),
    lambda: place_late("two-sides", [Placement(1, "pro", 1, 1)], [Student(1)], positions=SIDES, seed=1),
    lambda: place_late("two-sides", [Placement(1, "pro", 1, 1)], [Student(2), Student(2)],
                       positions=SIDES, seed=1),
    lambda: place_late("roles", [Placement(1, "pro", 1, 1)], [Student(2)], positions=ROLES, seed=1),
])
def test_bad_input_raises_draw_error(call):
    with pytest.raises(DrawError) as err:
        call()
    assert isinstance(err.value, ValueError) and str(err.value)

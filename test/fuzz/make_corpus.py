#!/usr/bin/env python3
"""Write the seed corpus of test/fuzz (corpus/<target>/<name>).

Each seed is a named, hand-made case encoded the way the target decodes its
input (see decode_case in fuzz_match.c, fuzz_normalize.c, fuzz_rules.c);
`TP_FUZZ_DUMP=1 test/fuzz/build/fuzz_match test/fuzz/corpus/fuzz_match/<name>`
prints what a seed decodes to.  Re-run after changing a decoder:

    python3 test/fuzz/make_corpus.py      # rewrites test/fuzz/corpus/
"""
import os
import random
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# ---------------------------------------------------------------- fuzz_match
BASE = {"zero": 0, "near_max": 1, "near_min": 2, "y2024": 3,
        "pg_end": 4, "pg_begin": 5}
SCALE = {"us": 0, "ms": 1, "s": 2, "min": 3}
ALPHA = ["a", "b", "c", "A", "B", "z", "0", "9", " ", "_",
         "\x01", "\x7f", "\x80", "\xc3", "\xe9", "\xff"]


def u8(v):
    return bytes([v & 0xFF])


def flags(last_activity=False, reverse=False, scale="us", base="zero"):
    return u8(int(last_activity) | int(reverse) << 1 | SCALE[scale] << 2 | BASE[base] << 4)


def flags_raw_base(value, last_activity=False, reverse=False, scale="us"):
    return u8(int(last_activity) | int(reverse) << 1 | SCALE[scale] << 2 | 7 << 4) + \
        struct.pack(">q", value)


# windows
def w_tiny(n):          # 1..4 us
    return u8(0) + u8(n - 1)


def w_units(n):         # n * scale, n in 1..256
    return u8(1) + u8(n - 1)


def w_max():
    return u8(2)


def w_max_minus(k):
    return u8(3) + u8(k)


def w_pow2(k):
    return u8(4) + u8(k)


def w_raw(v):
    return u8(5) + struct.pack(">q", v)


def w_30min():
    return u8(6)


def w_units16(n):       # n * scale, n in 1..65536
    return u8(7) + struct.pack(">H", n - 1)


# times
def t(d):               # base + d * scale, d in -128..127
    return u8(0) + u8(d)


def t16(d):             # base + d * scale, d in -32768..32767
    return u8(8) + struct.pack(">h", d)


START, ANCHOR, END = 0, 1, 2


def rel(k, which, delta=0):     # an earlier session's start/anchor/end + delta us
    return u8(4) + u8(k) + u8(which) + u8(delta)


def rel_units(k, which, delta):  # ... + delta * scale
    return u8(5) + u8(k) + u8(which) + u8(delta)


def inf(sign):
    return u8(6) + u8(1 if sign > 0 else 0)


def near_inf(sign, k=0):        # INT64_MAX - 1 - k or INT64_MIN + 1 + k
    return u8(7) + u8((k << 1) | (1 if sign > 0 else 0))


def raw(v):
    return u8(9) + struct.pack(">q", v)


# last-activity anchors (only in last_activity mode)
def la_null():
    return u8(0)


def la_time(tm):
    return u8(1) + tm


def la_after(units):            # start + units * scale
    return u8(2) + u8(units)


def la_before(us):              # start - 1 - us
    return u8(3) + u8(us)


def ident(s):
    assert len(s) <= 4
    return u8(len(s)) + b"".join(u8(ALPHA.index(ch)) for ch in s)


def dup(i, k):
    """Session i repeats the id of session k < i."""
    for b in range(0xC0, 0x100):
        if b % i == k:
            return u8(b)
    raise ValueError


def session(start, id_bytes, la=None):
    return start + (la if la is not None else b"") + id_bytes


def case(head, window, sessions, calls):
    return head + window + u8(len(sessions)) + b"".join(sessions) + \
        u8(len(calls)) + b"".join(calls)


def match_seeds():
    s = {}
    # docs/spec.md §3.1.4's own example: click 12:17, call 13:05 (48 min later): not merged
    s["spec_example_48min"] = case(
        flags(scale="min", base="y2024"), w_30min(),
        [session(t(0), ident("a"))], [t(48), t(29), t(30), t(0)])
    # the half-open window, to the microsecond
    s["half_open_boundary"] = case(
        flags(scale="us", base="y2024"), w_30min(),
        [session(t(0), ident("a"))],
        [rel(0, END, -1), rel(0, END, 0), rel(0, END, 1), rel(0, START, 0), rel(0, START, -1)])
    s["window_1us"] = case(
        flags(), w_tiny(1),
        [session(t(0), ident("a")), session(t(1), ident("b"))],
        [t(-1), t(0), t(1), t(2)])
    # ties: same start, ids compared bytewise ('B' < 'a' < 'b')
    s["tie_smallest_id"] = case(
        flags(), w_tiny(4),
        [session(t(0), ident("b")), session(t(0), ident("a")), session(t(0), ident("B"))],
        [t(0), t(3), t(4), t(-1)])
    s["tie_empty_and_high_bytes"] = case(
        flags(), w_tiny(2),
        [session(t(5), ident("\x80")), session(t(5), ident("a")), session(t(5), ident("")),
         session(t(5), ident("\xff")), session(t(5), ident("a\x01"))],
        [t(5), t(6), t(7)])
    # the latest start wins over an earlier, still-open session
    s["latest_start_wins"] = case(
        flags(scale="min", base="y2024"), w_30min(),
        [session(t(0), ident("a")), session(t(10), ident("z")), session(t(20), ident("c"))],
        [t(5), t(15), t(25), t(35), t(45), t(50), t(-5)])
    # duplicate ids: same start and id, different anchors (only one covers)
    s["duplicate_ids_anchors"] = case(
        flags(last_activity=True), w_tiny(2),
        [session(t(0), ident("a"), la_null()),
         session(t(0), dup(1, 0), la_after(10)),
         session(t(0), dup(2, 0), la_before(0)),
         session(t(1), dup(3, 1), la_null())],
        [t(0), t(1), t(2), t(3), t(11), t(12)])
    s["duplicate_ids_starts"] = case(
        flags(), w_tiny(3),
        [session(t(0), ident("a")), session(t(1), dup(1, 0)),
         session(t(1), dup(2, 0)), session(t(0), ident("b"))],
        [t(0), t(1), t(3), t(4)])
    # last activity: later, earlier than the start, NULL
    s["last_activity_mix"] = case(
        flags(last_activity=True, scale="min", base="y2024"), w_30min(),
        [session(t(0), ident("a"), la_after(40)),
         session(t(10), ident("b"), la_null()),
         session(t(20), ident("c"), la_before(5)),
         session(t(60), ident("z"), la_time(t(100)))],
        [t(5), t(35), t(49), t(69), t(70), t(90), t(129), t(130), t(-1)])
    s["last_activity_long_session_wins_nothing"] = case(
        flags(last_activity=True, scale="min", base="y2024"), w_30min(),
        [session(t(0), ident("a"), la_after(200)), session(t(50), ident("b"), la_null())],
        [t(60), t(79), t(80), t(81), t(229), t(230)])
    # infinities: an infinite start or anchor opens no window; -inf start is
    # covered only through a finite last activity
    s["infinite_sessions"] = case(
        flags(last_activity=True), w_tiny(3),
        [session(inf(-1), ident("a"), la_null()),
         session(inf(-1), ident("b"), la_time(t(0))),
         session(inf(+1), ident("c"), la_null()),
         session(t(0), ident("z"), la_time(inf(+1))),
         session(t(0), ident("9"), la_time(inf(-1)))],
        [inf(-1), near_inf(-1), t(-1), t(0), t(2), t(3), near_inf(+1), inf(+1)])
    s["infinite_calls_session_start"] = case(
        flags(), w_max(),
        [session(inf(-1), ident("a")), session(t(0), ident("b")), session(inf(+1), ident("c"))],
        [inf(-1), inf(+1), near_inf(+1), near_inf(-1), t(0)])
    # saturation: window ends past INT64_MAX
    s["saturate_near_max"] = case(
        flags(base="near_max"), w_max(),
        [session(t(0), ident("a")), session(t(100), ident("b")), session(near_inf(+1), ident("c"))],
        [t(0), t(127), near_inf(+1, 0), inf(+1), t(-1)])
    s["saturate_window_max_minus"] = case(
        flags(base="near_min"), w_max_minus(1),
        [session(t(0), ident("a")), session(near_inf(-1), ident("b"))],
        [near_inf(+1, 0), near_inf(+1, 1), near_inf(+1, 2), inf(+1), t(-1), inf(-1)])
    s["pg_end_long_window"] = case(
        flags(base="pg_end", scale="s"), w_units16(20000),
        [session(t(-100), ident("a")), session(t(0), ident("b"))],
        [t(0), t(-50), inf(+1), near_inf(+1), rel(0, END, -1), rel(0, END, 0)])
    s["pg_begin"] = case(
        flags(base="pg_begin", scale="s"), w_units(30),
        [session(t(0), ident("a")), session(t(10), ident("b"))],
        [t(-1), t(0), t(29), t(30), t(39), t(40), inf(-1)])
    s["window_pow2"] = case(
        flags(base="near_max"), w_pow2(62),
        [session(t(-128), ident("a")), session(t(0), ident("b"))], [t(0), t(127), inf(+1)])
    s["window_raw"] = case(
        flags_raw_base(-(1 << 62)), w_raw((1 << 62) + 12345),
        [session(t(0), ident("a")), session(raw(0), ident("b")), session(raw(-(1 << 63)), ident("c"))],
        [raw(12344), raw(12345), raw(-1), raw((1 << 63) - 1), t(1)])
    # the nearest session when none covers
    s["outside_nearest"] = case(
        flags(), w_tiny(1),
        [session(t(10), ident("b")), session(t(10), ident("a")), session(t(20), ident("c")),
         session(t(30), ident("z")), session(t(30), ident("0"))],
        [t(0), t(11), t(25), t(31), t(127), t(-128)])
    s["no_sessions"] = case(flags(), w_30min(), [], [t(0), inf(+1), inf(-1)])
    s["no_calls"] = case(flags(), w_tiny(1), [session(t(0), ident("a"))], [])
    s["empty"] = b""
    s["reverse_offers"] = case(
        flags(reverse=True, last_activity=True), w_tiny(3),
        [session(t(0), ident("a"), la_after(5)), session(t(2), ident("b"), la_null()),
         session(t(2), ident("a"), la_before(0)), session(t(1), ident("c"), la_after(1))],
        [t(0), t(1), t(2), t(3), t(4), t(5), t(6), t(7), t(8)])
    s["duplicate_calls"] = case(
        flags(), w_tiny(2),
        [session(t(0), ident("a")), session(t(1), ident("b"))],
        [t(1), t(1), t(1), t(0), t(0), t(2), t(2)])
    # big groups: 32 sessions, 32 calls, few distinct starts
    rng = random.Random(20240501)
    for g in range(6):
        la = g % 2 == 1
        ids = []
        ses = []
        for i in range(32):
            if i > 0 and rng.random() < 0.2:
                idb = dup(i, rng.randrange(i))
            else:
                ln = rng.randrange(0, 3)
                idb = ident("".join(rng.choice(ALPHA[:6]) for _ in range(ln)))
            st = t(rng.randrange(-4, 5)) if rng.random() < 0.8 else rel(rng.randrange(max(i, 1)), rng.randrange(3), rng.randrange(-2, 3))
            anc = None
            if la:
                anc = rng.choice([la_null(), la_after(rng.randrange(4)), la_before(rng.randrange(3))])
            ses.append(session(st, idb, anc))
            ids.append(idb)
        calls = [t(rng.randrange(-6, 10)) if rng.random() < 0.6 else
                 rel(rng.randrange(32), rng.randrange(3), rng.randrange(-1, 2)) for _ in range(32)]
        s["big_group_%d" % g] = case(flags(last_activity=la, reverse=g >= 3), w_tiny(1 + g % 4), ses, calls)
    return s


# ------------------------------------------------------------- fuzz_normalize
def split(a, b):
    """An input the target splits into ids a and b (cut = 1 + byte0 % size)."""
    size = 1 + len(a) + len(b)
    for b0 in range(256):
        if 1 + (b0 % size if size > 1 else 0) == 1 + len(a):
            return u8(b0) + a + b
    raise ValueError


def normalize_seeds():
    return {
        "bizible_id": b"08c1063cb0a64349ad0d2d862f5cc700",
        "bizible_id_upper_padded": b" \t08C1063CB0A64349AD0D2D862F5CC700\r\n",
        "empty": b"",
        "all_space": b" \t\n\v\f\r",
        "inner_space": b"  a B\tc  ",
        "letters_edges": b"@AZ[`az{",
        "utf8_not_folded": "\u00c9t\u00e9 \u00c9".encode("utf-8"),
        "nbsp_not_trimmed": b"\xa0abc\xa0",
        "nel_not_trimmed": b"\x85X\x85",
        "nul_inside": b" A\x00B ",
        "control_bytes": b"\x00\x1f\x7f\x80\xff",
        "split_equal_ids": split(b"  ABC", b"abc\n"),
        "split_different_ids": split(b" AbC", b"\tabd"),
        "split_empty_and_blank": split(b"", b" \t "),
    }


# ----------------------------------------------------------------- fuzz_rules
def rule(pattern, value, pattern_null=False, value_null=False):
    p = pattern.encode("latin-1")
    v = value.encode("latin-1")
    return u8(int(pattern_null) | int(value_null) << 1) + u8(len(p)) + p + v


def rules_seeds():
    s = {
        "contains": rule("*google*", "www.Google.com"),
        "contains_miss": rule("*google*", "www.bing.com"),
        "starts_with": rule("face*", "Facebook"),
        "ends_with": rule("*.com", "EXAMPLE.COM"),
        "ends_with_short": rule("*abc", "bc"),
        "equals_nocase": rule("CPC", "cpc"),
        "equals_miss": rule("cpc", "cpc "),
        "alternatives": rule("cpc; ppc ;paid*", "PPC"),
        "alternatives_blank_parts": rule(" ; ;cpc; ", "cpc"),
        "star_null_value": rule("*", "", value_null=True),
        "star_in_list_null_value": rule("x; * ;y", "", value_null=True),
        "contains_null_value": rule("*a*", "", value_null=True),
        "null_pattern": rule("", "anything", pattern_null=True),
        "null_pattern_null_value": rule("", "", pattern_null=True, value_null=True),
        "blank_pattern": rule("  \t ", "x"),
        "blank_semicolons": rule(";;", "", value_null=True),
        "empty_pattern": rule("", "x"),
        "double_star": rule("**", ""),
        "double_star_null": rule("**", "", value_null=True),
        "triple_star": rule("***", "a*b"),
        "inner_star_literal": rule("a*b", "a*B"),
        "inner_star_not_glob": rule("a*b", "axb"),
        "star_space_star": rule("* *", "a b"),
        "trimmed_star": rule(" \t*\n", "", value_null=True),
        "high_bytes_no_fold": rule("*\xc9*", "\xe9"),
        "empty_value": rule("*", ""),
        "empty_value_equals": rule("a", ""),
        "contains_longer_than_value": rule("*abcdef*", "abc"),
        "starts_with_longer_than_value": rule("facebook*", "FACE"),
        "ends_with_mismatch": rule("*.org", "x.com"),
        "all_white_space_kinds": rule(" \t\n\v\f\rcpc\r\f\v\n\t ", "CPC"),
        "nul_in_value": rule("*a*", "\x00A\x00"),
    }
    return s


def write(target, seeds):
    d = os.path.join(CORPUS, target)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print("%s: %d seeds, %d bytes" % (target, len(seeds), sum(len(v) for v in seeds.values())))


if __name__ == "__main__":
    write("fuzz_match", match_seeds())
    write("fuzz_normalize", normalize_seeds())
    write("fuzz_rules", rules_seeds())

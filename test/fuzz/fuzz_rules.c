/*
 * fuzz_rules.c
 *		libFuzzer target: channel-rule cell matching (src/tp_rules.c, docs/spec.md §6)
 *		against a reference written from the wording of docs/spec.md.
 *
 * docs/spec.md §6 / tp_rules.h: a cell is a list of alternatives separated by ';',
 * each trimmed of ASCII white space; '*x*' contains x, 'x*' starts with x,
 * '*x' ends with x, a bare '*' matches anything (NULL included), anything
 * else equals; letters compare without regard to ASCII case; a NULL or blank
 * cell (no non-empty alternative) places no condition.  A NULL value matches
 * only '*' or a cell without condition.
 *
 * Input: byte 0 = flags (bit 0: pattern NULL, bit 1: value NULL), byte 1 =
 * the pattern's length, then the pattern, then the value.  Bytes 0x80-0xff
 * are drawn from a small alphabet ('*', ';', white space, case pairs, a few
 * high bytes) so that the interesting characters are one mutation away;
 * bytes below 0x80 stand for themselves (NUL included).  Pattern and value
 * are exact-size heap copies, so AddressSanitizer sees any read past them.
 * Checked: tp_pattern_matches, tp_pattern_is_blank, and that a blank cell
 * matches every value.
 */
#include "tp_rules.h"
#include "tp_match.h"
#include "ref_model.h"
#include "fuzz_common.h"

#define TARGET "fuzz_rules"

static const unsigned char alphabet[16] = {
	'*', '*', ';', ';', ' ', '\t', '\n', 'a', 'A', 'b', 'B', 'x', 0x80, 0xc9, 0xe9, 0xff
};

static unsigned char
decode_byte(uint8_t b)
{
	return b & 0x80 ? alphabet[b & 15] : b;
}

static unsigned char
ref_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char) (c + ('a' - 'A')) : c;
}

/* Do s and t (n bytes each) agree ignoring ASCII case? */
static int
ref_eq_nocase(const unsigned char *s, const unsigned char *t, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (ref_lower(s[i]) != ref_lower(t[i]))
			return 0;
	return 1;
}

/* One trimmed, non-empty alternative a[0..alen) against the value. */
static int
ref_alternative(const unsigned char *a, size_t alen,
				const unsigned char *v, size_t vlen, int value_null)
{
	size_t		i;

	if (alen == 1 && a[0] == '*')
		return 1;
	if (value_null)
		return 0;
	if (alen >= 2 && a[0] == '*' && a[alen - 1] == '*')
	{
		/* contains a[1 .. alen-1): try every position */
		size_t		k = alen - 2;

		for (i = 0; i + k <= vlen; i++)
			if (ref_eq_nocase(v + i, a + 1, k))
				return 1;
		return 0;
	}
	if (a[0] == '*')			/* ends with */
		return vlen >= alen - 1 && ref_eq_nocase(v + (vlen - (alen - 1)), a + 1, alen - 1);
	if (a[alen - 1] == '*')		/* starts with */
		return vlen >= alen - 1 && ref_eq_nocase(v, a, alen - 1);
	return vlen == alen && ref_eq_nocase(v, a, alen);
}

/* The cell: split at every ';', trim each piece, skip the empty ones. */
static int
ref_matches(const unsigned char *p, size_t plen, int pattern_null,
			const unsigned char *v, size_t vlen, int value_null, int *blank)
{
	size_t		start = 0;
	size_t		i;
	int			any = 0;
	int			matched = 0;

	*blank = 1;
	if (pattern_null)
		return 1;
	for (i = 0; i <= plen; i++)
	{
		size_t		b,
					e;

		if (i < plen && p[i] != ';')
			continue;
		b = start;
		e = i;
		while (b < e && ref_is_space(p[b]))
			b++;
		while (e > b && ref_is_space(p[e - 1]))
			e--;
		if (e > b)
		{
			any = 1;
			if (ref_alternative(p + b, e - b, v, vlen, value_null))
				matched = 1;
		}
		start = i + 1;
	}
	*blank = !any;
	return any ? matched : 1;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzReader	r = {data, size, 0};
	uint8_t		flags = fz_u8(&r);
	int			pattern_null = flags & 1;
	int			value_null = (flags >> 1) & 1;
	size_t		plen = fz_u8(&r);
	size_t		vlen;
	unsigned char *p;
	unsigned char *v;
	size_t		i;
	int			want,
				want_blank,
				got,
				got_blank;
	char		ps[600],
				vs[600];

	if (plen > fz_left(&r))
		plen = fz_left(&r);
	vlen = fz_left(&r) - plen;
	p = malloc(plen > 0 ? plen : 1);
	v = malloc(vlen > 0 ? vlen : 1);
	for (i = 0; i < plen; i++)
		p[i] = decode_byte(fz_u8(&r));
	for (i = 0; i < vlen; i++)
		v[i] = decode_byte(fz_u8(&r));

	fz_fmt_bytes(ps, sizeof(ps), pattern_null ? NULL : (const char *) p, plen);
	fz_fmt_bytes(vs, sizeof(vs), value_null ? NULL : (const char *) v, vlen);
	if (fz_dump_wanted())
		printf("case: pattern \"%s\" value \"%s\"\n", ps, vs);

	want = ref_matches(p, plen, pattern_null, v, vlen, value_null, &want_blank);
	got = tp_pattern_matches(pattern_null ? NULL : (const char *) p, pattern_null ? 0 : plen,
							 value_null ? NULL : (const char *) v, value_null ? 0 : vlen);
	got_blank = tp_pattern_is_blank(pattern_null ? NULL : (const char *) p,
									pattern_null ? 0 : plen);
	if ((got != 0) != want)
		FZ_MISMATCH(TARGET, "tp_pattern_matches(pattern \"%s\", value \"%s\") = %s, reference %s",
					ps, vs, got ? "true" : "false", want ? "true" : "false");
	if ((got_blank != 0) != want_blank)
		FZ_MISMATCH(TARGET, "tp_pattern_is_blank(\"%s\") = %s, reference %s",
					ps, got_blank ? "true" : "false", want_blank ? "true" : "false");
	if (got_blank && !got)
		FZ_MISMATCH(TARGET, "blank cell \"%s\" does not match value \"%s\"", ps, vs);
	free(p);
	free(v);
	return 0;
}

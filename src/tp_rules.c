/*
 * tp_rules.c
 *		Matching one channel-rule cell against one value (docs/spec.md §6); no fmgr.
 */
#include "tp_rules.h"

#include <string.h>

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static char
fold(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII) comparison of n bytes. */
static bool
equal_folded(const char *a, const char *b, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (fold(a[i]) != fold(b[i]))
			return false;
	return true;
}

/* Does value contain needle, ignoring ASCII case? */
static bool
contains_folded(const char *value, size_t vlen, const char *needle, size_t nlen)
{
	size_t		i;

	if (nlen == 0)
		return true;
	if (nlen > vlen)
		return false;
	for (i = 0; i + nlen <= vlen; i++)
		if (equal_folded(value + i, needle, nlen))
			return true;
	return false;
}

/* One trimmed, non-empty alternative against value. */
static bool
alternative_matches(const char *alt, size_t alen, const char *value, size_t vlen)
{
	bool		star_front;
	bool		star_back;

	if (alen == 1 && alt[0] == '*')
		return true;			/* anything, NULL included */
	if (value == NULL)
		return false;

	star_front = alt[0] == '*';
	star_back = alen >= 2 && alt[alen - 1] == '*';
	if (star_front && star_back)
		return contains_folded(value, vlen, alt + 1, alen - 2);
	if (star_front)
		return vlen >= alen - 1 && equal_folded(value + vlen - (alen - 1), alt + 1, alen - 1);
	if (star_back)
		return vlen >= alen - 1 && equal_folded(value, alt, alen - 1);
	return vlen == alen && equal_folded(value, alt, alen);
}

/* Does the value match any trimmed, non-empty alternative of the cell? */
bool
tp_pattern_matches(const char *pattern, size_t pattern_len,
				   const char *value, size_t value_len)
{
	size_t		pos = 0;
	bool		any_alternative = false;

	if (pattern == NULL)
		return true;
	while (pos <= pattern_len)
	{
		const char *semi = memchr(pattern + pos, ';', pattern_len - pos);
		size_t		end = semi ? (size_t) (semi - pattern) : pattern_len;
		size_t		b = pos;
		size_t		e = end;

		while (b < e && is_space(pattern[b]))
			b++;
		while (e > b && is_space(pattern[e - 1]))
			e--;
		if (e > b)
		{
			any_alternative = true;
			if (alternative_matches(pattern + b, e - b, value, value_len))
				return true;
		}
		pos = end + 1;
	}
	return !any_alternative;	/* a blank cell places no condition */
}

bool
tp_pattern_is_blank(const char *pattern, size_t pattern_len)
{
	size_t		i;

	if (pattern == NULL)
		return true;
	for (i = 0; i < pattern_len; i++)
		if (!is_space(pattern[i]) && pattern[i] != ';')
			return false;
	return true;
}

int
tp_rules_first_match(char *const *cells, const int *cell_lens, int nrules,
					 int width, int first_condition,
					 const char *const *values, const int *value_lens)
{
	int			r;
	int			c;

	for (r = 0; r < nrules; r++)
	{
		char *const *rule = &cells[r * width + first_condition];
		const int  *lens = &cell_lens[r * width + first_condition];
		bool		all = true;

		for (c = 0; c < 5 && all; c++)
			all = tp_pattern_matches(rule[c], lens[c], values[c], value_lens[c]);
		if (all)
			return r;
	}
	return -1;
}

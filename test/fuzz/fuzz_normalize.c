/*
 * fuzz_normalize.c
 *		libFuzzer target: the BizibleId normaliser and the task-type trim
 *		(src/tp_match.c, docs/spec.md §3.1.1) against a byte-by-byte reference.
 *
 * The whole input is one raw BizibleId / type (any bytes, NUL included).
 * Reference, from tp_match.h's contract: trim the ASCII white space
 * (space, \t, \n, \v, \f, \r) on both sides, fold A-Z to a-z, leave every
 * other byte alone (no locale, no UTF-8 case folding); an empty result means
 * a missing id (or a blank type).  Checked:
 *	 - tp_trim_extent: length and start of the trimmed extent;
 *	 - tp_normalize_bizible_id: length and bytes; it writes into a buffer of
 *	   exactly len bytes (AddressSanitizer sees a write past it);
 *	 - normalising is idempotent, and two ids normalise equal exactly when
 *	   the reference says so (the input split in two at its first byte).
 */
#include "tp_match.h"
#include "ref_model.h"
#include "fuzz_common.h"

#define TARGET "fuzz_normalize"

static const uint8_t *cur_data;
static size_t cur_size;

#define MISMATCH(...) \
	do { \
		char		shown_[1024]; \
		fz_fmt_bytes(shown_, sizeof(shown_), (const char *) cur_data, cur_size); \
		fprintf(stderr, "case: input \"%s\" (%zu bytes)\n", shown_, cur_size); \
		FZ_MISMATCH(TARGET, __VA_ARGS__); \
	} while (0)

/* Reference: the trimmed extent [*b, *b + return). */
static size_t
ref_trim(const unsigned char *s, size_t len, size_t *b)
{
	size_t		lo = 0;
	size_t		hi = len;

	while (lo < len && ref_is_space(s[lo]))
		lo++;
	while (hi > lo && ref_is_space(s[hi - 1]))
		hi--;
	*b = lo;
	return hi - lo;
}

/* Reference normaliser into out (room for len bytes); returns the length. */
static size_t
ref_normalize(const unsigned char *s, size_t len, unsigned char *out)
{
	size_t		b;
	size_t		n = ref_trim(s, len, &b);
	size_t		i;

	for (i = 0; i < n; i++)
	{
		unsigned char c = s[b + i];

		out[i] = (c >= 'A' && c <= 'Z') ? (unsigned char) (c - 'A' + 'a') : c;
	}
	return n;
}

/* The engine's normaliser on an exact-size copy; *out is malloc'd (len bytes). */
static size_t
engine_normalize(const uint8_t *s, size_t len, char **out)
{
	char	   *in = malloc(len > 0 ? len : 1);
	size_t		n;

	*out = malloc(len > 0 ? len : 1);
	if (len > 0)
		memcpy(in, s, len);
	n = tp_normalize_bizible_id(in, len, *out);
	if (len > 0 && memcmp(in, s, len) != 0)
		MISMATCH("tp_normalize_bizible_id modified its input");
	free(in);
	return n;
}

static void
check_one(const uint8_t *s, size_t len, const char *label)
{
	unsigned char *want = malloc(len > 0 ? len : 1);
	size_t		want_b;
	size_t		want_n = ref_trim(s, len, &want_b);
	size_t		got_b = (size_t) -1;
	size_t		got_n;
	char	   *copy = malloc(len > 0 ? len : 1);
	char	   *got;
	char	   *again;
	size_t		n2;

	/* tp_trim_extent on an exact-size copy */
	if (len > 0)
		memcpy(copy, s, len);
	got_n = tp_trim_extent(copy, len, &got_b);
	if (got_n != want_n)
		MISMATCH("%s: tp_trim_extent length %zu, reference %zu", label, got_n, want_n);
	if (want_n > 0 && got_b != want_b)
		MISMATCH("%s: tp_trim_extent start %zu, reference %zu", label, got_b, want_b);
	if (got_b > len)
		MISMATCH("%s: tp_trim_extent start %zu beyond the input (%zu bytes)", label, got_b, len);
	free(copy);

	/* tp_normalize_bizible_id */
	if (ref_normalize(s, len, want) != want_n)
		MISMATCH("%s: reference inconsistent", label);
	got_n = engine_normalize(s, len, &got);
	if (got_n != want_n)
		MISMATCH("%s: tp_normalize_bizible_id length %zu, reference %zu", label, got_n, want_n);
	if (want_n > 0 && memcmp(got, want, want_n) != 0)
	{
		size_t		i = 0;

		while (i < want_n && (unsigned char) got[i] == want[i])
			i++;
		MISMATCH("%s: tp_normalize_bizible_id byte %zu is 0x%02x, reference 0x%02x",
				 label, i, (unsigned char) got[i], want[i]);
	}
	/* idempotent */
	n2 = engine_normalize((const uint8_t *) got, got_n, &again);
	if (n2 != got_n || (n2 > 0 && memcmp(again, got, n2) != 0))
		MISMATCH("%s: tp_normalize_bizible_id is not idempotent", label);
	free(again);
	free(got);
	free(want);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
	if (fz_dump_wanted())
	{
		char		shown[1024];

		fz_fmt_bytes(shown, sizeof(shown), (const char *) data, size);
		printf("case: \"%s\" (%zu bytes)\n", shown, size);
	}
	check_one(data, size, "whole input");

	/* two ids: equal after normalising exactly when the references are */
	if (size >= 1)
	{
		size_t		cut = 1 + (size > 1 ? data[0] % size : 0);
		const uint8_t *a = data + 1;
		size_t		alen = cut - 1;
		const uint8_t *b = data + cut;
		size_t		blen = size - cut;
		unsigned char *ra = malloc(alen > 0 ? alen : 1);
		unsigned char *rb = malloc(blen > 0 ? blen : 1);
		size_t		na = ref_normalize(a, alen, ra);
		size_t		nb = ref_normalize(b, blen, rb);
		char	   *ga;
		char	   *gb;
		size_t		ma = engine_normalize(a, alen, &ga);
		size_t		mb = engine_normalize(b, blen, &gb);
		int			want_eq = na == nb && (na == 0 || memcmp(ra, rb, na) == 0);
		int			got_eq = ma == mb && (ma == 0 || memcmp(ga, gb, ma) == 0);

		check_one(a, alen, "first part");
		check_one(b, blen, "second part");
		if (want_eq != got_eq)
			MISMATCH("ids split at %zu: engine says %s, reference says %s", cut,
					 got_eq ? "equal" : "different", want_eq ? "equal" : "different");
		free(ga);
		free(gb);
		free(ra);
		free(rb);
	}
	return 0;
}

/*
 * fuzz_common.h
 *		Byte reader and failure reporting shared by the libFuzzer targets of
 *		test/fuzz (fuzz_match.c, fuzz_normalize.c, fuzz_rules.c).
 *
 * The reader never fails: past the end of the input it yields zeros, so
 * every byte string decodes to some valid case.
 */
#ifndef TP_FUZZ_COMMON_H
#define TP_FUZZ_COMMON_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct FuzzReader
{
	const uint8_t *data;
	size_t		size;
	size_t		pos;
} FuzzReader;

static inline uint8_t
fz_u8(FuzzReader *r)
{
	return r->pos < r->size ? r->data[r->pos++] : 0;
}

static inline uint16_t
fz_u16(FuzzReader *r)
{
	uint16_t	hi = fz_u8(r);

	return (uint16_t) ((hi << 8) | fz_u8(r));
}

static inline uint64_t
fz_u64(FuzzReader *r)
{
	uint64_t	v = 0;
	int			i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | fz_u8(r);
	return v;
}

static inline size_t
fz_left(const FuzzReader *r)
{
	return r->size - r->pos;
}

/* Print bytes as a C-ish string literal body: printable ASCII, else \xNN. */
static inline void
fz_fmt_bytes(char *buf, size_t size, const char *s, size_t len)
{
	size_t		o = 0;
	size_t		i;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (s == NULL)
	{
		snprintf(buf, size, "<NULL>");
		return;
	}
	for (i = 0; i < len && o + 5 < size; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			buf[o++] = (char) c;
		else
			o += (size_t) snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o] = '\0';
}

/* Is TP_FUZZ_DUMP set (print every decoded case)? */
static inline int
fz_dump_wanted(void)
{
	static int	wanted = -1;

	if (wanted < 0)
	{
		const char *e = getenv("TP_FUZZ_DUMP");

		wanted = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
	}
	return wanted;
}

/*
 * A finding: print "MISMATCH <target>: <what>" and abort(), which libFuzzer
 * reports as a crash and saves the input as an artifact.  The caller prints
 * the decoded case first.
 */
#define FZ_MISMATCH(target, ...) \
	do { \
		fprintf(stderr, "\nMISMATCH %s: ", (target)); \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		fflush(stderr); \
		abort(); \
	} while (0)

#endif							/* TP_FUZZ_COMMON_H */

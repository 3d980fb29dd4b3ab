/*
 * tp_rules.h
 *		Channel-rule patterns (docs/spec.md §6), free of fmgr like the matching engine.
 *
 * A rule cell is a list of alternatives separated by ';' (each trimmed):
 * '*x*' contains, 'x*' starts with, '*x' ends with, a bare '*' matches
 * anything (NULL included), anything else equals; letters compare without
 * regard to ASCII case.  A cell with no alternative (NULL or blank) places no
 * condition.
 */
#ifndef TP_RULES_H
#define TP_RULES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Does value (NULL allowed) match the pattern cell?  pattern NULL or blank
 * means no condition (true).
 */
extern bool tp_pattern_matches(const char *pattern, size_t pattern_len,
							   const char *value, size_t value_len);

/* Is the pattern cell empty (NULL, or only white space and ';')? */
extern bool tp_pattern_is_blank(const char *pattern, size_t pattern_len);

/*
 * The first of nrules rules whose every condition cell matches, or -1.  A
 * rule is `width` cells (channel, subchannel, then the five conditions from
 * cell first_condition on: medium, source, campaign, landing_page, referrer);
 * values[5] / value_lens[5] are the session's, NULL for NULL.
 */
extern int	tp_rules_first_match(char *const *cells, const int *cell_lens, int nrules,
								 int width, int first_condition,
								 const char *const *values, const int *value_lens);

#endif							/* TP_RULES_H */

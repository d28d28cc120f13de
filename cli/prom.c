// SPDX-License-Identifier: MIT
/*
 * The Prometheus text exposition format 0.0.4 (see prom.h). What a scraper
 * rejects is refused here, so that a bad line never reaches a file that
 * node_exporter would then skip whole: label values must be UTF-8 with
 * backslash, double quote and newline escaped; help texts escape backslash
 * and newline; each family has one HELP and one TYPE line, before its
 * samples, which stay together.
 */
#include "prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

static const char *const type_names[] = {
    [TW_PROM_COUNTER] = "counter", [TW_PROM_GAUGE] = "gauge",	  [TW_PROM_HISTOGRAM] = "histogram",
    [TW_PROM_SUMMARY] = "summary", [TW_PROM_UNTYPED] = "untyped",
};

__attribute__((format(printf, 2, 3))) static int fail(struct tw_prom *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->err) {
		p->err = 1;
		va_start(ap, fmt);
		vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

void tw_prom_init(struct tw_prom *p, FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
}

const char *tw_prom_error(const struct tw_prom *p)
{
	return p->msg;
}

static int name_ok(const char *s, int colon)
{
	if (!s || !*s || strlen(s) >= TW_PROM_NAME_MAX)
		return 0;
	for (const char *c = s; *c; c++) {
		int alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' ||
			    (colon && *c == ':');
		if (!alpha && !(c > s && *c >= '0' && *c <= '9'))
			return 0;
	}
	return 1;
}

int tw_prom_metric_name_ok(const char *s)
{
	return name_ok(s, 1);
}

/* Names starting with "__" are reserved for Prometheus itself. */
int tw_prom_label_name_ok(const char *s)
{
	return name_ok(s, 0) && strncmp(s, "__", 2) != 0;
}

/* s escaped: backslash and newline always, double quote in label values.
 * A byte that does not start valid UTF-8 becomes U+FFFD. */
static void escaped(FILE *out, const char *s, int quote)
{
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n = tw_utf8_len(c);

		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			c++;
			continue;
		}
		if (*c == '\\')
			fputs("\\\\", out);
		else if (*c == '\n')
			fputs("\\n", out);
		else if (*c == '"' && quote)
			fputs("\\\"", out);
		else
			fwrite(c, 1, n, out);
		c += n;
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int tw_prom_family(struct tw_prom *p, const char *name, enum tw_prom_type type, const char *help)
{
	if (p->err)
		return -1;
	if ((unsigned)type > TW_PROM_UNTYPED)
		return fail(p, "family %s: type %d is not a metric type", name ? name : "?",
			    (int)type);
	if (!tw_prom_metric_name_ok(name))
		return fail(p, "'%s' is not a metric name", name ? name : "(null)");
	/* Counter names end in _total, and only counters' do (0.0.4 names the
	 * counter family with its suffix; promtool checks both). */
	if ((type == TW_PROM_COUNTER) != ends_with(name, "_total"))
		return fail(p, "family %s: only a counter's name ends in _total", name);
	for (int i = 0; i < p->nfamilies; i++)
		if (strcmp(p->families[i], name) == 0)
			return fail(p, "family %s written twice", name);
	if (p->nfamilies == TW_PROM_FAMILY_MAX)
		return fail(p, "family %s: more than %d families", name, TW_PROM_FAMILY_MAX);
	snprintf(p->families[p->nfamilies++], TW_PROM_NAME_MAX, "%s", name);
	p->type = type;
	fprintf(p->out, "# HELP %s ", name);
	escaped(p->out, help ? help : "", 0);
	fprintf(p->out, "\n# TYPE %s %s\n", name, type_names[type]);
	return ferror(p->out) ? fail(p, "family %s: write error", name) : 0;
}

static int suffix_ok(enum tw_prom_type type, const char *suffix)
{
	switch (type) {
	case TW_PROM_HISTOGRAM:
		return !strcmp(suffix, "_bucket") || !strcmp(suffix, "_sum") ||
		       !strcmp(suffix, "_count");
	case TW_PROM_SUMMARY:
		return !*suffix || !strcmp(suffix, "_sum") || !strcmp(suffix, "_count");
	default: return !*suffix;
	}
}

int tw_prom_sample(struct tw_prom *p, const char *suffix, const struct tw_prom_label *labels,
		   size_t nlabels, const char *value)
{
	const char *family = p->nfamilies ? p->families[p->nfamilies - 1] : NULL;

	if (p->err)
		return -1;
	if (!suffix)
		suffix = "";
	if (!family)
		return fail(p, "a sample before any family");
	if (!suffix_ok(p->type, suffix))
		return fail(p, "family %s (%s) has no samples named %s%s", family,
			    type_names[p->type], family, suffix);
	if (nlabels > TW_PROM_LABEL_MAX)
		return fail(p, "%s%s: %zu labels, at most %d", family, suffix, nlabels,
			    TW_PROM_LABEL_MAX);
	for (size_t i = 0; i < nlabels; i++)
		if (!tw_prom_label_name_ok(labels[i].name) || !labels[i].value)
			return fail(p, "%s%s: '%s' is not a label name, or has no value", family,
				    suffix, labels[i].name ? labels[i].name : "(null)");
	if (!value || !*value)
		return fail(p, "%s%s: no value", family, suffix);
	fprintf(p->out, "%s%s", family, suffix);
	for (size_t i = 0; i < nlabels; i++) {
		fprintf(p->out, "%s%s=\"", i ? "," : "{", labels[i].name);
		escaped(p->out, labels[i].value, 1);
		fputc('"', p->out);
	}
	fprintf(p->out, "%s %s\n", nlabels ? "}" : "", value);
	return ferror(p->out) ? fail(p, "%s%s: write error", family, suffix) : 0;
}

int tw_prom_sample_u64(struct tw_prom *p, const char *suffix, const struct tw_prom_label *labels,
		       size_t nlabels, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return tw_prom_sample(p, suffix, labels, nlabels, buf);
}

int tw_prom_sample_i64(struct tw_prom *p, const char *suffix, const struct tw_prom_label *labels,
		       size_t nlabels, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return tw_prom_sample(p, suffix, labels, nlabels, buf);
}

int tw_prom_sample_f64(struct tw_prom *p, const char *suffix, const struct tw_prom_label *labels,
		       size_t nlabels, double v)
{
	char buf[32];

	return tw_prom_sample(p, suffix, labels, nlabels, tw_prom_fmt_f64(buf, sizeof(buf), v));
}

int tw_prom_histogram(struct tw_prom *p, const struct tw_prom_label *labels, size_t nlabels,
		      const char *const *le, const uint64_t *counts, size_t nle, const char *sum)
{
	struct tw_prom_label l[TW_PROM_LABEL_MAX];
	uint64_t cumulative = 0;

	if (p->err)
		return -1;
	if (p->nfamilies == 0 || p->type != TW_PROM_HISTOGRAM)
		return fail(p, "a histogram outside a histogram family");
	if (nlabels >= TW_PROM_LABEL_MAX)
		return fail(p, "%s: %zu labels and le, at most %d", p->families[p->nfamilies - 1],
			    nlabels, TW_PROM_LABEL_MAX);
	for (size_t i = 0; i < nlabels; i++) {
		if (labels[i].name && strcmp(labels[i].name, "le") == 0)
			return fail(p, "%s: le is the histogram's own label",
				    p->families[p->nfamilies - 1]);
		l[i] = labels[i];
	}
	l[nlabels].name = "le";
	for (size_t i = 0; i <= nle; i++) {
		/* Strictly rising bounds, else the cumulative counts would lie. */
		if (i < nle && i > 0 && !(strtod(le[i], NULL) > strtod(le[i - 1], NULL)))
			return fail(p, "%s: le %s after %s does not rise",
				    p->families[p->nfamilies - 1], le[i], le[i - 1]);
		cumulative += counts[i];
		l[nlabels].value = i < nle ? le[i] : "+Inf";
		if (tw_prom_sample_u64(p, "_bucket", l, nlabels + 1, cumulative) < 0)
			return -1;
	}
	if (tw_prom_sample(p, "_sum", labels, nlabels, sum) < 0)
		return -1;
	return tw_prom_sample_u64(p, "_count", labels, nlabels, cumulative);
}

int tw_prom_finish(struct tw_prom *p)
{
	if (fflush(p->out) != 0 || ferror(p->out))
		fail(p, "write error");
	return p->err ? -1 : 0;
}

char *tw_prom_fmt_f64(char *buf, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		/* A whole number, exact in a double (below 2^53), as an integer:
		 * the shortest form below writes 200 as "2e+02", which parsers
		 * take but people and grep do not. */
		snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v);
	} else {
		/* The fewest digits that read back as v (what Go's strconv
		 * 'g', -1 gives): 0.1 stays "0.1", not 0.10000000000000001. */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, len, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
	return buf;
}

char *tw_prom_fmt_fixed(char *buf, size_t len, uint64_t v, unsigned decimals)
{
	uint64_t scale = 1;
	char frac[24];
	int n;

	if (decimals > 19)
		decimals = 19;
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	n = snprintf(frac, sizeof(frac), "%0*" PRIu64, (int)decimals, v % scale);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	snprintf(buf, len, "%" PRIu64 "%s%s", v / scale, n ? "." : "", frac);
	return buf;
}

#include "common.h"
#include "template_int.h"

#include <math.h>

/*
 * Template values as text, the way JavaScript prints them: HTML escaping
 * (Mustache mode), numbers in shortest round-trip form, String() of
 * arrays and objects, and JSON.stringify for the json helper. The
 * renderer (template.c) decides what to print; this file how.
 */

void pops_template__put_escaped(pops_buf *out, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *r;

		switch (s[i]) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		default: continue;
		}
		pops_buf_put(out, s + start, i - start);
		pops_buf_puts(out, r);
		start = i + 1;
	}
	pops_buf_put(out, s + start, n - start);
}

int pops_template__put_number(pops_buf *out, double d)
{
	char tmp[64], digits[32];
	int prec, exp10, k, n, i;
	char *e;

	if (isnan(d))
		return pops_buf_puts(out, "NaN");
	if (isinf(d))
		return pops_buf_puts(out, d < 0 ? "-Infinity" : "Infinity");
	if (d == 0)
		return pops_buf_putc(out, '0');
	if (d == floor(d) && fabs(d) < 1e15) {
		/* integers (counters, @index) are the common case: no printf */
		char digs[24];
		int at = (int)sizeof(digs);
		long long x = (long long)d;
		unsigned long long ux = x < 0 ? (unsigned long long)-x : (unsigned long long)x;

		do {
			digs[--at] = (char)('0' + ux % 10);
			ux /= 10;
		} while (ux);
		if (x < 0)
			digs[--at] = '-';
		pops_template__out_put(out, digs + at, sizeof(digs) - (size_t)at);
		return POPS_OK;
	}
	if (d == floor(d) && fabs(d) < 1e21)
		return pops_buf_printf(out, "%.0f", d);
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp = [-]d[.ddd]e[+-]xx: digits and decimal exponent, JS layout */
	e = strchr(tmp, 'e');
	if (!e)
		return pops_buf_puts(out, tmp);
	exp10 = (int)strtol(e + 1, NULL, 10);
	k = 0;
	for (char *p = tmp; p < e; p++)
		if (isdigit((unsigned char)*p) && k < (int)sizeof(digits) - 1)
			digits[k++] = *p;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	n = exp10 + 1;
	if (d < 0)
		pops_buf_putc(out, '-');
	if (k <= n && n <= 21) {
		pops_buf_put(out, digits, (size_t)k);
		for (i = k; i < n; i++)
			pops_buf_putc(out, '0');
	} else if (0 < n && n <= 21) {
		pops_buf_put(out, digits, (size_t)n);
		pops_buf_putc(out, '.');
		pops_buf_puts(out, digits + n);
	} else if (-6 < n && n <= 0) {
		pops_buf_puts(out, "0.");
		for (i = 0; i < -n; i++)
			pops_buf_putc(out, '0');
		pops_buf_puts(out, digits);
	} else {
		pops_buf_putc(out, digits[0]);
		if (k > 1) {
			pops_buf_putc(out, '.');
			pops_buf_puts(out, digits + 1);
		}
		pops_buf_printf(out, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	return pops_buf_oom(out) ? POPS_ERROR : POPS_OK;
}

void pops_template__put_js(pops_buf *out, const cJSON *v, int top, int depth)
{
	if (!v || cJSON_IsNull(v))
		return;
	if (cJSON_IsString(v))
		pops_buf_puts(out, v->valuestring);
	else if (cJSON_IsNumber(v))
		pops_template__put_number(out, v->valuedouble);
	else if (cJSON_IsBool(v))
		pops_buf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsArray(v) && depth < POPS_TEMPLATE_MAX_DEPTH) {
		for (const cJSON *c = v->child; c; c = c->next) {
			if (c != v->child)
				pops_buf_putc(out, ',');
			pops_template__put_js(out, c, 0, depth + 1);
		}
	} else if (cJSON_IsObject(v))
		pops_buf_puts(out, "[object Object]");
	(void)top;
}

int pops_template_put_value(pops_buf *out, const cJSON *v)
{
	pops_template__put_js(out, v, 1, 0);
	return pops_buf_oom(out) ? POPS_ERROR : POPS_OK;
}

void pops_template__json_string(pops_buf *out, const char *s, size_t n)
{
	size_t start = 0;

	pops_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *r = NULL;

		if (c == '"') r = "\\\"";
		else if (c == '\\') r = "\\\\";
		else if (c == '\n') r = "\\n";
		else if (c == '\r') r = "\\r";
		else if (c == '\t') r = "\\t";
		else if (c == '\b') r = "\\b";
		else if (c == '\f') r = "\\f";
		else if (c >= 0x20) continue;
		pops_buf_put(out, s + start, i - start);
		if (r)
			pops_buf_puts(out, r);
		else
			pops_buf_printf(out, "\\u%04x", c);
		start = i + 1;
	}
	pops_buf_put(out, s + start, n - start);
	pops_buf_putc(out, '"');
}

static void newline_indent(pops_buf *out, int indent, int level)
{
	if (!indent)
		return;
	pops_buf_putc(out, '\n');
	for (int i = 0; i < indent * level; i++)
		pops_buf_putc(out, ' ');
}

static void json_put(pops_buf *out, const cJSON *v, int indent, int level)
{
	const cJSON *c;

	if (cJSON_IsString(v)) {
		pops_template__json_string(out, v->valuestring, strlen(v->valuestring));
	} else if (cJSON_IsNumber(v)) {
		if (isfinite(v->valuedouble))
			pops_template__put_number(out, v->valuedouble);
		else
			pops_buf_puts(out, "null");
	} else if (cJSON_IsBool(v)) {
		pops_buf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
	} else if ((cJSON_IsArray(v) || cJSON_IsObject(v)) && level < 1000) {
		int obj = cJSON_IsObject(v);

		pops_buf_putc(out, obj ? '{' : '[');
		for (c = v->child; c; c = c->next) {
			if (c != v->child)
				pops_buf_putc(out, ',');
			newline_indent(out, indent, level + 1);
			if (obj) {
				pops_template__json_string(out, c->string, strlen(c->string));
				pops_buf_puts(out, indent ? ": " : ":");
			}
			json_put(out, c, indent, level + 1);
		}
		if (v->child)
			newline_indent(out, indent, level);
		pops_buf_putc(out, obj ? '}' : ']');
	} else {
		pops_buf_puts(out, "null");
	}
}

int pops_json_put(pops_buf *out, const cJSON *v, int indent)
{
	if (indent < 0)
		indent = 0;
	if (indent > 10)
		indent = 10;   /* JSON.stringify caps the indent at 10 too */
	json_put(out, v, indent, 0);
	return pops_buf_oom(out) ? POPS_ERROR : POPS_OK;
}

#include "common.h"
#include "fuzz.h"
#include "template.h"

/*
 * The template compiler and renderer. The input is a main template,
 * then optional partials, separated by NUL bytes: "main\0a\0src-a\0b\0
 * src-b..." (name, source pairs), so partials calling partials (and
 * themselves) are reachable. The first byte picks the dialect ('M'
 * Mustache, else Handlebars). It renders against a fixed context with
 * arrays, nesting and odd values, into a buffer capped at
 * POPS_RENDER_MAX_BYTES (as promptfile rendering does): an exponential
 * partial or each blow-up must end as an error, quickly.
 */

struct parts {
	const char *names[16];
	const char *srcs[16];
	size_t lens[16];
	size_t n;
};

static int load(void *payload, const char *name, pops_buf *out)
{
	const struct parts *p = payload;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->names[i], name))
			return pops_buf_set(out, p->srcs[i], p->lens[i]);
	return POPS_ENOTFOUND;
}

static const char context_json[] =
	"{\"name\":\"Ann\",\"n\":3,\"f\":1.5e300,\"t\":true,\"z\":null,\"e\":\"\","
	"\"html\":\"<b>&\\\"'</b>\",\"list\":[1,\"two\",{\"name\":\"x\",\"list\":[[],[1,2]]},null],"
	"\"obj\":{\"a\":{\"b\":{\"c\":\"deep\"}},\"list\":[true,false]},"
	"\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}],"
	"\"big\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31]}";

POPS_FUZZ_TARGET(template)
{
	char *copy = fuzz_copy(data, size);
	pops_template_options o = POPS_TEMPLATE_OPTIONS_INIT;
	pops_template *t = NULL;
	struct parts parts;
	size_t main_len = strlen(copy), off;
	cJSON *ctx = cJSON_Parse(context_json), *dat = cJSON_Parse("{\"state\":{\"x\":1}}");
	pops_buf out = POPS_BUF_INIT;

	memset(&parts, 0, sizeof(parts));
	off = main_len + 1;
	while (off < size && parts.n < 16) {
		const char *name = copy + off, *src;

		off += strlen(name) + 1;
		if (off > size)
			break;
		src = copy + off;
		parts.names[parts.n] = name;
		parts.srcs[parts.n] = src;
		parts.lens[parts.n] = strlen(src);
		parts.n++;
		off += strlen(src) + 1;
	}
	o.dialect = size && copy[0] == 'M' ? POPS_TEMPLATE_MUSTACHE : POPS_TEMPLATE_HANDLEBARS;
	o.filename = "fuzz.prompt";
	o.first_line = 4;
	o.load_partial = load;
	/* as lib/promptfile_render.c does: the cap is the caller's buffer limit */
	out.limit = POPS_RENDER_MAX_BYTES;
	o.payload = &parts;
	if (pops_template_compile(&t, copy, main_len, &o) == 0) {
		if (pops_template_render(t, ctx, dat, &out) == 0)
			assert(!pops_buf_oom(&out));
		pops_buf_dispose(&out);
		(void)pops_template_render(t, NULL, NULL, &out);
		pops_template_free(t);
	}
	pops_buf_dispose(&out);
	cJSON_Delete(ctx);
	cJSON_Delete(dat);
	free(copy);
	return 0;
}

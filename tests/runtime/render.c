/*
 * rt-render DIR NAME [--key K] [--vars JSON]: what libpops serves for
 * prompt NAME of the bundle in DIR: the render JSON on stdout (with the
 * newline `pops render --json` ends with), the variant's fields on stderr
 * as "side=... served=... model_id=... version=...". Exit 1 with the
 * library's message on an error. For tests/cli/t0660-runtime.sh.
 */
#include <stdio.h>
#include <string.h>
#include <pops/runtime.h>

int main(int argc, char **argv)
{
	const char *key = NULL, *vars = NULL;
	pops_runtime *rt;
	pops_variant *v;
	char *json = NULL;
	int i, rc;

	for (i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--key"))
			key = argv[i + 1];
		else if (!strcmp(argv[i], "--vars"))
			vars = argv[i + 1];
	}
	if (argc < 3 || i != argc) {
		fprintf(stderr, "usage: rt-render DIR NAME [--key K] [--vars JSON]\n");
		return 2;
	}
	if ((rc = pops_runtime_open(&rt, argv[1])) < 0) {
		fprintf(stderr, "error (%d): %s\n", rc, pops_runtime_last_error());
		return 1;
	}
	if ((rc = pops_runtime_get(&v, rt, argv[2], key)) < 0) {
		fprintf(stderr, "error (%d): %s\n", rc, pops_runtime_last_error());
		pops_runtime_close(rt);
		return 1;
	}
	fprintf(stderr, "side=%s served=%s model_id=%s version=%ld\nmodel=%s\n",
	        pops_variant_side(v), pops_variant_served(v),
	        pops_variant_model_id(v) ? pops_variant_model_id(v) : "(null)",
	        pops_variant_version(v), pops_variant_model_json(v));
	if ((rc = pops_variant_render(&json, v, vars)) < 0)
		fprintf(stderr, "error (%d): %s\n", rc, pops_runtime_last_error());
	else
		printf("%s\n", json);
	pops_runtime_free(json);
	pops_variant_release(v);
	pops_runtime_close(rt);
	return rc < 0 ? 1 : 0;
}

#include "common.h"
#include "jsonget.h"

const char *pops_json_str(const cJSON *obj, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

double pops_json_num(const cJSON *obj, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int pops_json_num_get(double *out, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v))
		return 0;
	*out = v->valuedouble;
	return 1;
}

long pops_json_count(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9e18
	           ? (long)v->valuedouble : -1;
}

struct member {
	const cJSON *item;
	size_t index;    /* ties (duplicate keys) keep their order */
};

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(x->item->string ? x->item->string : "", y->item->string ? y->item->string : "");

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* a deep copy of `v` whose objects have their keys in byte order */
cJSON *pops_json_sorted_copy(const cJSON *v)
{
	struct member *m = NULL;
	const cJSON *it;
	cJSON *out, *child;
	size_t n = 0, i;

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return cJSON_Duplicate(v, 1);
	out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!out)
		return NULL;
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(it, v) {
			if (!(child = pops_json_sorted_copy(it)) || !cJSON_AddItemToArray(out, child)) {
				cJSON_Delete(child);
				goto fail;
			}
		}
		return out;
	}
	cJSON_ArrayForEach(it, v)
		n++;
	if (n && !(m = calloc(n, sizeof(*m))))
		goto fail;
	i = 0;
	cJSON_ArrayForEach(it, v) {
		m[i].item = it;
		m[i].index = i;
		i++;
	}
	if (n)
		qsort(m, n, sizeof(*m), cmp_member);
	for (i = 0; i < n; i++) {
		if (!(child = pops_json_sorted_copy(m[i].item)) ||
		    !cJSON_AddItemToObject(out, m[i].item->string ? m[i].item->string : "", child)) {
			cJSON_Delete(child);
			goto fail;
		}
	}
	free(m);
	return out;
fail:
	free(m);
	cJSON_Delete(out);
	return NULL;
}

char *pops_json_canonical(const cJSON *v)
{
	cJSON *s = pops_json_sorted_copy(v);
	char *text = s ? cJSON_PrintUnformatted(s) : NULL;

	cJSON_Delete(s);
	return text;
}

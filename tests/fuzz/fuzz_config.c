#include "common.h"
#include "fuzz.h"
#include "config.h"

/*
 * pops.yaml: parse, validate, then use every look-up the commands use,
 * on the names the file itself defines.
 */
POPS_FUZZ_TARGET(config)
{
	pops_config *cfg = NULL;
	char *copy = fuzz_copy(data, size);
	size_t i, idx;

	if (pops_config_parse(&cfg, copy, size, "dir/pops.yaml") == 0) {
		for (i = 0; i < cfg->nmodels; i++) {
			const pops_model_cfg *m = pops_config_model(cfg, cfg->models[i].alias);

			assert(m && pops_config_provider(cfg, m->provider));
			(void)pops_config_price(cfg, m->id);
		}
		for (i = 0; i < cfg->nproviders; i++)
			assert(pops_config_provider(cfg, cfg->providers[i].name));
		for (i = 0; i < cfg->nenvs; i++) {
			size_t k;

			assert(pops_config_env(cfg, cfg->envs[i].name, &idx) && idx == i);
			for (k = 0; k < cfg->envs[i].nsuites; k++)
				assert(cfg->envs[i].suites[k]);
		}
		assert(cfg->prompts_dir && cfg->evals_dir);
	} else {
		assert(cfg == NULL);
	}
	pops_config_free(cfg);
	free(copy);
	return 0;
}

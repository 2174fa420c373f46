#include "unit.h"
#include <math.h>
#include "stats.h"

#define NEAR(a, b, eps) CHECK(fabs((a) - (b)) < (eps))

TEST(wilson_matches_published_interval)
{
	double lo, hi;

	/* 38/40: Wilson 95% = [0.8356, 0.9862] */
	pops_stats_wilson(&lo, &hi, 38, 40);
	NEAR(lo, 0.8356, 1e-3);
	NEAR(hi, 0.9862, 1e-3);
	pops_stats_wilson(&lo, &hi, 0, 10);
	NEAR(lo, 0.0, 1e-9);
	NEAR(hi, 0.2775, 1e-3);
	pops_stats_wilson(&lo, &hi, 0, 0);
	NEAR(lo, 0.0, 1e-9);
	NEAR(hi, 1.0, 1e-9);
}

TEST(mcnemar_exact_p_values)
{
	NEAR(pops_stats_mcnemar(0, 0), 1.0, 1e-12);
	/* 6 flips one way: 2 * 0.5^6 = 0.03125 */
	NEAR(pops_stats_mcnemar(6, 0), 0.03125, 1e-9);
	NEAR(pops_stats_mcnemar(0, 5), 0.0625, 1e-9);
	/* b=10 c=2: 2 * sum_{i<=2} C(12,i)/4096 = 2*79/4096 */
	NEAR(pops_stats_mcnemar(10, 2), 158.0 / 4096.0, 1e-9);
	NEAR(pops_stats_mcnemar(3, 3), 1.0, 1e-9);
}

TEST(min_detectable_drop_needs_six_flips)
{
	NEAR(pops_stats_min_detectable_drop(100), 0.06, 1e-12);
	NEAR(pops_stats_min_detectable_drop(5), 1.0, 1e-12);
	NEAR(pops_stats_min_detectable_drop(0), 1.0, 1e-12);
}

TEST(pass_at_k_estimators)
{
	NEAR(pops_stats_pass_at_k(5, 0, 1), 0.0, 1e-12);
	NEAR(pops_stats_pass_at_k(5, 5, 3), 1.0, 1e-12);
	/* n=4 c=2 k=2: 1 - C(2,2)/C(4,2) = 5/6 */
	NEAR(pops_stats_pass_at_k(4, 2, 2), 5.0 / 6.0, 1e-9);
	/* pass^k: C(2,2)/C(4,2) = 1/6 */
	NEAR(pops_stats_pass_hat_k(4, 2, 2), 1.0 / 6.0, 1e-9);
	NEAR(pops_stats_pass_at_k(2, 1, 3), -1.0, 1e-12);
}

TEST(percentile_nearest_rank)
{
	double v[] = { 5, 1, 4, 2, 3, 10, 9, 8, 7, 6 };

	NEAR(pops_stats_percentile(v, 10, 50), 5, 1e-12);
	NEAR(pops_stats_percentile(v, 10, 95), 10, 1e-12);
	NEAR(pops_stats_percentile(v, 10, 0), 1, 1e-12);
	NEAR(pops_stats_percentile(v, 0, 50), 0, 1e-12);
}

TEST(agreement_kappa_and_rates)
{
	pops_agreement a;

	/* classic example: tp=20 fn=5 fp=10 tn=15 -> po=0.7 pe=0.5 kappa=0.4 */
	pops_stats_agreement(&a, 20, 15, 10, 5);
	NEAR(a.accuracy, 0.7, 1e-9);
	NEAR(a.kappa, 0.4, 1e-9);
	NEAR(a.tpr, 0.8, 1e-9);
	NEAR(a.tnr, 0.6, 1e-9);
	CHECK(a.kappa_lo < 0.4 && a.kappa_hi > 0.4);
	pops_stats_agreement(&a, 0, 0, 0, 0);
	NEAR(a.kappa, -1.0, 1e-12);
}

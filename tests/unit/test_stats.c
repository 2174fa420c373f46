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

/*
 * Reference values from scipy.stats.fisher_exact(table) (two-sided),
 * recomputed with python3's math.comb: sum of C(r1,x) C(r2,c1-x) / C(n,c1)
 * over the tables no more likely than the observed one.
 */
TEST(fisher_exact_matches_scipy)
{
	/* Fisher's lady tasting tea */
	NEAR(pops_stats_fisher_exact(3, 1, 1, 3), 0.4857142857142857, 1e-12);
	NEAR(pops_stats_fisher_exact(8, 2, 1, 5), 0.03496503496503496, 1e-12);
	NEAR(pops_stats_fisher_exact(1, 9, 11, 3), 0.002759456185220083, 1e-12);
	/* 95/100 against 70/100: the drop a drift check must flag */
	NEAR(pops_stats_fisher_exact(95, 5, 70, 30) / 3.5476954553155868e-06, 1.0, 1e-9);
	/* 95/100 against 92/100: noise */
	NEAR(pops_stats_fisher_exact(95, 5, 92, 8), 0.5679253786222119, 1e-12);
	NEAR(pops_stats_fisher_exact(190, 10, 140, 60) / 1.8939251473910632e-11, 1.0, 1e-9);
	NEAR(pops_stats_fisher_exact(0, 10, 10, 0) / 1.082508822446903e-05, 1.0, 1e-9);
	/* symmetric in the two samples */
	NEAR(pops_stats_fisher_exact(70, 30, 95, 5), pops_stats_fisher_exact(95, 5, 70, 30), 1e-15);
	/* a zero margin: nothing to test */
	NEAR(pops_stats_fisher_exact(5, 0, 5, 0), 1.0, 1e-12);
	NEAR(pops_stats_fisher_exact(0, 0, 3, 4), 1.0, 1e-12);
}

TEST(holm_adjusts_step_down_and_caps_at_one)
{
	/* sorted 0.005 0.01 0.03 0.04 -> 4p 3p 2p 1p = .02 .03 .06 .04, running max */
	const double p[] = { 0.01, 0.04, 0.03, 0.005 };
	const double q[] = { 0.5, 0.6 };
	const double one[] = { 0.02 };
	const double tie[] = { 0.02, 0.02 };
	double adj[4];

	pops_stats_holm(adj, p, 4);
	NEAR(adj[0], 0.03, 1e-12);
	NEAR(adj[1], 0.06, 1e-12);
	NEAR(adj[2], 0.06, 1e-12);
	NEAR(adj[3], 0.02, 1e-12);
	pops_stats_holm(adj, q, 2);
	NEAR(adj[0], 1.0, 1e-12);
	NEAR(adj[1], 1.0, 1e-12);
	/* a family of one is not corrected */
	pops_stats_holm(adj, one, 1);
	NEAR(adj[0], 0.02, 1e-12);
	pops_stats_holm(adj, tie, 2);
	NEAR(adj[0], 0.04, 1e-12);
	NEAR(adj[1], 0.04, 1e-12);
}

/*
 * Fleiss (1971) as worked in Wikipedia's "Fleiss' kappa" article: 10
 * subjects, 14 raters, 5 categories; P-bar = 0.378, P_e = 0.213,
 * kappa = 0.210.
 */
TEST(fleiss_kappa_published_example)
{
	static const unsigned t[10 * 5] = {
		0, 0, 0, 0, 14,
		0, 2, 6, 4, 2,
		0, 0, 3, 5, 6,
		0, 3, 9, 2, 0,
		2, 2, 8, 1, 1,
		7, 7, 0, 0, 0,
		3, 2, 6, 3, 0,
		2, 5, 3, 2, 2,
		6, 5, 2, 1, 0,
		0, 2, 2, 3, 7,
	};
	/* three judges, pass/fail: perfect agreement on mixed verdicts is 1 */
	static const unsigned same[3 * 2] = { 3, 0, 0, 3, 3, 0 };
	static const unsigned one[2 * 2] = { 3, 0, 3, 0 };
	/* a row of one rater is left out */
	static const unsigned thin[3 * 2] = { 3, 0, 0, 3, 1, 0 };

	NEAR(pops_stats_fleiss_kappa(t, 10, 5), 0.20993070442195522, 1e-9);
	NEAR(pops_stats_fleiss_kappa(same, 3, 2), 1.0, 1e-12);
	NEAR(pops_stats_fleiss_kappa(one, 2, 2), -2.0, 1e-12);
	NEAR(pops_stats_fleiss_kappa(thin, 3, 2), 1.0, 1e-12);
	NEAR(pops_stats_fleiss_kappa(NULL, 0, 2), -2.0, 1e-12);
}

TEST(fleiss_kappa_is_the_same_in_any_row_order)
{
	/* 3 raters: rows (3,0) (2,1) (1,2) (0,3) (2,1) (2,1) (3,0), and reversed */
	static const unsigned a[] = { 3, 0, 2, 1, 1, 2, 0, 3, 2, 1, 2, 1, 3, 0 };
	static const unsigned b[] = { 3, 0, 2, 1, 2, 1, 0, 3, 1, 2, 2, 1, 3, 0 };
	static const unsigned c[] = { 2, 1, 2, 1, 3, 0, 1, 2, 0, 3, 3, 0, 2, 1 };
	double ka = pops_stats_fleiss_kappa(a, 7, 2);

	CHECK(ka == pops_stats_fleiss_kappa(b, 7, 2));
	CHECK(ka == pops_stats_fleiss_kappa(c, 7, 2));
}

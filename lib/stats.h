#ifndef POPS_STATS_H
#define POPS_STATS_H
#include <stddef.h>
/*
 * Statistics for eval results. Pure functions: no allocation, no errors.
 * Everything uses 95% two-sided intervals (z = 1.959964) because that is
 * what the reports and the promotion gates state.
 */

/*
 * Wilson score interval for `passed` successes out of `n` trials. With
 * n == 0 the interval is [0, 1] (nothing is known).
 */
void pops_stats_wilson(double *lo_out, double *hi_out, size_t passed, size_t n);

/*
 * Exact two-sided McNemar p-value for paired outcomes: `b` cases went
 * pass->fail, `c` went fail->pass. Binomial test of min(b,c) under p=0.5,
 * doubled and capped at 1; 1.0 when there are no discordant pairs.
 */
double pops_stats_mcnemar(size_t b, size_t c);

/*
 * The smallest drop in pass rate that `n` paired cases could show as
 * significant (p < 0.05) in the best case for detection (all flips in
 * one direction): k/n for the smallest k with mcnemar(k, 0) < 0.05.
 * 1.0 when even n flips would not be significant (or n == 0).
 */
double pops_stats_min_detectable_drop(size_t n);

/*
 * Unbiased pass@k (chance that at least one of k samples passes) and
 * pass^k (chance that all k pass), from c passes in n samples, k <= n.
 * Returns -1 when k > n or k == 0.
 */
double pops_stats_pass_at_k(size_t n, size_t c, size_t k);
double pops_stats_pass_hat_k(size_t n, size_t c, size_t k);

/*
 * The p-th percentile (0..100, nearest rank) of `v[0..n)`, which is sorted
 * in place. 0 when n == 0.
 */
double pops_stats_percentile(double *v, size_t n, double p);

/*
 * Agreement of a binary judge with binary human labels. `tp`: both pass,
 * `tn`: both fail, `fp`: judge pass / human fail, `fn`: judge fail /
 * human pass. Rates come with Wilson intervals; kappa with a normal-
 * approximation interval clipped to [-1, 1]. Undefined rates are -1.
 */
typedef struct pops_agreement {
	double tpr, tpr_lo, tpr_hi;
	double tnr, tnr_lo, tnr_hi;
	double accuracy, acc_lo, acc_hi;
	double kappa, kappa_lo, kappa_hi;
} pops_agreement;
void pops_stats_agreement(pops_agreement *out, size_t tp, size_t tn,
                          size_t fp, size_t fn);
#endif

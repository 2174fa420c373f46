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

/*
 * Two-sided Fisher exact test of the 2x2 table [[a, b], [c, d]] (for
 * pass rates: a passed and b failed in one sample, c passed and d failed
 * in the other). The p-value sums the hypergeometric probabilities of
 * every table with the same margins that is no more likely than the
 * observed one (with scipy's relative tolerance of 1e-7, so that ties
 * computed in floating point count). 1.0 when a margin is zero.
 */
double pops_stats_fisher_exact(size_t a, size_t b, size_t c, size_t d);

/*
 * Holm's step-down correction of `n` p-values `p[0..n)` for testing them
 * as one family: `adj_out[i]` (not aliasing `p`) gets the adjusted
 * p-value of p[i], min(1, max over the j-th smallest p-values up to
 * p[i]'s rank of (n - j) * p_(j)) (j from 0). Compare adjusted values
 * with alpha. Equal p-values are ranked by index. O(n^2), no allocation.
 */
void pops_stats_holm(double *adj_out, const double *p, size_t n);

/*
 * Fleiss' kappa: agreement of several raters putting subjects into
 * categories, beyond what chance would give. `counts` is `subjects` rows
 * of `categories` numbers, counts[i * categories + j] the raters who put
 * subject i in category j. Rows may have different rater totals (a judge
 * that gave no verdict); rows with fewer than 2 raters are left out.
 * P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)), p_j = category j's share
 * of all ratings, kappa = (mean P_i - sum p_j^2) / (1 - sum p_j^2).
 * Returns -2 when it is undefined: no row with 2 raters, or every rating
 * in one category (chance agreement is 1).
 */
double pops_stats_fleiss_kappa(const unsigned *counts, size_t subjects, size_t categories);
#endif

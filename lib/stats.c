#include "common.h"
#include <math.h>
#include "stats.h"

#define Z95 1.959963984540054

void pops_stats_wilson(double *lo_out, double *hi_out, size_t passed, size_t n)
{
	double p, z2, den, centre, half;

	if (n == 0) {
		*lo_out = 0.0;
		*hi_out = 1.0;
		return;
	}
	p = (double)passed / (double)n;
	z2 = Z95 * Z95;
	den = 1.0 + z2 / (double)n;
	centre = (p + z2 / (2.0 * (double)n)) / den;
	half = Z95 * sqrt(p * (1.0 - p) / (double)n + z2 / (4.0 * (double)n * (double)n)) / den;
	*lo_out = centre - half < 0.0 ? 0.0 : centre - half;
	*hi_out = centre + half > 1.0 ? 1.0 : centre + half;
}

/* log of n choose k, via lgamma so that large n does not overflow */
static double log_choose(size_t n, size_t k)
{
	return lgamma((double)n + 1.0) - lgamma((double)k + 1.0) -
	       lgamma((double)(n - k) + 1.0);
}

double pops_stats_mcnemar(size_t b, size_t c)
{
	size_t n = b + c, m = b < c ? b : c, i;
	double sum = 0.0, p;

	if (n == 0)
		return 1.0;
	for (i = 0; i <= m; i++)
		sum += exp(log_choose(n, i) - (double)n * log(2.0));
	p = 2.0 * sum;
	return p > 1.0 ? 1.0 : p;
}

double pops_stats_min_detectable_drop(size_t n)
{
	size_t k;

	for (k = 1; k <= n; k++)
		if (pops_stats_mcnemar(k, 0) < 0.05)
			return (double)k / (double)n;
	return 1.0;
}

double pops_stats_pass_at_k(size_t n, size_t c, size_t k)
{
	if (k == 0 || k > n)
		return -1.0;
	if (n - c < k)
		return 1.0;
	return 1.0 - exp(log_choose(n - c, k) - log_choose(n, k));
}

double pops_stats_pass_hat_k(size_t n, size_t c, size_t k)
{
	if (k == 0 || k > n)
		return -1.0;
	if (c < k)
		return 0.0;
	return exp(log_choose(c, k) - log_choose(n, k));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double pops_stats_percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0.0;
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void pops_stats_agreement(pops_agreement *out, size_t tp, size_t tn,
                          size_t fp, size_t fn)
{
	size_t n = tp + tn + fp + fn;
	double po, pe, se, pj, ph;

	memset(out, 0, sizeof(*out));
	out->tpr = out->tnr = out->accuracy = out->kappa = -1.0;
	if (tp + fn) {
		out->tpr = (double)tp / (double)(tp + fn);
		pops_stats_wilson(&out->tpr_lo, &out->tpr_hi, tp, tp + fn);
	}
	if (tn + fp) {
		out->tnr = (double)tn / (double)(tn + fp);
		pops_stats_wilson(&out->tnr_lo, &out->tnr_hi, tn, tn + fp);
	}
	if (n == 0)
		return;
	po = (double)(tp + tn) / (double)n;
	out->accuracy = po;
	pops_stats_wilson(&out->acc_lo, &out->acc_hi, tp + tn, n);
	pj = (double)(tp + fp) / (double)n;   /* judge says pass */
	ph = (double)(tp + fn) / (double)n;   /* human says pass */
	pe = pj * ph + (1.0 - pj) * (1.0 - ph);
	if (pe >= 1.0) {
		/* both raters constant: agreement is perfect or undefined */
		out->kappa = po >= 1.0 ? 1.0 : 0.0;
		out->kappa_lo = out->kappa_hi = out->kappa;
		return;
	}
	out->kappa = (po - pe) / (1.0 - pe);
	se = sqrt(po * (1.0 - po) / ((double)n * (1.0 - pe) * (1.0 - pe)));
	out->kappa_lo = out->kappa - Z95 * se < -1.0 ? -1.0 : out->kappa - Z95 * se;
	out->kappa_hi = out->kappa + Z95 * se > 1.0 ? 1.0 : out->kappa + Z95 * se;
}

double pops_stats_fisher_exact(size_t a, size_t b, size_t c, size_t d)
{
	size_t r1 = a + b, r2 = c + d, c1 = a + c, n = r1 + r2, x, lo, hi;
	double base, lp_obs, sum = 0.0;

	if (r1 == 0 || r2 == 0 || c1 == 0 || c1 == n)
		return 1.0;
	base = log_choose(n, c1);
	lp_obs = log_choose(r1, a) + log_choose(r2, c) - base;
	lo = c1 > r2 ? c1 - r2 : 0;
	hi = r1 < c1 ? r1 : c1;
	for (x = lo; x <= hi; x++) {
		double lp = log_choose(r1, x) + log_choose(r2, c1 - x) - base;

		/* lp <= lp_obs + log(1 + 1e-7): scipy's tolerance, in log space */
		if (lp <= lp_obs + 1e-7)
			sum += exp(lp);
	}
	return sum > 1.0 ? 1.0 : sum;
}

/* the 0-based rank of p[i] among p[0..n): smaller values first, ties by index */
static size_t holm_rank(const double *p, size_t n, size_t i)
{
	size_t j, r = 0;

	for (j = 0; j < n; j++)
		if (p[j] < p[i] || (p[j] == p[i] && j < i))
			r++;
	return r;
}

void pops_stats_holm(double *adj_out, const double *p, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		size_t ri = holm_rank(p, n, i);
		double best = 0.0, tmp;

		for (j = 0; j < n; j++) {
			size_t rj = holm_rank(p, n, j);

			if (rj <= ri) {
				tmp = (double)(n - rj) * p[j];
				if (tmp > best)
					best = tmp;
			}
		}
		adj_out[i] = best > 1.0 ? 1.0 : best;
	}
}

/* rows of up to this many raters are summed exactly, per rater count */
#define FLEISS_EXACT_RATERS 64

double pops_stats_fleiss_kappa(const unsigned *counts, size_t subjects, size_t categories)
{
	double sum_p = 0, total = 0, pe = 0, cat;
	/*
	 * sum_j n_ij^2 - n_i per rater count, in integers: the mean P_i is then
	 * the same whatever order the rows come in (a merged sharded run's
	 * kappa is exactly one run's)
	 */
	unsigned long long agree[FLEISS_EXACT_RATERS + 1] = { 0 };
	size_t i, j, rows = 0;

	for (i = 0; i < subjects; i++) {
		const unsigned *row = counts + i * categories;
		double n = 0, sq = 0;

		for (j = 0; j < categories; j++) {
			n += row[j];
			sq += (double)row[j] * row[j];
		}
		if (n < 2)
			continue;
		if (n <= FLEISS_EXACT_RATERS)
			agree[(size_t)n] += (unsigned long long)(sq - n);
		else
			sum_p += (sq - n) / (n * (n - 1));
		total += n;
		rows++;
	}
	if (!rows)
		return -2;
	for (j = 2; j <= FLEISS_EXACT_RATERS; j++)
		sum_p += (double)agree[j] / ((double)j * (double)(j - 1));
	for (j = 0; j < categories; j++) {
		cat = 0;
		for (i = 0; i < subjects; i++) {
			const unsigned *row = counts + i * categories;
			unsigned n = 0;
			size_t k;

			for (k = 0; k < categories; k++)
				n += row[k];
			if (n >= 2)
				cat += row[j];
		}
		pe += (cat / total) * (cat / total);
	}
	if (pe >= 1 - 1e-12)
		return -2;
	return (sum_p / (double)rows - pe) / (1 - pe);
}

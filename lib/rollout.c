#include "common.h"
#include "rollout.h"
#include "strutil.h"
#include "sha256.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

unsigned pops_rollout_bucket(const char *salt, const char *key, size_t key_len)
{
	pops_sha256 c;
	unsigned char d[32];
	uint64_t v = 0;
	int i;

	pops_sha256_init(&c);
	pops_sha256_update(&c, salt, strlen(salt));
	pops_sha256_update(&c, ":", 1);
	pops_sha256_update(&c, key, key_len);
	pops_sha256_final(&c, d);
	for (i = 0; i < 8; i++)
		v = (v << 8) | d[i];
	return (unsigned)(v % POPS_ROLLOUT_BUCKETS);
}

int pops_rollout_is_canary(const char *salt, const char *key, size_t key_len,
                           unsigned percent)
{
	if (percent > 100)
		percent = 100;
	return pops_rollout_bucket(salt, key, key_len) < percent * 100u;
}

int pops_rollout_percent_ok(long percent)
{
	return percent >= (long)POPS_ROLLOUT_MIN_PERCENT && percent <= (long)POPS_ROLLOUT_MAX_PERCENT;
}

int pops_rollout_salt_ok(const char *salt)
{
	size_t i;

	if (!salt)
		return 0;
	for (i = 0; i < POPS_ROLLOUT_SALT_LEN; i++)
		if (!((salt[i] >= '0' && salt[i] <= '9') || (salt[i] >= 'a' && salt[i] <= 'f')))
			return 0;
	return salt[i] == '\0';
}

int pops_rollout_salt_new(char out[POPS_ROLLOUT_SALT_LEN + 1])
{
	unsigned char b[POPS_ROLLOUT_SALT_LEN / 2];
	size_t got = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return pops_error_set(POPS_ERROR, "cannot open /dev/urandom for a rollout salt: %s",
		                      strerror(errno));
	while (got < sizeof(b)) {
		ssize_t n = read(fd, b + got, sizeof(b) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return pops_error_set(POPS_ERROR, "cannot read /dev/urandom for a rollout salt");
		}
		got += (size_t)n;
	}
	close(fd);
	pops_hex_encode(out, b, sizeof(b));
	return POPS_OK;
}

void pops_rollout_format_time(char out[21], long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	memset(&tm, 0, sizeof(tm));
	if (!gmtime_r(&tt, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		memcpy(out, "1970-01-01T00:00:00Z", 21);
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int pops_rollout_parse_time(long long *out, const char *s)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec;

	if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z' ||
	    digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec) ||
	    mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
		return POPS_EINVALID;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return POPS_EINVALID;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return POPS_OK;
}

#include "unit.h"
#include "redact.h"

static char *red(const char *const *specs, const char *text, size_t *hits)
{
	pops_redactor *rd;
	char *out = NULL;

	if (pops_redactor_new(&rd) < 0)
		return NULL;
	for (; *specs; specs++)
		if (pops_redactor_add(rd, *specs) < 0) {
			pops_redactor_free(rd);
			return NULL;
		}
	if (pops_redact_text(rd, text, &out, hits) < 0)
		out = NULL;
	pops_redactor_free(rd);
	return out;
}

#define SPECS(...) ((const char *const[]){ __VA_ARGS__, NULL })

TEST(redact_replaces_emails)
{
	size_t hits = 0;
	char *s = red(SPECS("email"), "mail ann.lee+x@mail.example.com or bob@ex.org.", &hits);

	CHECK_STR(s, "mail [REDACTED:email] or [REDACTED:email].");
	CHECK_INT(hits, 2);
	free(s);
}

TEST(redact_replaces_card_numbers_only_when_luhn_holds)
{
	size_t hits = 0;
	char *s = red(SPECS("card"), "card 4111 1111 1111 1111, order 4111 1111 1111 1112", &hits);

	CHECK_STR(s, "card [REDACTED:card], order 4111 1111 1111 1112");
	CHECK_INT(hits, 1);
	free(s);
	CHECK(pops_luhn_valid("79927398713", 11) == 0);   /* valid Luhn, too short for a card */
	CHECK(pops_luhn_valid("5500-0000-0000-0004", 19) == 1);
}

TEST(redact_replaces_phone_numbers_and_runs_cards_first)
{
	char *s = red(SPECS("phone", "card"),
	              "call +44 20 7946 0958 or (555) 123-4567; pay 5500000000000004; year 2026", NULL);

	CHECK_STR(s, "call [REDACTED:phone] or [REDACTED:phone]; pay [REDACTED:card]; year 2026");
	free(s);
	/* dates, times and short numbers are not phone numbers */
	s = red(SPECS("phone"), "on 2026-11-30 at 10:00:00, order 12345, v1.2.3", NULL);
	CHECK_STR(s, "on 2026-11-30 at 10:00:00, order 12345, v1.2.3");
	free(s);
}

TEST(redact_takes_custom_patterns_and_refuses_bad_ones)
{
	pops_redactor *rd;
	char *s = red(SPECS("ticket=TCK-[0-9]+"), "see TCK-123 and TCK-9", NULL);

	CHECK_STR(s, "see [REDACTED:ticket] and [REDACTED:ticket]");
	free(s);
	CHECK_INT(pops_redactor_new(&rd), 0);
	CHECK_INT(pops_redactor_add(rd, "ssn"), POPS_EINVALID);
	CHECK_ERR_HAS("unknown pattern");
	CHECK_INT(pops_redactor_add(rd, "x=("), POPS_EINVALID);
	CHECK_ERR_HAS("bad regex");
	CHECK_INT(pops_redactor_add(rd, "a b=x"), POPS_EINVALID);
	CHECK_INT(pops_redactor_count(rd), 0);
	pops_redactor_free(rd);
}

TEST(redact_json_walks_every_string)
{
	pops_redactor *rd;
	cJSON *v = cJSON_Parse("{\"a\": \"x@y.io\", \"b\": [\"ok\", {\"c\": \"me@z.com hi\"}], \"n\": 3}");
	size_t hits = 0;
	char *s;

	CHECK(v);
	CHECK_INT(pops_redactor_new(&rd), 0);
	CHECK_INT(pops_redactor_add(rd, "email"), 0);
	CHECK_INT(pops_redact_json(rd, v, &hits), 0);
	CHECK_INT(hits, 2);
	s = cJSON_PrintUnformatted(v);
	CHECK_STR(s, "{\"a\":\"[REDACTED:email]\",\"b\":[\"ok\",{\"c\":\"[REDACTED:email] hi\"}],\"n\":3}");
	cJSON_free(s);
	cJSON_Delete(v);
	pops_redactor_free(rd);
}

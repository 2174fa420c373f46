#include "common.h"
#include "report_html_int.h"
#include "sha256.h"
/* pops_asset_report_css, pops_asset_report_js: lib/assets/, embedded by the Makefile */
#include "report_assets.h"

static void base64(pops_buf *b, const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		pops_buf_putc(b, a[v >> 18 & 63]);
		pops_buf_putc(b, a[v >> 12 & 63]);
		pops_buf_putc(b, a[v >> 6 & 63]);
		pops_buf_putc(b, a[v & 63]);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		pops_buf_putc(b, a[v >> 18 & 63]);
		pops_buf_putc(b, a[v >> 12 & 63]);
		pops_buf_puts(b, "==");
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		pops_buf_putc(b, a[v >> 18 & 63]);
		pops_buf_putc(b, a[v >> 12 & 63]);
		pops_buf_putc(b, a[v >> 6 & 63]);
		pops_buf_putc(b, '=');
	}
}

void pops_html__head(pops_buf *b, const char *title)
{
	pops_sha256 c;
	unsigned char h[32];

	/* only our own script runs (its hash), nothing is fetched (default-src 'none') */
	pops_sha256_init(&c);
	pops_sha256_update(&c, pops_asset_report_js, strlen(pops_asset_report_js));
	pops_sha256_final(&c, h);
	pops_buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	                 "style-src 'unsafe-inline'; img-src data:; script-src 'sha256-");
	base64(b, h, sizeof(h));
	pops_buf_puts(b, "'\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	                 "<meta name=\"generator\" content=\"pops\">\n<title>");
	pops_html__text(b, title);
	pops_buf_puts(b, "</title>\n<style>\n");
	pops_buf_puts(b, pops_asset_report_css);
	pops_buf_puts(b, "</style></head>\n<body>\n");
}

void pops_html__tail(pops_buf *b)
{
	pops_buf_puts(b, "<script>");
	pops_buf_puts(b, pops_asset_report_js);
	pops_buf_puts(b, "</script>\n</body></html>\n");
}

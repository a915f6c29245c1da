/*
 * The cases section of report.html: per case a timeline drawing, then per
 * phase the expectation, the observed outcome, the reason and the evidence
 * links. See report_int.h.
 */
#include "report/report.h"
#include "report/report_int.h"
#include "time/simtime.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
tl_colours(rh_kind k, const char **fill, const char **stroke, const char **text)
{
	switch (k) {
	case RH_PASS: *fill = "#dafbe1"; *stroke = "#2da44e"; *text = "#0f5323"; break;
	case RH_BLOCKER: *fill = "#ffebe9"; *stroke = "#cf222e"; *text = "#82071e"; break;
	case RH_MISS: *fill = "#fbefff"; *stroke = "#8250df"; *text = "#512a97"; break;
	case RH_ACCEPTED: *fill = "#fff8c5"; *stroke = "#d4a72c"; *text = "#6a4a00"; break;
	case RH_ERROR: *fill = "#eaeef2"; *stroke = "#8c959f"; *text = "#424a53"; break;
	default: *fill = "#f6f8fa"; *stroke = "#afb8c1"; *text = "#57606a"; break;
	}
}

/* Text clipped to at most max bytes, with an ellipsis; UTF-8 sequences are
 * not split. */
static void
esc_clip(buf_t *b, const char *s, size_t max)
{
	size_t n = strlen(s);
	char *t;

	if (n <= max) {
		rh_esc(b, s);
		return;
	}
	n = max > 1 ? max - 1 : 0;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	t = xstrndup(s, n);
	rh_esc(b, t);
	buf_puts(b, "…");
	free(t);
}

/*
 * The case's timeline: phases along a date axis. Each phase keeps a box's
 * width of room and the rest of the axis is shared out in proportion to the
 * dates, so that phases a week apart stay readable next to phases years
 * apart while the axis still shows which gaps are long. The device is
 * powered off between phases; a power-off phase or a gap of more than 90
 * days is drawn dashed as an offline stretch.
 */
static void
put_timeline(buf_t *b, const rep_run *r, const rep_case *c)
{
	const double W = 1100, H = 176, axis = 104, gutter = 64;
	double xs[64], x0, x1, bw, minsp;
	size_t n = c->n < 64 ? c->n : 64, i;
	int64_t t0 = rh_rec_time(&r->recs[c->first]), tn = rh_rec_time(&r->recs[c->first + n - 1]);

	bw = (W - gutter - 10) / (double)n - 10;
	if (bw > 200)
		bw = 200;
	if (bw < 60)
		bw = 60;
	minsp = bw + 10;
	x0 = gutter + bw / 2;
	x1 = W - 10 - bw / 2;
	for (i = 0; i < n; i++) {
		int64_t t = rh_rec_time(&r->recs[c->first + i]);
		double prop = tn > t0 ? (double)(t - t0) / (double)(tn - t0)
			: (n > 1 ? (double)i / (double)(n - 1) : 0.5);
		double room = x1 - x0 - (double)(n - 1) * minsp;
		if (room < 0)
			room = 0;
		xs[i] = n > 1 ? x0 + (double)i * minsp + room * prop : (x0 + x1) / 2;
	}
	size_t clip = (size_t)(bw / 7.0);

	buf_printf(b, "<svg class=\"tl\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		"font-family=\"system-ui,Arial,sans-serif\">",
		W, H);
	buf_puts(b, "<title>Timeline of ");
	rh_esc(b, r->recs[c->first].scenario);
	buf_puts(b, " for ");
	rh_esc(b, r->recs[c->first].device);
	buf_puts(b, "</title>");
	buf_printf(b, "<g font-size=\"11\" fill=\"#57606a\"><text x=\"4\" y=\"52\">device</text>"
		"<text x=\"4\" y=\"%.0f\">date</text><text x=\"4\" y=\"%.0f\">chain</text></g>",
		axis + 20, axis + 38);
	/* The axis, gap by gap. */
	if (n == 1)
		buf_printf(b, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
			"stroke=\"#8c959f\" stroke-width=\"2\"/>", gutter, axis, W - 10, axis);
	for (i = 0; i + 1 < n; i++) {
		const rep_rec *a = &r->recs[c->first + i], *z = &r->recs[c->first + i + 1];
		int64_t days = (rh_rec_time(z) - rh_rec_time(a)) / 86400;
		int off = a->status == REP_OFF || z->status == REP_OFF || days > 90;
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
			"stroke=\"%s\" stroke-width=\"%s\"%s/>", xs[i], axis, xs[i + 1], axis,
			off ? "#afb8c1" : "#57606a", off ? "3" : "2",
			off ? " stroke-dasharray=\"7 5\"" : "");
		buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" "
			"fill=\"%s\">%s%lld day%s</text>", (xs[i] + xs[i + 1]) / 2, axis - 6,
			off ? "#8c959f" : "#57606a", off ? "offline " : "+", (long long)days,
			days == 1 ? "" : "s");
	}
	for (i = 0; i < n; i++) {
		const rep_rec *x = &r->recs[c->first + i];
		const char *fill, *stroke, *text;
		double px = xs[i];
		rh_kind kind = rh_rec_kind(x);
		tl_colours(kind, &fill, &stroke, &text);
		buf_printf(b, "<g><title>");
		rh_esc(b, x->phase);
		buf_puts(b, ": ");
		rh_esc(b, x->reason);
		buf_puts(b, "</title>");
		buf_printf(b, "<rect x=\"%.1f\" y=\"22\" width=\"%.0f\" height=\"54\" rx=\"7\" "
			"fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"%s/>", px - bw / 2, bw, fill,
			stroke, x->status == REP_OFF || kind == RH_MISS ? " stroke-dasharray=\"4 3\""
			: "");
		buf_printf(b, "<text x=\"%.1f\" y=\"40\" font-size=\"12\" font-weight=\"700\" "
			"text-anchor=\"middle\" fill=\"%s\">", px, text);
		esc_clip(b, x->phase, clip);
		buf_puts(b, "</text>");
		buf_printf(b, "<text x=\"%.1f\" y=\"57\" font-size=\"12\" text-anchor=\"middle\" "
			"fill=\"%s\">", px, text);
		if (x->status == REP_OFF)
			buf_puts(b, "powered off");
		else
			esc_clip(b, scn_outcome_name(x->observed), clip);
		buf_puts(b, "</text>");
		buf_printf(b, "<text x=\"%.1f\" y=\"70\" font-size=\"10\" text-anchor=\"middle\" "
			"fill=\"%s\">", px, text);
		if (x->status != REP_OFF) {
			buf_t t = {0};
			buf_printf(&t, "%s, expected %s", rh_kind_label(kind),
				scn_outcome_name(x->expected));
			esc_clip(b, buf_cstr(&t), clip + 4);
			buf_free(&t);
		}
		buf_puts(b, "</text>");
		buf_printf(b, "<line x1=\"%.1f\" y1=\"76\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\"/>",
			px, px, axis - 6, stroke);
		buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.0f\" r=\"6\" fill=\"%s\" stroke=\"%s\" "
			"stroke-width=\"2\"/>", px, axis, x->status == REP_OFF ? "#fff" : stroke, stroke);
		buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"middle\" "
			"fill=\"#1f2328\">", px, axis + 20);
		rh_put_day(b, x->date);
		buf_puts(b, "</text>");
		buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" "
			"fill=\"#424a53\" font-family=\"ui-monospace,Menlo,Consolas,monospace\">", px,
			axis + 38);
		esc_clip(b, x->chain[0] ? x->chain : (x->status == REP_OFF ? "" : "(no chain seen)"),
			clip);
		buf_puts(b, "</text>");
		if (x->alert[0] || x->device_error[0]) {
			buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" "
				"text-anchor=\"middle\" fill=\"#82071e\">", px, axis + 54);
			esc_clip(b, x->alert[0] ? x->alert : x->device_error, clip + 4);
			buf_puts(b, "</text>");
		}
		buf_puts(b, "</g>");
	}
	buf_puts(b, "</svg>\n");
}

/* A link to one evidence file of the record's phase, if it is there;
 * returns whether it was. */
static int
put_evidence_link(buf_t *b, const rep_run *r, const rep_rec *x, const rep_facts *f,
	const char *file, const char *label)
{
	buf_t p = {0};

	if (!rh_evidence_exists(r, x, file))
		return 0;
	buf_puts(b, "<li><a href=\"");
	buf_printf(&p, "%s/%s", x->evidence, file);
	rh_put_href(b, f->evidence_prefix, buf_cstr(&p));
	buf_free(&p);
	buf_puts(b, "\">");
	rh_esc(b, label);
	buf_puts(b, "</a></li>");
	return 1;
}

static void
put_evidence(buf_t *b, const rep_run *r, const rep_rec *x, const rep_facts *f)
{
	static const struct {
		const char *file, *label;
	} ev[] = {
		{ "capture.pcap", "capture (pcap)" },
		{ "", "" },	/* the captures of each boot, QEMU's */
		{ "keylog.txt", "TLS key log" },
		{ "console.log", "console" },
		{ "server-events.jsonl", "server events" },
		{ "phase.json", "phase plan" },
		{ "run.json", "run record" },
	};
	size_t i;
	int any = 0, k;

	buf_puts(b, "<ul class=\"ev\">");
	for (i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		if (ev[i].file[0] == '\0') {
			/* A QEMU guest's network is captured boot by boot
			 * (capture-N.pcap), as evidence_load() reads them. */
			for (k = 0; k < EV_MAX_CAPTURES; k++) {
				char file[32], label[48];
				snprintf(file, sizeof file, "capture-%d.pcap", k);
				snprintf(label, sizeof label, "capture, boot %d (pcap)", k + 1);
				any |= put_evidence_link(b, r, x, f, file, label);
			}
			continue;
		}
		any |= put_evidence_link(b, r, x, f, ev[i].file, ev[i].label);
	}
	if (!any)
		buf_puts(b, "<li class=\"why\">no evidence files</li>");
	buf_puts(b, "</ul>");
}

/* A board case: which board it ran on, from the case's board.json (written
 * by the board driver before the first phase): the target, the pool's slot,
 * the console, the network and clock, and the SHA-256 of the image deployed.
 * Nothing for other drivers, or when the file is missing or unreadable. */
static void
put_board(buf_t *b, const rep_run *r, const rep_rec *h)
{
	static const struct { const char *key, *label; } f[] = {
		{ "target", "target" }, { "pool", "pool" }, { "console", "console" },
		{ "network", "network" }, { "clock", "clock" }, { "deploy_image", "image" },
		{ "deploy_image_sha256", "image SHA-256" },
	};
	const char *slash = strrchr(h->evidence, '/');
	unsigned char *data = NULL;
	size_t len = 0, i;
	char err[128];
	json *j;
	int64_t slot;

	if (!h->evidence[0] || slash == NULL)
		return;
	char *path = xasprintf("%s/%.*s/board.json", r->dir, (int)(slash - h->evidence),
		h->evidence);
	struct stat st;
	/* A small regular file, as the driver writes it; anything else is
	 * not read. */
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 65536
		|| util_read_file(path, &data, &len, err, sizeof err) != 0) {
		free(path);
		return;
	}
	free(path);
	j = json_parse((const char *)data, len, err, sizeof err);
	free(data);
	if (j == NULL)
		return;
	buf_puts(b, "<p class=\"board note\"><b>Board:</b>");
	for (i = 0; i < sizeof f / sizeof f[0]; i++) {
		const char *v = json_get_str(j, f[i].key);
		if (v == NULL || !*v)
			continue;
		buf_printf(b, " %s%s <span class=\"mono\">", i ? "·" : "", f[i].label);
		rh_esc(b, v);
		buf_puts(b, "</span>");
		if (i == 1 && json_get_int(j, "board", &slot) == 0)
			buf_printf(b, " board %lld", (long long)slot);
	}
	buf_puts(b, "</p>\n");
	json_free(j);
}

void
rh_put_case(buf_t *b, const rep_run *r, size_t ci, const rep_facts *f)
{
	const rep_case *c = &r->cases[ci];
	const rep_rec *h = &r->recs[c->first];
	rh_kind kind = rh_case_kind(r, c);
	long long ms = rh_case_ms(r, c);
	size_t k;

	buf_printf(b, "<article class=\"case %s\" id=\"case-%zu\" data-status=\"%s\">"
		"<div class=\"casehead\">", rh_kind_class(kind), ci + 1,
		rep_status_name(c->status));
	rh_kind_badge(b, kind);
	buf_puts(b, "<h3>");
	rh_esc(b, h->scenario);
	buf_puts(b, " · <span class=\"mono\">");
	rh_esc(b, h->device);
	buf_puts(b, "</span> @ ");
	rh_esc(b, h->target);
	buf_puts(b, "</h3>");
	if (c->change != REP_CHANGE_NONE)
		rh_badge(b, rh_change_class(c->change), rep_change_name(c->change));
	buf_puts(b, "<span class=\"dur\" data-ms=\"");
	buf_printf(b, "%lld\">", ms);
	if (ms >= 0) {
		buf_puts(b, "duration ");
		rh_put_duration(b, ms);
	} else {
		buf_puts(b, "duration not recorded");
	}
	buf_puts(b, "</span><a class=\"top\" href=\"#matrix\">back to the matrix</a></div>\n");
	put_board(b, r, h);
	put_timeline(b, r, c);
	buf_puts(b, "<table><thead><tr><th style=\"width:13%\">Phase</th>"
		"<th style=\"width:20%\">Expected</th><th style=\"width:14%\">Observed</th>"
		"<th>Reason</th><th style=\"width:13%\">Evidence</th></tr></thead><tbody>\n");
	for (k = c->first; k < c->first + c->n; k++) {
		const rep_rec *x = &r->recs[k];
		char *why = rh_phase_why(r, x);
		buf_puts(b, "<tr><td><b>");
		rh_esc(b, x->phase);
		buf_puts(b, "</b><br><span class=\"mono\">");
		rh_put_day(b, x->date);
		buf_puts(b, "</span>");
		if (x->rec->duration_ms > 0) {
			buf_puts(b, "<br><span class=\"why\">");
			rh_put_duration(b, x->rec->duration_ms);
			buf_puts(b, "</span>");
		}
		buf_puts(b, "</td><td>");
		rh_esc(b, scn_outcome_name(x->expected));
		buf_puts(b, " ");
		rh_badge(b, "b-tier", x->required ? "Required" : "Recommended");
		if (why[0]) {
			buf_puts(b, "<div class=\"why\">");
			rh_esc(b, why);
			buf_puts(b, "</div>");
		}
		buf_puts(b, "</td><td>");
		rh_kind_badge(b, rh_rec_kind(x));
		buf_puts(b, "<br>");
		rh_esc(b, scn_outcome_name(x->observed));
		if (x->change != REP_CHANGE_NONE && x->change != REP_CHANGE_UNCHANGED) {
			buf_puts(b, "<br>");
			rh_badge(b, rh_change_class(x->change), rep_change_name(x->change));
		}
		buf_puts(b, "</td><td>");
		rh_esc(b, x->reason);
		if (x->chain[0] || x->reference[0]) {
			buf_puts(b, "<div class=\"why\">chain <span class=\"mono\">");
			rh_esc(b, x->chain[0] ? x->chain : "none");
			buf_puts(b, "</span>");
			if (x->reference[0]) {
				buf_puts(b, "; a correct validation says <span class=\"mono\">");
				rh_esc(b, x->reference);
				buf_puts(b, "</span>");
			}
			buf_puts(b, "</div>");
		}
		if (x->accept) {
			buf_puts(b, "<div class=\"accept\">Accepted as <b>");
			rh_esc(b, x->accept->name);
			buf_puts(b, "</b> until ");
			rh_esc(b, x->accept->expires);
			buf_puts(b, ": ");
			rh_esc(b, x->accept->reason);
			buf_puts(b, "</div>");
		} else if (x->expired) {
			buf_puts(b, "<div class=\"expired\">Acceptance <b>");
			rh_esc(b, x->expired->name);
			buf_puts(b, "</b> expired on ");
			rh_esc(b, x->expired->expires);
			buf_puts(b, ": the finding counts.</div>");
		}
		buf_puts(b, "</td><td>");
		put_evidence(b, r, x, f);
		buf_puts(b, "</td></tr>\n");
		free(why);
	}
	buf_puts(b, "</tbody></table></article>\n");
}


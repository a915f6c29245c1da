/*
 * rotsim inspect: the TLS story of a capture, for a person or as JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "capture/lab.h"
#include "common/util.h"
#include "verbs.h"

const char verb_inspect_summary[] = "print the TLS story of a pcap capture";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rotsim inspect [--json] [--no-times] FILE.pcap\n"
"\n"
"Reads a capture (pcap; Ethernet, Linux cooked, BSD loopback or raw IP),\n"
"reassembles every TCP connection and prints, per connection, what its TLS\n"
"layer shows, one line per event in the order of the wire: SYN, ClientHello\n"
"(SNI, versions, cipher suites, signature algorithms), ServerHello, the\n"
"server's chain as SHA-256 fingerprints with subject CNs, alerts and who\n"
"sent them, application data each way, FIN and RST. Times are UTC.\n"
"Records after ChangeCipherSpec (and after a TLS 1.3 ServerHello) are\n"
"encrypted: they are shown as encrypted records with their direction.\n"
"A capture of the lab network also holds what the device did before it\n"
"connected: DHCP (the lease: address, router, DNS and NTP servers, lease\n"
"time), DNS questions and answers, and NTP exchanges with the time served;\n"
"they follow the TLS story (in JSON, as \"lab\").\n"
"\n"
"  --json       print the report as JSON (the form kept as evidence)\n"
"  --no-times   leave times out of the text (for comparing captures)\n"
"  -h, --help   this text\n"
"\n"
"Exit status: 0 done, 2 usage error or unreadable capture.\n");
}

/* see verbs.h */
int
verb_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-times", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int json = 0, flags = 0, c, ret = 2;
	cap_report r;
	cap_lab_report lab;
	buf_t out = { 0 };
	char err[512];

	memset(&r, 0, sizeof r);
	memset(&lab, 0, sizeof lab);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'T': flags |= CAP_RENDER_NO_TIMES; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "rotsim inspect: no capture given (rotsim inspect FILE.pcap)\n");
		return 2;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "rotsim inspect: one capture at a time (unexpected \"%s\")\n",
			argv[optind + 1]);
		return 2;
	}
	if (cap_analyze_file(argv[optind], NULL, &r, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim inspect: %s\n", err);
		goto out;
	}
	if (cap_lab_analyze_file(argv[optind], &lab, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim inspect: %s\n", err);
		goto out;
	}
	if (json) {
		cap_render_json(&r, &out);
		/* The lab's messages join the document as one more key. */
		if (lab.n > 0 && out.len >= 2 && memcmp(out.data + out.len - 2, "}\n", 2) == 0) {
			out.len -= 2;
			buf_puts(&out, ",\"lab\":");
			cap_lab_render_json(&lab, &out);
			buf_puts(&out, "}\n");
		}
	} else {
		cap_render_text(&r, flags, &out);
		cap_lab_render_text(&lab, flags, &out);
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		fprintf(stderr, "rotsim inspect: write error on standard output\n");
		goto out;
	}
	ret = 0;
out:
	buf_free(&out);
	cap_report_free(&r);
	cap_lab_free(&lab);
	return ret;
}

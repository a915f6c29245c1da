# rotsim report: the sign-off report of a run (report.html, report.md,
# report.json) and the merge of CI shards. See harness/report/README.md.
LIB_SRCS += harness/report/judge.c harness/report/merge.c harness/report/html.c \
	harness/report/html_parts.c harness/report/html_case.c harness/report/markdown.c
CMD_SRCS += harness/report/verb_report.c
VERBS += report
CHECK_SRCS += harness/report/tests/check_report.c
SCRIPT_TESTS += harness/report/tests/report_native.sh harness/report/tests/report_shards_skipped.sh harness/report/tests/report_chromium.sh \
	harness/report/tests/report_print.sh
# The report tests render report.html in a headless browser and print it to
# PDF, whose text and word boxes pdftotext reads back.
DEPS_TEST += chromium poppler-utils

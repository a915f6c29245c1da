# evidence: the phase directory layout and its records (phase.json, run.json,
# server-events.jsonl, summary.json), their one reader and writer, and the
# results files (junit.xml, summary.txt).
LIB_SRCS += harness/evidence/codec.c harness/evidence/load.c harness/evidence/summary.c \
	harness/evidence/text.c
CHECK_SRCS += harness/evidence/tests/check_evidence.c
FUZZ_SRCS += harness/evidence/fuzz/fuzz_evidence.c
# junit.xml checked against the JUnit schema (junit.xsd) with xmllint.
SCRIPT_TESTS += harness/evidence/tests/junit_schema.sh
DEPS_TEST += libxml2-utils python3

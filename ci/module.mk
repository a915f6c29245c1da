# ci/: the nightly pipelines. Their tests check that they parse as YAML, call
# only rotsim verbs and make targets that exist and keep the rules that make
# them fit to run every night (ci/README.md), that each make
# deps-PURPOSE installs what its job needs, and that ci/artifact-inputs.sh
# records what the artifacts leave out.
SCRIPT_TESTS += ci/tests/report_pipelines.sh ci/tests/pipelines_deps.sh \
	ci/tests/pipelines_artifacts.sh
DEPS_TEST += python3-yaml
# The nightly's merge job fetches the previous night's summary over HTTPS
# (curl, ca-certificates, unzip) and reads the release verdict (jq).
DEPS_REPORT += curl ca-certificates unzip jq

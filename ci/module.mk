# ci/: the nightly pipelines. Their test checks that they parse as YAML and
# call only rotsim verbs and make targets that exist.
SCRIPT_TESTS += ci/tests/report_pipelines.sh
DEPS_PKGS += python3-yaml

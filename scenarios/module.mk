# The scenario catalogue (scenarios/README.md): its table against `rotsim list` and
# `rotsim show`, and every expectation of the anchor-validating devices against
# `openssl verify` on the chain each phase presents.
SCRIPT_TESTS += scenarios/tests/readme.sh scenarios/tests/openssl_agreement.sh
SCRIPT_TESTS += scenarios/tests/catalogue_native.sh

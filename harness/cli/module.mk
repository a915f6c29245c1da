# The front ends of the verbs whose library code lives in sim/: rotsim pki,
# rotsim serve and rotsim sign. Like every verb file they are the only code of
# theirs that prints and exits (harness/verbs.h); sim/ itself includes nothing
# of harness/.
CMD_SRCS += harness/cli/verb_pki.c harness/cli/verb_serve.c harness/cli/verb_sign.c
VERBS += pki serve sign

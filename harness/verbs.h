/*
 * The verbs of the rotsim command. Each module registers its verbs in its
 * module.mk (VERBS += name) and defines, in its own verb_NAME.c:
 *
 *   const char verb_NAME_summary[] = "one line for rotsim --help";
 *   int verb_NAME(int argc, char **argv);
 *
 * argv[0] is the verb itself. The return value is the exit status: 0 success,
 * 1 a finding (for verbs that judge), 2 usage or infrastructure error. Verb
 * functions are the only code that prints to the user and exits.
 */
#ifndef ROTSIM_VERBS_H
#define ROTSIM_VERBS_H

#define VERB(name) \
	extern const char verb_##name##_summary[]; \
	int verb_##name(int argc, char **argv);
#include "verbs.inc"
#undef VERB

#endif

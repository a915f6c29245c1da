/*
 * The section file: the one text syntax shared by .pki hierarchies and .scn
 * scenarios, so that a scenario can hold PKI objects of its own.
 *
 *   # a comment (a line whose first non-blank character is '#')
 *   [kind name]          a section: a kind word and an optional name
 *   key = value          an entry; the value runs to the end of the line
 *       more value       an indented line continues the previous value
 *                        (joined with one space)
 *
 * Kinds, names and keys are words of letters, digits, '-', '_', '.', '+' and
 * '/'. The lexer knows nothing of what they mean; the module that reads a kind
 * checks its keys. Every section and entry keeps its line for messages of the
 * form "FILE:LINE: message".
 */
#ifndef ROTSIM_CFG_H
#define ROTSIM_CFG_H

#include <stddef.h>

typedef struct {
	char *key;
	char *val;
	int line;
	int used;	/* set by cfg_get() and friends; see cfg_unused() */
} cfg_entry;

typedef struct {
	char *kind;
	char *name;	/* NULL when the header has no name */
	int line;
	cfg_entry *ents;
	size_t n;
} cfg_section;

typedef struct {
	char *path;	/* as given, for messages */
	cfg_section *secs;
	size_t n;
} cfg_doc;

/*
 * Parse text (len bytes, need not be NUL-terminated) read from path.
 * Returns 0 and fills doc, or -1 with "PATH:LINE: message" in err (doc is then
 * empty). Release with cfg_free().
 */
int cfg_parse(cfg_doc *doc, const char *path, const char *text, size_t len,
	char *err, size_t errlen);
/* Read the file at path and parse it. */
int cfg_parse_file(cfg_doc *doc, const char *path, char *err, size_t errlen);
void cfg_free(cfg_doc *doc);

/* The only entry with this key, or NULL. Marks it used. More than one entry with
 * the key is an error: returns NULL and sets *dup to the second one (dup may be
 * NULL when the caller does not care). */
cfg_entry *cfg_get(cfg_section *s, const char *key, cfg_entry **dup);

/* The first entry of the section that no cfg_get() has marked used, or NULL:
 * an unknown key. */
cfg_entry *cfg_unused(const cfg_section *s);

/*
 * Split a list value at commas (or at 'sep'), trimming blanks around items.
 * A backslash escapes the next character (so "\," is a comma inside an item).
 * Returns the number of items and an array (allocated with xmalloc(), each item
 * too; release with cfg_list_free()). Empty items are kept as "".
 */
size_t cfg_split(const char *val, int sep, char ***items);
void cfg_list_free(char **items, size_t n);

/* 1 if s is a valid id: [A-Za-z0-9][A-Za-z0-9._+-]* and at most 64 bytes. */
int cfg_valid_id(const char *s);

#endif

/*
 * The section-file lexer. See cfg.h.
 */
#include "common/cfg.h"
#include "common/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
wordchar(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '+' || c == '/' || c == '@';
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* see cfg.h */
void
cfg_free(cfg_doc *doc)
{
	size_t i, j;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->n; i++) {
		cfg_section *s = &doc->secs[i];
		for (j = 0; j < s->n; j++) {
			free(s->ents[j].key);
			free(s->ents[j].val);
		}
		free(s->ents);
		free(s->kind);
		free(s->name);
	}
	free(doc->secs);
	free(doc->path);
	memset(doc, 0, sizeof *doc);
}

static int
parse_header(cfg_doc *doc, char *p, int lineno, char *err, size_t errlen)
{
	char *end = strchr(p, ']'), *kind, *name = NULL, *q;
	cfg_section *s;

	if (end == NULL)
		return util_err(err, errlen, "%s:%d: section header has no closing ']'",
			doc->path, lineno);
	if (*trim(end + 1) != 0)
		return util_err(err, errlen, "%s:%d: text after ']' of a section header",
			doc->path, lineno);
	*end = 0;
	kind = trim(p + 1);
	for (q = kind; *q && wordchar((unsigned char)*q); q++)
		;
	if (q == kind)
		return util_err(err, errlen, "%s:%d: section header has no kind",
			doc->path, lineno);
	if (*q != 0) {
		if (*q != ' ' && *q != '\t')
			return util_err(err, errlen, "%s:%d: bad character '%c' in section kind",
				doc->path, lineno, *q);
		*q++ = 0;
		name = trim(q);
		for (q = name; *q; q++)
			if (!wordchar((unsigned char)*q))
				return util_err(err, errlen,
					"%s:%d: bad character '%c' in section name \"%s\"",
					doc->path, lineno, *q, name);
		if (*name == 0)
			name = NULL;
	}
	doc->secs = xrealloc(doc->secs, (doc->n + 1) * sizeof *doc->secs);
	s = &doc->secs[doc->n++];
	memset(s, 0, sizeof *s);
	s->kind = xstrdup(kind);
	s->name = xstrdup(name);
	s->line = lineno;
	return 0;
}

/* see cfg.h */
int
cfg_parse(cfg_doc *doc, const char *path, const char *text, size_t len,
	char *err, size_t errlen)
{
	size_t off = 0;
	int lineno = 0;
	char *line = NULL;
	cfg_entry *last = NULL;

	memset(doc, 0, sizeof *doc);
	doc->path = xstrdup(path);
	while (off < len) {
		size_t e = off;
		char *p;

		while (e < len && text[e] != '\n')
			e++;
		lineno++;
		free(line);
		line = xstrndup(text + off, e - off);
		if (strlen(line) != e - off) {
			util_err(err, errlen, "%s:%d: NUL byte in text", path, lineno);
			goto fail;
		}
		off = e + 1;
		int indented = line[0] == ' ' || line[0] == '\t';
		p = trim(line);
		if (*p == 0 || *p == '#')
			continue;
		if (indented && last != NULL) {
			char *v = xasprintf("%s%s%s", last->val, *last->val ? " " : "", p);
			free(last->val);
			last->val = v;
			continue;
		}
		if (*p == '[') {
			if (parse_header(doc, p, lineno, err, errlen) != 0)
				goto fail;
			last = NULL;
			continue;
		}
		char *eq = strchr(p, '=');
		if (eq == NULL) {
			util_err(err, errlen, "%s:%d: expected \"key = value\" or \"[kind name]\"",
				path, lineno);
			goto fail;
		}
		*eq = 0;
		char *key = trim(p), *val = trim(eq + 1), *q;
		if (*key == 0) {
			util_err(err, errlen, "%s:%d: missing key before '='", path, lineno);
			goto fail;
		}
		for (q = key; *q; q++) {
			if (!wordchar((unsigned char)*q)) {
				util_err(err, errlen, "%s:%d: bad character '%c' in key \"%s\"",
					path, lineno, *q, key);
				goto fail;
			}
		}
		if (doc->n == 0) {
			util_err(err, errlen, "%s:%d: \"%s\" outside any [section]",
				path, lineno, key);
			goto fail;
		}
		cfg_section *s = &doc->secs[doc->n - 1];
		s->ents = xrealloc(s->ents, (s->n + 1) * sizeof *s->ents);
		last = &s->ents[s->n++];
		last->key = xstrdup(key);
		last->val = xstrdup(val);
		last->line = lineno;
		last->used = 0;
	}
	free(line);
	return 0;
fail:
	free(line);
	cfg_free(doc);
	return -1;
}

/* see cfg.h */
int
cfg_parse_file(cfg_doc *doc, const char *path, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	int r;

	memset(doc, 0, sizeof *doc);
	if (util_read_file(path, &data, &len, err, errlen) != 0)
		return -1;
	r = cfg_parse(doc, path, (const char *)data, len, err, errlen);
	free(data);
	return r;
}

/* see cfg.h */
cfg_entry *
cfg_get(cfg_section *s, const char *key, cfg_entry **dup)
{
	cfg_entry *found = NULL;
	size_t i;

	if (dup != NULL)
		*dup = NULL;
	for (i = 0; i < s->n; i++) {
		if (strcmp(s->ents[i].key, key) != 0)
			continue;
		s->ents[i].used = 1;
		if (found != NULL) {
			if (dup != NULL)
				*dup = &s->ents[i];
			return NULL;
		}
		found = &s->ents[i];
	}
	return found;
}

/* see cfg.h */
cfg_entry *
cfg_unused(const cfg_section *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->ents[i].used)
			return &s->ents[i];
	return NULL;
}

/* see cfg.h */
size_t
cfg_split(const char *val, int sep, char ***items)
{
	char **out = NULL;
	size_t n = 0;
	buf_t cur = {0};
	const char *p = val;

	if (sep == 0)
		sep = ',';
	for (;;) {
		if (*p == '\\' && p[1] != 0) {
			buf_putc(&cur, p[1]);
			p += 2;
			continue;
		}
		if (*p == sep || *p == 0) {
			buf_cstr(&cur);
			out = xrealloc(out, (n + 1) * sizeof *out);
			char *t = trim((char *)cur.data);
			out[n++] = xstrdup(t);
			cur.len = 0;
			if (*p == 0)
				break;
			p++;
			continue;
		}
		buf_putc(&cur, *p++);
	}
	buf_free(&cur);
	/* An empty value is an empty list, not one empty item. */
	if (n == 1 && out[0][0] == 0) {
		free(out[0]);
		n = 0;
	}
	*items = out;
	return n;
}

/* see cfg.h */
void
cfg_list_free(char **items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

/* see cfg.h */
int
cfg_valid_id(const char *s)
{
	size_t i;

	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i >= 64 || !(isalnum(c) || c == '-' || c == '_' || c == '.' || c == '+'))
			return 0;
	}
	return 1;
}

/* The INI-style config file: [section] and key = value lines. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natter/config.h"
#include "natter/util.h"

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Handles one line; returns NULL or a reason it is bad. */
static char *
parse_line(char *line, char **section, cfg_line_fn fn, void *arg)
{
	char *eq, *key, *value, *why = NULL;

	line = trim(line);
	if (*line == '\0' || *line == '#' || *line == ';')
		return NULL;
	if (*line == '[') {
		char *close = strchr(line, ']');

		if (close == NULL || close[1] != '\0' || close == line + 1)
			return xstrdup("a section must look like [name]");
		*close = '\0';
		free(*section);
		*section = xstrdup(trim(line + 1));
		return NULL;
	}
	if ((eq = strchr(line, '=')) == NULL)
		return xstrdup("expected key = value");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (*key == '\0')
		return xstrdup("missing key before '='");
	if (fn(*section, key, value, arg, &why) == -1 && why == NULL)
		why = xasprintf("unknown key \"%s\"", key);
	return why;
}

int
cfg_file_parse(const char *path, cfg_line_fn fn, void *arg,
    void (*warn)(const char *msg, void *arg), char **cause)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *section = xstrdup("");
	size_t cap = 0;
	long lineno = 0;

	if (f == NULL) {
		free(section);
		if (errno == ENOENT)
			return 0;
		return cause_set(cause, "%s: %s", path, strerror(errno));
	}
	while (getline(&line, &cap, f) != -1) {
		char *why = parse_line(line, &section, fn, arg);

		lineno++;
		if (why != NULL) {
			char *msg = xasprintf("%s:%ld: %s", path, lineno, why);

			if (warn != NULL)
				warn(msg, arg);
			free(msg);
			free(why);
		}
	}
	free(line);
	free(section);
	fclose(f);
	return 0;
}

/* Formatted messages in the pane: the text a formatted_body shows
 * (rich.h reads it), and its attribute spans cut to the lines the pane
 * wrapped that text into. Kept apart from ui-pane.c, whose wrapping it
 * only reads: each line's text is a slice of the wrapped text, found in
 * order. */
#include <stdlib.h>
#include <string.h>

#include "natter/rich.h"
#include "ui-private.h"

struct rich *
ui_msg_rich(const struct store_msg *m)
{
	if (m->formatted == NULL || m->body == NULL || m->redacted || m->url != NULL ||
	    (m->state_key != NULL && m->msgtype == NULL))
		return NULL;
	return rich_from_html(m->formatted);
}

/* The spans of r over [off, off + len) of its text, moved to start at 0. */
static void
ui_line_spans(struct ui_line *line, const struct rich *r, size_t off, size_t len)
{
	for (size_t i = 0; i < r->n_spans; i++) {
		const struct rich_span *s = &r->spans[i];
		size_t from = s->off > off ? s->off : off;
		size_t to = s->off + s->len < off + len ? s->off + s->len : off + len;

		if (from >= to)
			continue;
		line->spans = xreallocarray(line->spans, line->n_spans + 1, sizeof *line->spans);
		line->spans[line->n_spans++] = (struct rich_span){from - off, to - from, s->attrs};
	}
}

void
ui_lines_rich(struct ui_lines *l, size_t head, const char *text, const struct rich *r)
{
	size_t at = 0;

	/* The text shown must start with the formatted text, byte for byte. */
	if (r == NULL || strncmp(text, r->text, strlen(r->text)) != 0)
		return;
	for (size_t i = head; i < l->n; i++) {
		const char *found;
		size_t len = strlen(l->v[i].text);

		if (len == 0 || (found = strstr(text + at, l->v[i].text)) == NULL)
			continue;
		at = (size_t)(found - text) + len;
		ui_line_spans(&l->v[i], r, (size_t)(found - text), len);
	}
}

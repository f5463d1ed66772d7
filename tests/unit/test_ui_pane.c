/* The message pane's model (src/ui/ui-pane.c), without a terminal: the
 * lines a room's messages are laid out in, read from a real cache. Each
 * message's lines must hold all of its text, and fit the pane beside its
 * time and sender, whatever the width and the sender's name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "natter/core.h"
#include "natter/sanitize.h"
#include "natter/text.h"
#include "natter/util.h"
#include "cache-builder.h"
#include "../../src/ui/ui-private.h"

#define ZWJ "\u200d"
#define VS16 "\ufe0f"

struct pane_fx {
	char home[64];
	struct core *core;
	struct ui ui;
};

static void
setenv_under(const char *home, const char *name, const char *dir)
{
	char *path = xasprintf("%s/%s", home, dir);

	setenv(name, path, 1);
	free(path);
}

/* A logged-in profile whose cache the pane reads; nothing goes to a
 * server. */
static int
pane_setup(void **state)
{
	struct pane_fx *fx = xcalloc(1, sizeof *fx);
	char *dir, *path, *cause = NULL;
	FILE *f;

	snprintf(fx->home, sizeof fx->home, "/tmp/natter-pane-XXXXXX");
	assert_non_null(mkdtemp(fx->home));
	setenv("HOME", fx->home, 1);
	setenv_under(fx->home, "XDG_DATA_HOME", "data");
	setenv_under(fx->home, "XDG_CONFIG_HOME", "config");
	setenv_under(fx->home, "XDG_STATE_HOME", "state");
	dir = xasprintf("%s/data/natter/test", fx->home);
	assert_int_equal(nt_mkdirs(dir, 0700, &cause), 0);
	path = xasprintf("%s/session", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"homeserver\": \"http://127.0.0.1:9\", \"user_id\": \"" SELF "\", "
	    "\"device_id\": \"D\", \"access_token\": \"t\"}", f);
	fclose(f);
	fx->core = core_open("test", NULL, NULL, CORE_NEED_SESSION, &cause);
	if (fx->core == NULL)
		fail_msg("core_open: %s", cause);
	fx->ui.core = fx->core;
	fx->ui.store = core_store(fx->core);
	fx->ui.loop = core_loop(fx->core);
	fx->ui.view.history = UI_HISTORY_PAGE;
	free(path);
	free(dir);
	*state = fx;
	return 0;
}

static int
pane_teardown(void **state)
{
	struct pane_fx *fx = *state;
	char *cmd = xasprintf("rm -rf '%s'", fx->home);

	ui_pane_free(&fx->ui);
	core_free(&fx->core);
	free(fx->ui.status.note);	/* a pane the cache did not fill asked for more */
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(fx);
	return 0;
}

static uint32_t
next_random(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* The hard cases of wrapping: wide CJK characters, combining marks,
 * emoji sequences, words longer than any line, punctuation that does not
 * start a line, paragraphs. */
static const char *const pieces[] = {
	"a", "can", "get", "word", "unbreakablelongwordwithoutanyspaces", " ", "  ", "\n", ",",
	"(", ")", "日", "本語", "。", "「", "」", "한", "😀", "👍🏽", "👩" ZWJ "💻", "❤" VS16,
	"🇫🇷", "e\u0301", "\u0302\u0303", "\u200b", "-",
};

static char *
random_text(uint32_t *seed, size_t max, int lines)
{
	struct buf b = {0};
	size_t count = next_random(seed) % max;

	buf_add(&b, "", 0);
	for (size_t i = 0; i < count; i++) {
		const char *p = pieces[next_random(seed) % NT_NELEMS(pieces)];

		if (lines || strchr(p, '\n') == NULL)
			buf_puts(&b, p);
	}
	return buf_steal(&b);
}

/* A room with one message from a sender of that name. */
static void
put_message(struct pane_fx *fx, const char *room, const char *name, const char *body,
    int emote)
{
	struct mx_sync *s = sync_new("s");
	struct mx_room_update *ru = sync_room(s, room, MX_MEMBERSHIP_JOIN);
	struct mx_event *ev;

	ev_member(ST(ru), "@sender:x", name, MX_MEMBERSHIP_JOIN);
	ev = ev_text(TL(ru), room + 1, "@sender:x", body);
	if (emote) {
		free(ev->msgtype);
		ev->msgtype = xstrdup("m.emote");
		free(ev->content);
		ev->content = content_json("msgtype", "m.emote", "body", body);
	}
	apply_ok(fx->ui.store, &s);
}

static int
is_gap(char c)
{
	return c == ' ' || c == '\n' || c == '\r';
}

/* The lines of message 0 hold its text in order, nothing left out but
 * the spaces and newlines they broke at. */
static void
check_text(const struct ui_lines *l, const char *want, int width)
{
	size_t pos = 0, len = strlen(want);

	for (size_t i = 0; i < l->n; i++) {
		const char *t = l->v[i].text;
		size_t k = 0, tl = strlen(t);

		if (l->v[i].msg != 0)
			continue;
		while (pos + k < len && strncmp(want + pos + k, t, tl) != 0 && is_gap(want[pos + k]))
			k++;
		if (pos + k + tl > len || strncmp(want + pos + k, t, tl) != 0)
			fail_msg("at width %d, line %zu \"%s\" is not the text after \"%.*s\" in "
			    "\"%s\"", width, i, t, (int)pos, want, want);
		pos += k + tl;
	}
	for (; pos < len; pos++)
		if (!is_gap(want[pos]))
			fail_msg("at width %d, \"%s\" lost its end \"%s\"", width, want, want + pos);
}

/* Every line of message 0 fits in width from its indent, and its first
 * line's time and sender fit before that. */
static void
check_fit(const struct ui_lines *l, int width, int time_w)
{
	int head = 1;

	for (size_t i = 0; i < l->n; i++) {
		const struct ui_line *line = &l->v[i];

		if (line->msg != 0)
			continue;
		if (line->indent + text_width(line->text) > width)
			fail_msg("at width %d, \"%s\" from column %d is too wide", width, line->text,
			    line->indent);
		if (head && width >= time_w + 3) {
			int before = text_width(line->time) + 1;

			assert_non_null(line->time);
			if (line->name != NULL)
				before += text_width(line->name) + 1;
			if (before > line->indent)
				fail_msg("at width %d, \"%s %s\" takes %d cells but the text starts "
				    "at %d", width, line->time, line->name, before, line->indent);
			if (width >= 15 && line->name == NULL)
				fail_msg("at width %d, the sender is left out", width);
		}
		head = 0;
	}
}

/* Random names and texts at every width: what a message says is always
 * all on screen, however narrow the pane and however long the name. */
static void
test_wrap_keeps_every_character(void **state)
{
	struct pane_fx *fx = *state;
	uint32_t seed = 0x70616e65;

	for (int round = 0; round < 150; round++) {
		char room[32], *name = random_text(&seed, 12, 0), *body = random_text(&seed, 30, 1);
		char *want = san_text(body, SAN_MULTILINE);
		int emote = next_random(&seed) % 4 == 0;

		if (*name == '\0') {
			free(name);
			name = xstrdup("Dana Whitfield");
		}
		snprintf(room, sizeof room, "!r%d:x", round);
		put_message(fx, room, name, body, emote);
		free(fx->ui.current);
		fx->ui.current = xstrdup(room);
		for (int width = 2; width <= 100; width++) {
			struct ui_pane_view v;

			fx->ui.view.gen++;
			ui_pane_update(&fx->ui, 40, width);
			v = ui_pane_view(&fx->ui);
			assert_non_null(v.lines);
			assert_int_equal(v.lines->n_events, 1);
			check_text(v.lines, want, width);
			check_fit(v.lines, width, ui_time_width(&fx->ui));
		}
		free(want);
		free(body);
		free(name);
	}
	xfree(&fx->ui.current);
}

/* The report that found it: at 60 columns with the room list shown, a
 * pane of 35 cells, "Dana Whitfield:" took more than its third and the
 * end of the first line was cut ("you get" for "you can get"). */
static void
test_long_name_in_a_narrow_pane(void **state)
{
	struct pane_fx *fx = *state;
	const char *body = "If you leave at nine you can get the earlier train to Leeds.";
	struct ui_pane_view v;

	put_message(fx, "!leeds:x", "Dana Whitfield", body, 0);
	fx->ui.current = xstrdup("!leeds:x");
	ui_pane_update(&fx->ui, 20, 35);
	v = ui_pane_view(&fx->ui);
	check_text(v.lines, body, 35);
	check_fit(v.lines, 35, ui_time_width(&fx->ui));
	xfree(&fx->ui.current);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_long_name_in_a_narrow_pane, pane_setup,
		    pane_teardown),
		cmocka_unit_test_setup_teardown(test_wrap_keeps_every_character, pane_setup,
		    pane_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

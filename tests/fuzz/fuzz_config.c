/* libFuzzer target: the input as a config file, as a theme file, and
 * each of its lines as a key sequence, a style and a colour. Whatever a
 * file holds, natter starts with settings that keep settings.h's
 * promises (widths, quiet hours, formats that make short printable text,
 * checked addresses, URLs and paths), a key table in which every binding
 * is reachable and none shadows another, and a theme of colours each
 * palette has; every bad line is reported with its file and line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "natter/config.h"
#include "natter/export.h"
#include "natter/keys.h"
#include "natter/settings.h"
#include "natter/theme.h"
#include "natter/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINES_MAX 64

/* A broken promise aborts, naming itself, so the fuzzer reports it. */
#define check(ok) ((ok) ? (void)0 : fail(__LINE__, #ok))

static void
fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_config.c:%d: check failed: %s\n", line, what);
	abort();
}

struct warnings {
	const char *path;
	long lines;
	int n;
};

/* "PATH:LINE: reason", LINE a line of the file. */
static void
on_warn(const char *msg, void *arg)
{
	struct warnings *w = arg;
	size_t len = strlen(w->path);
	char *end;
	long line;

	check(strncmp(msg, w->path, len) == 0 && msg[len] == ':');
	line = strtol(msg + len + 1, &end, 10);
	check(line >= 1 && line <= w->lines && strncmp(end, ": ", 2) == 0 && end[2] != '\0');
	w->n++;
}

/* Whether fmt asks for a '%' ("%%", "%5%"): else one in its output is
 * a conversion strftime did not know and printed as it is. */
static int
wants_percent(const char *fmt)
{
	for (const char *p = fmt; (p = strchr(p, '%')) != NULL;) {
		p++;
		p += strspn(p, "_-0^#");
		p += strspn(p, "0123456789");
		p += *p == 'E' || *p == 'O';
		if (*p == '%')
			return 1;
		p += *p != '\0';
	}
	return 0;
}

static void
check_format(const char *fmt)
{
	static const time_t when[] = {0, 951782400, 1790812799, 4102444799};
	char out[SETTINGS_FORMAT_MAX * 64];
	struct tm tm;
	size_t len;

	check(fmt[0] != '\0' && strlen(fmt) <= SETTINGS_FORMAT_MAX);
	for (size_t i = 0; i < NT_NELEMS(when); i++) {
		gmtime_r(&when[i], &tm);
		len = strftime(out, sizeof out, fmt, &tm);
		check(len > 0 && len <= SETTINGS_FORMAT_MAX);
		for (size_t k = 0; k < len; k++)
			check((unsigned char)out[k] >= 0x20 && out[k] != 0x7f);
		check(strchr(out, '%') == NULL || wants_percent(fmt));
	}
}

static void
check_list(const struct settings_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->items[i];
		size_t len = strlen(s);

		check(len > 0 && strchr(s, ',') == NULL);
		check(strchr(" \t", s[0]) == NULL && strchr(" \t", s[len - 1]) == NULL);
	}
}

static void
check_mail(const struct settings_mail *m)
{
	struct mail_addr a;
	int tls;

	if (m->from != NULL) {
		check(mail_addr_parse(m->from, &a, NULL) == 0);
		mail_addr_clear(&a);
	}
	check(m->smtp_url == NULL || mail_smtp_policy(m->smtp_url, &tls, NULL) == 0);
	check(m->ca_file == NULL || m->ca_file[0] == '/');
	check(m->sendmail != NULL && m->sendmail[0] == '/');
	check(m->attachment_cap >= 0 && m->attachment_cap <= (int64_t)1 << 40);
	check(m->method == SETTINGS_MAIL_SMTP || m->method == SETTINGS_MAIL_SENDMAIL);
}

/* Every bound sequence is what that action gets in each of its modes:
 * no binding hides another, and none of compose mode is typed text. */
static void
check_keys(const struct keys_table *t)
{
	struct key_seq seqs[16];

	for (int a = 0; a < KEYS_NACTIONS; a++) {
		const struct keys_action_info *info = keys_action_info((enum keys_action)a);
		size_t n = keys_bound(t, (enum keys_action)a, seqs, NT_NELEMS(seqs));

		check(n <= 8);
		for (size_t i = 0; i < n; i++) {
			const struct key *k = &seqs[i].keys[0];

			check(seqs[i].n >= 1 && seqs[i].n <= KEYS_SEQ_MAX);
			check(!(info->modes & KEYS_MODE_COMPOSE) || k->mods != 0 ||
			    k->code >= KEYS_SPECIAL);
			for (int mode = KEYS_MODE_COMPOSE; mode <= KEYS_MODE_SELECT; mode <<= 1) {
				if (info->modes & mode)
					check(keys_match(t, (enum keys_mode)mode, &seqs[i]) == a);
			}
		}
	}
}

static void
check_settings(const struct settings *s)
{
	const struct settings_ui *ui = &s->ui;
	const struct settings_notify *nt = &s->notify;

	check(s->profile == NULL || cfg_profile_valid(s->profile));
	check(ui->theme == NULL || strchr(ui->theme, '/') != NULL || theme_name_valid(ui->theme));
	check_format(ui->time_format);
	check_format(ui->date_format);
	check(ui->list_width >= 12 && ui->list_width <= 60);
	check((unsigned)ui->show_membership <= SETTINGS_MEMBERSHIP_NONE);
	check((ui->bell == 0 || ui->bell == 1) && (ui->send_typing == 0 || ui->send_typing == 1));
	check((nt->quiet_start == -1 && nt->quiet_end == -1) ||
	    (nt->quiet_start >= 0 && nt->quiet_start < 1440 && nt->quiet_end >= 0 &&
	    nt->quiet_end < 1440 && nt->quiet_start != nt->quiet_end));
	check((unsigned)nt->markup <= SETTINGS_MARKUP_OFF);
	check_list(&nt->keywords);
	check_list(&nt->mute);
	check_mail(&s->mail);
	check_keys(s->keys);
}

static void
check_color(const struct theme_color *c)
{
	check(c->c256 >= -1 && c->c256 < 256);
	check(c->c16 >= -1 && c->c16 < 16);
	check(c->c8 >= -1 && c->c8 < 8);
}

static void
check_style(const struct theme_style *st)
{
	check_color(&st->fg);
	check_color(&st->bg);
	check((st->attrs & ~(THEME_BOLD | THEME_DIM | THEME_UNDERLINE | THEME_REVERSE |
	    THEME_ITALIC)) == 0);
}

static void
check_theme(const struct theme *t)
{
	for (int e = 0; e < THEME_NELEMENTS; e++)
		check_style(&t->style[e]);
	check(t->nnicks >= 1 && t->nnicks <= 256);
	for (size_t i = 0; i < t->nnicks; i++)
		check_color(&t->nicks[i]);
	check(theme_nick_color(t, "@someone:example.org") != NULL);
}

/* A sequence that parses prints as one that parses to the same keys,
 * and prints the same again. */
static void
check_key_line(const char *line)
{
	struct key_seq seq, again;
	char *cause = NULL, *text, *text2;

	if (keys_parse(line, &seq, &cause) == -1) {
		check(cause != NULL && cause[0] != '\0');
		free(cause);
		return;
	}
	check(seq.n >= 1 && seq.n <= KEYS_SEQ_MAX);
	text = keys_format(&seq);
	check(keys_parse(text, &again, NULL) == 0 && again.n == seq.n);
	for (size_t i = 0; i < seq.n; i++) {
		check(seq.keys[i].code < KEYS_CODE_END && (seq.keys[i].mods & ~3) == 0);
		check(again.keys[i].code == seq.keys[i].code);
		check(again.keys[i].mods == seq.keys[i].mods);
	}
	text2 = keys_format(&again);
	check(strcmp(text, text2) == 0);
	free(text);
	free(text2);
}

static void
check_style_line(const char *line)
{
	struct theme_style st;
	struct theme_color c;
	char *cause = NULL;

	if (theme_parse_style(line, &st, &cause) == 0)
		check_style(&st);
	else
		check(cause != NULL && cause[0] != '\0');
	xfree(&cause);
	if (theme_parse_color(line, &c, &cause) == 0)
		check_color(&c);
	else
		check(cause != NULL && cause[0] != '\0');
	free(cause);
}

static void
check_lines(char *text)
{
	char *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL && n < LINES_MAX;
	    line = strtok_r(NULL, "\n", &save), n++) {
		check_key_line(line);
		check_style_line(line);
	}
}

/* The input as a file of its own: a memfd seen through /proc. */
static char *
input_file(const uint8_t *data, size_t size, int *fd)
{
	*fd = memfd_create("config", MFD_CLOEXEC);
	check(*fd != -1 && write(*fd, data, size) == (ssize_t)size);
	return xasprintf("/proc/self/fd/%d", *fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;
	char *path = input_file(data, size, &fd), *text = xmalloc(size + 1);
	struct warnings w = {path, 1, 0};
	struct settings s;
	struct theme t;

	setenv("TZ", "UTC", 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		w.lines += data[i] == '\n';
	check(settings_load(path, &s, on_warn, &w) == 0);
	check_settings(&s);
	settings_free(&s);
	check(theme_load(path, &t, on_warn, &w) == 0);
	check(strcmp(t.name, path) == 0);
	check_theme(&t);
	theme_free(&t);
	check_lines(text);
	free(text);
	free(path);
	close(fd);
	return 0;
}

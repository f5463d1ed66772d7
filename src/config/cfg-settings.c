/* The config file: every key of every section, checked as it is read.
 * Keys are found in a table sorted by section and key. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "natter/config.h"
#include "natter/mail.h"
#include "natter/keys.h"
#include "natter/settings.h"
#include "natter/theme.h"
#include "natter/util.h"

struct settings_key {
	const char *section;
	const char *key;
	int (*set)(struct settings *, const struct settings_key *, const char *, char **);
	size_t off;		/* of the field set, for the shared setters */
};

static const char *const settings_onoff_names[] = {"on", "off"};
static const char *const settings_membership_names[] = {"collapsed", "all", "none"};
static const char *const settings_markup_names[] = {"auto", "on", "off"};
static const char *const settings_method_names[] = {"smtp", "sendmail"};
static const char *const settings_send_keys_names[] = {"all", "signed"};
static const char *const settings_protocol_names[] = {"auto", "sliding", "v3"};
static const char *const settings_scheduled_names[] = {"auto", "server", "local"};

static void *
settings_field(struct settings *s, const struct settings_key *k)
{
	return (char *)s + k->off;
}

/* Sets *out to the index of value in names, or explains the choice. */
static int
settings_choice(const char *key, const char *value, const char *const *names, size_t n,
    int *out, char **cause)
{
	struct buf b = {0};
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	rc = cause_set(cause, "%s must be %s, not \"%s\"", key, b.data, value);
	buf_free(&b);
	return rc;
}

static int
settings_set_onoff(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int i = 0;

	if (settings_choice(k->key, value, settings_onoff_names, 2, &i, cause) == -1)
		return -1;
	*(int *)settings_field(s, k) = i == 0;
	return 0;
}

static int
settings_set_membership(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int i = 0;

	if (settings_choice(k->key, value, settings_membership_names,
	    NT_NELEMS(settings_membership_names), &i, cause) == -1)
		return -1;
	s->ui.show_membership = (enum settings_membership)i;
	return 0;
}

static int
settings_set_markup(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int i = 0;

	if (settings_choice(k->key, value, settings_markup_names,
	    NT_NELEMS(settings_markup_names), &i, cause) == -1)
		return -1;
	s->notify.markup = (enum settings_markup)i;
	return 0;
}

static int
settings_set_profile(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	if (!cfg_profile_valid(value))
		return cause_set(cause, "bad profile name \"%s\"", value);
	free(s->profile);
	s->profile = xstrdup(value);
	return 0;
}

static int
settings_set_theme(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	if (strchr(value, '/') == NULL && !theme_name_valid(value))
		return cause_set(cause, "bad theme name \"%s\": use letters, digits, '_' and "
		    "'-', or a path with '/'", value);
	free(s->ui.theme);
	s->ui.theme = xstrdup(value);
	return 0;
}

static int
settings_set_width(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int64_t n;

	if (nt_parse_int64(value, &n) == -1 || n < 12 || n > 60)
		return cause_set(cause, "list_width must be a number from 12 to 60, not \"%s\"",
		    value);
	s->ui.list_width = (int)n;
	return 0;
}

/* Whether strftime knows the conversion of len bytes at spec: glibc
 * prints one it does not as it is, '%' and all, even when each part is
 * valid on its own ("%OY", "%5EH"). */
static int
settings_conversion_known(const char *spec, size_t len)
{
	char one[SETTINGS_FORMAT_MAX + 1], out[SETTINGS_FORMAT_MAX * 64];
	struct tm tm = {.tm_year = 126, .tm_mon = 8, .tm_mday = 30, .tm_wday = 3};
	size_t n;

	memcpy(one, spec, len);
	one[len] = '\0';
	n = strftime(out, sizeof out, one, &tm);
	return spec[len - 1] == '%' || memchr(out, '%', n) == NULL;
}

/* Each conversion must be one strftime knows: glibc prints an unknown
 * one as it is, which would show "%Q" on every line. */
static int
settings_check_conversions(const char *key, const char *value, char **cause)
{
	static const char known[] = "aAbBcCdDeFgGhHIjklmMnprRsStTuUVwWxXyYzZ+%";
	const char *p = value, *start;

	while ((start = p = strchr(p, '%')) != NULL) {
		p++;
		p += strspn(p, "_-0^#");
		p += strspn(p, "0123456789");
		if (*p == 'E' || *p == 'O')
			p++;
		if (*p == '\0')
			return cause_set(cause, "%s \"%s\" ends in a lone %%", key, value);
		p++;
		if (strchr(known, p[-1]) == NULL ||
		    !settings_conversion_known(start, (size_t)(p - start)))
			return cause_set(cause, "%s \"%s\": %.*s is not a strftime conversion", key,
			    value, (int)(p - start), start);
	}
	return 0;
}

/* A trial on a long date (a Wednesday in September) bounds the width. */
static int
settings_check_format(const char *key, const char *value, char **cause)
{
	char out[SETTINGS_FORMAT_MAX * 64];
	time_t when = 1790812799;
	struct tm tm;
	size_t len;

	if (*value == '\0')
		return cause_set(cause, "%s is empty", key);
	if (strlen(value) > SETTINGS_FORMAT_MAX)
		return cause_set(cause, "%s is longer than %d bytes", key, SETTINGS_FORMAT_MAX);
	if (settings_check_conversions(key, value, cause) == -1)
		return -1;
	localtime_r(&when, &tm);
	len = strftime(out, sizeof out, value, &tm);
	if (len == 0 || len > SETTINGS_FORMAT_MAX)
		return cause_set(cause, "%s \"%s\" makes no text, or more than %d bytes", key,
		    value, SETTINGS_FORMAT_MAX);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			return cause_set(cause, "%s \"%s\" makes a control character", key, value);
	}
	return 0;
}

static int
settings_set_format(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	char **field = settings_field(s, k);

	if (settings_check_format(k->key, value, cause) == -1)
		return -1;
	free(*field);
	*field = xstrdup(value);
	return 0;
}

static void
settings_list_clear(struct settings_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	xfree(&l->items);
	l->n = 0;
}

/* Splits value at commas into l, each item trimmed, empty ones dropped. */
static void
settings_split(struct settings_list *l, const char *value)
{
	char *copy = xstrdup(value), *item, *last = NULL, *end;

	settings_list_clear(l);
	for (item = strtok_r(copy, ",", &last); item != NULL; item = strtok_r(NULL, ",", &last)) {
		item += strspn(item, " \t");
		for (end = item + strlen(item); end > item && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		if (*item == '\0')
			continue;
		l->items = xreallocarray(l->items, l->n + 1, sizeof l->items[0]);
		l->items[l->n++] = xstrdup(item);
	}
	free(copy);
}

static int
settings_set_list(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	settings_split(settings_field(s, k), value);
	return 0;
}

/* [notify] vip: user ids, each checked, so that a name or a typo is
 * said at once rather than never matching anyone. */
static int
settings_set_vip(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	struct settings_list list = {0};
	int rc = 0;

	(void)k;
	settings_split(&list, value);
	for (size_t i = 0; i < list.n && rc == 0; i++) {
		const char *id = list.items[i], *colon = strchr(id, ':');

		if (id[0] != '@' || colon == NULL || colon == id + 1 || colon[1] == '\0')
			rc = cause_set(cause, "vip wants user ids like @dana:example.org, "
			    "not \"%s\"", id);
	}
	if (rc == 0) {
		settings_list_clear(&s->notify.vip);
		s->notify.vip = list;
	} else {
		settings_list_clear(&list);
	}
	return rc;
}

/* [lists] NAME = ROOM, @user:server, ...: a later line of one name
 * replaces the earlier. */
static int
settings_set_named_list(struct settings *s, const char *name, const char *value,
    char **cause)
{
	struct settings_lists *ls = &s->lists;
	size_t i;

	if (*name == '\0' || name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")] != '\0')
		return cause_set(cause, "a list's name has only letters, digits, - and _, "
		    "not \"%s\"", name);
	for (i = 0; i < ls->n && strcmp(ls->names[i], name) != 0; i++)
		;
	if (i == ls->n) {
		ls->names = xreallocarray(ls->names, ls->n + 1, sizeof *ls->names);
		ls->members = xreallocarray(ls->members, ls->n + 1, sizeof *ls->members);
		ls->names[i] = xstrdup(name);
		memset(&ls->members[i], 0, sizeof ls->members[i]);
		ls->n++;
	}
	settings_split(&ls->members[i], value);
	if (ls->members[i].n == 0) {
		free(ls->names[i]);
		settings_list_clear(&ls->members[i]);
		ls->names[i] = ls->names[--ls->n];
		ls->members[i] = ls->members[ls->n];
		return cause_set(cause, "list %s names nobody", name);
	}
	return 0;
}

const struct settings_list *
settings_list_named(const struct settings *s, const char *name)
{
	for (size_t i = 0; i < s->lists.n; i++) {
		if (strcmp(s->lists.names[i], name) == 0)
			return &s->lists.members[i];
	}
	return NULL;
}

static void
settings_target_add(struct settings_targets *t, const char *item, const char *from)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->items[i], item) == 0)
			return;
	}
	t->items = xreallocarray(t->items, t->n + 1, sizeof *t->items);
	t->from = xreallocarray(t->from, t->n + 1, sizeof *t->from);
	t->items[t->n] = xstrdup(item);
	t->from[t->n++] = from;
}

/* The names of the config's lists, for a cause. */
static char *
settings_list_names(const struct settings *s)
{
	struct buf b = {0};

	if (s->lists.n == 0)
		return xstrdup("the config has no [lists]");
	buf_printf(&b, "the config's lists are");
	for (size_t i = 0; i < s->lists.n; i++)
		buf_printf(&b, "%s %s", i == 0 ? "" : ",", s->lists.names[i]);
	return buf_steal(&b);
}

int
settings_targets_expand(const struct settings *s, const char *to, struct settings_targets *t,
    char **cause)
{
	struct settings_list l = {0};
	const char *name;
	size_t k;
	char *known;
	int rc = 0;

	memset(t, 0, sizeof *t);
	settings_split(&l, to);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		if (strncmp(l.items[i], SETTINGS_LIST_PREFIX, strlen(SETTINGS_LIST_PREFIX)) != 0) {
			settings_target_add(t, l.items[i], NULL);
			continue;
		}
		name = l.items[i] + strlen(SETTINGS_LIST_PREFIX);
		for (k = 0; k < s->lists.n && strcmp(s->lists.names[k], name) != 0; k++)
			;
		if (k == s->lists.n) {
			known = settings_list_names(s);
			rc = cause_set(cause, "no list \"%s\" in [lists] of the config (%s)", name,
			    known);
			free(known);
			break;
		}
		for (size_t j = 0; j < s->lists.members[k].n; j++)
			settings_target_add(t, s->lists.members[k].items[j], s->lists.names[k]);
	}
	settings_list_clear(&l);
	if (rc == -1)
		settings_targets_clear(t);
	return rc;
}

void
settings_targets_clear(struct settings_targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->items[i]);
	free(t->items);
	free(t->from);
	memset(t, 0, sizeof *t);
}

/* Parses H:MM or HH:MM into minutes after midnight. */
static int
settings_parse_clock(const char *s, size_t len, int *minute)
{
	size_t hlen = strspn(s, "0123456789");
	int h, m;

	if (hlen < 1 || hlen > 2 || s[hlen] != ':' || len != hlen + 3 ||
	    strspn(s + hlen + 1, "0123456789") < 2)
		return -1;
	h = hlen == 1 ? s[0] - '0' : (s[0] - '0') * 10 + s[1] - '0';
	m = (s[hlen + 1] - '0') * 10 + s[hlen + 2] - '0';
	if (h > 23 || m > 59)
		return -1;
	*minute = h * 60 + m;
	return 0;
}

static int
settings_set_quiet(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	const char *dash = strchr(value, '-'), *end;
	size_t len;
	int start, stop;

	if (*value == '\0' || strcmp(value, "off") == 0) {
		s->notify.quiet_start = s->notify.quiet_end = -1;
		return 0;
	}
	if (dash == NULL)
		goto bad;
	for (len = (size_t)(dash - value); len > 0 && value[len - 1] == ' ';)
		len--;
	end = dash + 1 + strspn(dash + 1, " ");
	if (settings_parse_clock(value, len, &start) == -1 ||
	    settings_parse_clock(end, strlen(end), &stop) == -1)
		goto bad;
	if (start == stop)
		return cause_set(cause, "quiet_hours \"%s\" starts and ends at the same time",
		    value);
	s->notify.quiet_start = start;
	s->notify.quiet_end = stop;
	return 0;
bad:
	return cause_set(cause, "quiet_hours must look like 22:00-07:00 or be off, not \"%s\"",
	    value);
}

static int
settings_set_string(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	char **field = settings_field(s, k);

	if (*value == '\0')
		return cause_set(cause, "%s is empty", k->key);
	free(*field);
	*field = xstrdup(value);
	return 0;
}

static int
settings_set_from(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	struct mail_addr a;

	if (mail_addr_parse(value, &a, cause) == -1)
		return -1;
	mail_addr_clear(&a);
	return settings_set_string(s, k, value, cause);
}

static int
settings_set_smtp_url(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int tls;

	if (mail_smtp_policy(value, &tls, cause) == -1)
		return -1;
	return settings_set_string(s, k, value, cause);
}

/* A file natter reads later must not depend on where it was started. */
static int
settings_set_path(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	if (*value != '/')
		return cause_set(cause, "%s must be an absolute path, not \"%s\"", k->key, value);
	return settings_set_string(s, k, value, cause);
}

static int
settings_set_method(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int i = 0;

	if (settings_choice(k->key, value, settings_method_names,
	    NT_NELEMS(settings_method_names), &i, cause) == -1)
		return -1;
	s->mail.method = (enum settings_mail_method)i;
	return 0;
}

static int
settings_set_send_keys(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int i = 0;

	if (settings_choice(k->key, value, settings_send_keys_names,
	    NT_NELEMS(settings_send_keys_names), &i, cause) == -1)
		return -1;
	s->crypto.send_keys = (enum settings_send_keys)i;
	return 0;
}

static int
settings_set_protocol(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int i = 0;

	if (settings_choice(k->key, value, settings_protocol_names,
	    NT_NELEMS(settings_protocol_names), &i, cause) == -1)
		return -1;
	s->sync.protocol = (enum settings_sync_protocol)i;
	return 0;
}

static int
settings_set_scheduled(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	int i = 0;

	if (settings_choice(k->key, value, settings_scheduled_names,
	    NT_NELEMS(settings_scheduled_names), &i, cause) == -1)
		return -1;
	s->send.scheduled = (enum settings_scheduled)i;
	return 0;
}

/* A size in bytes, or with a K, M or G suffix (powers of 1024), up to
 * a terabyte. */
static int
settings_set_cap(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	size_t len = strlen(value);
	char last = len > 1 ? value[len - 1] : '0';
	int shift = last == 'K' || last == 'k' ? 10 : last == 'M' || last == 'm' ? 20 :
	    last == 'G' || last == 'g' ? 30 : 0;
	char *digits = xstrndup(value, shift > 0 ? len - 1 : len);
	int64_t n, scale = (int64_t)1 << shift;
	int ok = nt_parse_int64(digits, &n) == 0 && n >= 0 && n <= ((int64_t)1 << 40) / scale;

	free(digits);
	if (!ok)
		return cause_set(cause, "attachment_cap must be a size like 25M, 500K or "
		    "1048576, not \"%s\"", value);
	s->mail.attachment_cap = n * scale;
	return 0;
}

/* A span as a scheduled time's: "1d", "4h", "1h30m", "90s". */
static int
settings_set_wait(struct settings *s, const struct settings_key *k, const char *value,
    char **cause)
{
	char *span = xasprintf("+%s", value);
	int64_t ms;
	int rc = nt_when_parse(span, 0, &ms, NULL, NULL);

	free(span);
	if (rc == -1)
		return cause_set(cause, "%s must be a time like 1d, 4h, 1h30m or 90s, not \"%s\"",
		    k->key, value);
	s->followup.wait_ms = ms;
	return 0;
}

#define SETTINGS_OFF(field) offsetof(struct settings, field)

/* Sorted by section, then key, for bsearch. [keys] is the key table's. */
static const struct settings_key settings_keys[] = {
	{"crypto", "encrypt_dms", settings_set_onoff, SETTINGS_OFF(crypto.encrypt_dms)},
	{"crypto", "send_keys", settings_set_send_keys, 0},
	{"followup", "wait", settings_set_wait, 0},
	{"general", "profile", settings_set_profile, 0},
	{"mail", "attachment_cap", settings_set_cap, 0},
	{"mail", "ca_file", settings_set_path, SETTINGS_OFF(mail.ca_file)},
	{"mail", "from", settings_set_from, SETTINGS_OFF(mail.from)},
	{"mail", "method", settings_set_method, 0},
	{"mail", "password_command", settings_set_string, SETTINGS_OFF(mail.password_command)},
	{"mail", "sendmail", settings_set_path, SETTINGS_OFF(mail.sendmail)},
	{"mail", "smtp_password", settings_set_string, SETTINGS_OFF(mail.smtp_password)},
	{"mail", "smtp_url", settings_set_smtp_url, SETTINGS_OFF(mail.smtp_url)},
	{"mail", "smtp_user", settings_set_string, SETTINGS_OFF(mail.smtp_user)},
	{"notify", "direct", settings_set_onoff, SETTINGS_OFF(notify.direct)},
	{"notify", "enabled", settings_set_onoff, SETTINGS_OFF(notify.enabled)},
	{"notify", "keywords", settings_set_list, SETTINGS_OFF(notify.keywords)},
	{"notify", "markup", settings_set_markup, 0},
	{"notify", "mentions", settings_set_onoff, SETTINGS_OFF(notify.mentions)},
	{"notify", "mute", settings_set_list, SETTINGS_OFF(notify.mute)},
	{"notify", "quiet_hours", settings_set_quiet, 0},
	{"notify", "vip", settings_set_vip, 0},
	{"send", "scheduled", settings_set_scheduled, 0},
	{"sync", "protocol", settings_set_protocol, 0},
	{"ui", "bell", settings_set_onoff, SETTINGS_OFF(ui.bell)},
	{"ui", "date_format", settings_set_format, SETTINGS_OFF(ui.date_format)},
	{"ui", "list_width", settings_set_width, 0},
	{"ui", "send_typing", settings_set_onoff, SETTINGS_OFF(ui.send_typing)},
	{"ui", "show_membership", settings_set_membership, 0},
	{"ui", "spaces", settings_set_onoff, SETTINGS_OFF(ui.spaces)},
	{"ui", "theme", settings_set_theme, 0},
	{"ui", "time_format", settings_set_format, SETTINGS_OFF(ui.time_format)},
};

static int
settings_key_cmp(const void *key, const void *elem)
{
	const struct settings_key *a = key, *b = elem;
	int c = strcmp(a->section, b->section);

	return c != 0 ? c : strcmp(a->key, b->key);
}

static int
settings_section_known(const char *section)
{
	for (size_t i = 0; i < NT_NELEMS(settings_keys); i++) {
		if (strcmp(settings_keys[i].section, section) == 0)
			return 1;
	}
	return 0;
}

struct settings_ctx {
	struct settings *s;
	void (*warn)(const char *, void *);
	void *arg;
};

static int
settings_line(const char *section, const char *key, const char *value, void *arg,
    char **cause)
{
	struct settings_ctx *ctx = arg;
	struct settings_key probe = {section, key, NULL, 0};
	const struct settings_key *found;

	if (*section == '\0')
		return cause_set(cause, "\"%s\" comes before any [section]", key);
	if (strcmp(section, "keys") == 0)
		return keys_bind(ctx->s->keys, key, value, cause);
	if (strcmp(section, "lists") == 0)
		return settings_set_named_list(ctx->s, key, value, cause);
	found = bsearch(&probe, settings_keys, NT_NELEMS(settings_keys), sizeof settings_keys[0],
	    settings_key_cmp);
	if (found != NULL)
		return found->set(ctx->s, found, value, cause);
	if (!settings_section_known(section))
		return cause_set(cause, "unknown section [%s]", section);
	return cause_set(cause, "unknown key \"%s\" in [%s]", key, section);
}

static void
settings_warn(const char *msg, void *arg)
{
	struct settings_ctx *ctx = arg;

	if (ctx->warn != NULL)
		ctx->warn(msg, ctx->arg);
}

void
settings_init(struct settings *s)
{
	memset(s, 0, sizeof *s);
	s->ui.time_format = xstrdup("%H:%M");
	s->ui.date_format = xstrdup("%A %d %B %Y");
	s->ui.show_membership = SETTINGS_MEMBERSHIP_COLLAPSED;
	s->ui.list_width = 24;
	s->ui.send_typing = 1;
	s->ui.spaces = 1;
	s->crypto.encrypt_dms = 1;
	s->notify.enabled = s->notify.mentions = s->notify.direct = 1;
	s->notify.quiet_start = s->notify.quiet_end = -1;
	s->notify.markup = SETTINGS_MARKUP_AUTO;
	s->mail.sendmail = xstrdup("/usr/sbin/sendmail");
	s->mail.method = SETTINGS_MAIL_SMTP;
	s->mail.attachment_cap = MAIL_ATTACHMENT_CAP_DEFAULT;
	s->followup.wait_ms = SETTINGS_WAIT_DEFAULT_MS;
	s->keys = keys_table_new();
}

int
settings_load(const char *path, struct settings *s, void (*warn)(const char *, void *),
    void *arg)
{
	struct settings_ctx ctx = {s, warn, arg};
	char *cause = NULL;

	settings_init(s);
	if (cfg_file_parse(path, settings_line, &ctx, settings_warn, &cause) == -1) {
		settings_warn(cause, &ctx);
		free(cause);
		return -1;
	}
	return 0;
}

void
settings_free(struct settings *s)
{
	free(s->profile);
	free(s->ui.theme);
	free(s->ui.time_format);
	free(s->ui.date_format);
	settings_list_clear(&s->notify.keywords);
	settings_list_clear(&s->notify.mute);
	settings_list_clear(&s->notify.vip);
	free(s->mail.from);
	free(s->mail.smtp_url);
	free(s->mail.smtp_user);
	free(s->mail.smtp_password);
	free(s->mail.password_command);
	free(s->mail.ca_file);
	free(s->mail.sendmail);
	keys_table_free(&s->keys);
	for (size_t i = 0; i < s->lists.n; i++) {
		free(s->lists.names[i]);
		settings_list_clear(&s->lists.members[i]);
	}
	free(s->lists.names);
	free(s->lists.members);
	memset(s, 0, sizeof *s);
}

int
settings_quiet_at(const struct settings *s, int minute)
{
	int start = s->notify.quiet_start, end = s->notify.quiet_end;

	if (start < 0)
		return 0;
	if (start < end)
		return minute >= start && minute < end;
	return minute >= start || minute < end;
}

/* Whether a message notifies: the user's rules against the message, the
 * time of day and what is on screen. Pure, so every case is testable. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <utf8proc.h>

#include "natter/notify.h"
#include "natter/sanitize.h"

#define NOTIFY_FOLD (UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | \
	UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD)
#define NOTIFY_DAY (24 * 60)

void
notify_rules_default(struct notify_rules *rules)
{
	memset(rules, 0, sizeof *rules);
	rules->enabled = 1;
	rules->mentions = 1;
	rules->direct = 1;
	rules->quiet_start = -1;
	rules->quiet_end = -1;
	rules->markup = NOTIFY_MARKUP_AUTO;
}

int
notify_local_minute(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_hour * 60 + tm.tm_min;
}

/* Letters, marks, digits and connectors such as '_' make up words. */
static int
notify_is_word(utf8proc_int32_t c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_PC:
		return 1;
	default:
		return 0;
	}
}

/* Whether the code point ending at end (after start) is a word character. */
static int
notify_word_before(const char *start, const char *end)
{
	const char *p = end;
	utf8proc_int32_t c;

	if (p == start)
		return 0;
	do
		p--;
	while (p > start && ((unsigned char)*p & 0xc0) == 0x80);
	if (utf8proc_iterate((const utf8proc_uint8_t *)p, end - p, &c) < 0)
		return 0;
	return notify_is_word(c);
}

static int
notify_word_after(const char *p)
{
	utf8proc_int32_t c;

	if (*p == '\0' || utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &c) < 0)
		return 0;
	return notify_is_word(c);
}

/* Returns s sanitised and case-folded, or NULL when it cannot be. */
static char *
notify_fold(const char *s)
{
	char *safe = san_text(s, SAN_MULTILINE);
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n;

	n = utf8proc_map((const utf8proc_uint8_t *)safe, 0, &out, NOTIFY_FOLD);
	free(safe);
	return n < 0 ? NULL : (char *)out;
}

int
notify_has_word(const char *text, const char *word)
{
	char *hay, *needle, *p;
	size_t len;
	int found = 0;

	if (text == NULL || word == NULL || *word == '\0')
		return 0;
	hay = notify_fold(text);
	needle = notify_fold(word);
	if (hay != NULL && needle != NULL && (len = strlen(needle)) > 0) {
		for (p = hay; !found && (p = strstr(p, needle)) != NULL; p++)
			found = !notify_word_before(hay, p) && !notify_word_after(p + len);
	}
	free(hay);
	free(needle);
	return found;
}

int
notify_mentions_us(const struct notify_msg *msg, const struct notify_ctx *ctx)
{
	switch (msg->mentions) {
	case NOTIFY_MENTIONS_US:
	case NOTIFY_MENTIONS_ROOM:
		return 1;
	case NOTIFY_MENTIONS_OTHERS:
		return 0;
	case NOTIFY_MENTIONS_NONE:
		break;
	}
	return notify_has_word(msg->body, ctx->my_id) || notify_has_word(msg->body, ctx->my_name);
}

static enum notify_mentions
notify_mentions_in(const cJSON *mentions, const char *my_id)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(mentions, "user_ids"), *id;

	if (!cJSON_IsArray(ids))
		ids = NULL;

	cJSON_ArrayForEach(id, ids)
		if (cJSON_IsString(id) && my_id != NULL && strcmp(id->valuestring, my_id) == 0)
			return NOTIFY_MENTIONS_US;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mentions, "room")))
		return NOTIFY_MENTIONS_ROOM;
	return NOTIFY_MENTIONS_OTHERS;
}

enum notify_mentions
notify_mentions_of(const char *content, const char *my_id)
{
	cJSON *root = content != NULL ? cJSON_ParseWithLength(content, strlen(content)) : NULL;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "m.new_content"), "m.mentions");
	enum notify_mentions r = NOTIFY_MENTIONS_NONE;

	if (!cJSON_IsObject(m))
		m = cJSON_GetObjectItemCaseSensitive(root, "m.mentions");
	if (cJSON_IsObject(m))
		r = notify_mentions_in(m, my_id);
	cJSON_Delete(root);
	return r;
}

static int
notify_has_keyword(const struct notify_msg *msg, const struct notify_rules *rules)
{
	for (size_t i = 0; i < rules->nkeywords; i++) {
		if (notify_has_word(msg->body, rules->keywords[i]))
			return 1;
	}
	return 0;
}

static int
notify_is_muted(const struct notify_msg *msg, const struct notify_rules *rules)
{
	if (msg->room_id == NULL)
		return 0;
	for (size_t i = 0; i < rules->nmuted; i++) {
		if (rules->muted[i] != NULL && strcmp(rules->muted[i], msg->room_id) == 0)
			return 1;
	}
	return 0;
}

int
notify_is_vip(const struct notify_rules *rules, const char *user_id)
{
	if (user_id == NULL)
		return 0;
	for (size_t i = 0; i < rules->nvips; i++) {
		if (rules->vips[i] != NULL && strcmp(rules->vips[i], user_id) == 0)
			return 1;
	}
	return 0;
}

static int
notify_is_quiet(const struct notify_rules *rules, int minute)
{
	int start = rules->quiet_start, end = rules->quiet_end;

	if (start < 0 || end < 0 || start == end)
		return 0;
	minute = ((minute % NOTIFY_DAY) + NOTIFY_DAY) % NOTIFY_DAY;
	if (start < end)
		return minute >= start && minute < end;
	return minute >= start || minute < end;
}

/* What asks for a notification, strongest first; a notice only counts
 * when it mentions us, since bots send them in bulk. */
static enum notify_reason
notify_match(const struct notify_msg *msg, const struct notify_rules *rules,
    const struct notify_ctx *ctx)
{
	if (rules->mentions && notify_mentions_us(msg, ctx))
		return NOTIFY_MENTION;
	if (msg->is_notice)
		return NOTIFY_NO_NOTICE;
	if (rules->direct && msg->is_direct)
		return NOTIFY_DIRECT;
	if (notify_has_keyword(msg, rules))
		return NOTIFY_KEYWORD;
	return NOTIFY_NO_MATCH;
}

enum notify_reason
notify_decide(const struct notify_msg *msg, const struct notify_rules *rules,
    const struct notify_ctx *ctx)
{
	enum notify_reason reason;
	int vip;

	if (!rules->enabled)
		return NOTIFY_NO_DISABLED;
	if (msg->sender_id != NULL && ctx->my_id != NULL && strcmp(msg->sender_id, ctx->my_id) == 0)
		return NOTIFY_NO_OWN;
	vip = notify_is_vip(rules, msg->sender_id);
	if (!vip && notify_is_muted(msg, rules))
		return NOTIFY_NO_MUTED;
	if ((reason = vip ? NOTIFY_VIP : notify_match(msg, rules, ctx)) <= 0)
		return reason;
	if (!vip && notify_is_quiet(rules, ctx->minute))
		return NOTIFY_NO_QUIET;
	if (ctx->in_view && ctx->focus != NOTIFY_FOCUS_OUT)
		return NOTIFY_NO_SEEN;
	return reason;
}

const char *
notify_reason_name(enum notify_reason reason)
{
	switch (reason) {
	case NOTIFY_MENTION:
		return "mention";
	case NOTIFY_DIRECT:
		return "direct message";
	case NOTIFY_KEYWORD:
		return "keyword";
	case NOTIFY_VIP:
		return "VIP";
	case NOTIFY_NO_MATCH:
		return "no mention, direct message or keyword";
	case NOTIFY_NO_DISABLED:
		return "notifications disabled";
	case NOTIFY_NO_OWN:
		return "own message";
	case NOTIFY_NO_MUTED:
		return "muted room";
	case NOTIFY_NO_NOTICE:
		return "notice without a mention";
	case NOTIFY_NO_QUIET:
		return "quiet hours";
	case NOTIFY_NO_SEEN:
		return "room in view";
	}
	return "unknown";
}

/* Room events as people read them: who did what to whom, with the new
 * name or topic. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/msg.h"
#include "natter/util.h"

/* A string of the event's content that is not empty, or NULL. */
static char *
msg_content_string(const char *content, const char *key)
{
	cJSON *j = content != NULL ? cJSON_ParseWithLength(content, strlen(content)) : NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	char *s = cJSON_IsString(v) && v->valuestring[0] != '\0' ? xstrdup(v->valuestring) : NULL;

	cJSON_Delete(j);
	return s;
}

static char *
msg_member_text(const struct msg_state_event *e)
{
	char *named = msg_content_string(e->content, "displayname"), *s;
	const char *who = named != NULL ? named : e->target_name != NULL ? e->target_name :
	    e->state_key;

	if (e->state_key == NULL || strcmp(e->state_key, e->sender) == 0)
		s = xasprintf("%s %s", e->sender_name, msg_member_verb(e->membership));
	else if (e->membership == MX_MEMBERSHIP_INVITE)
		s = xasprintf("%s invited %s", e->sender_name, who);
	else if (e->membership == MX_MEMBERSHIP_LEAVE)
		s = xasprintf("%s removed %s", e->sender_name, who);
	else if (e->membership == MX_MEMBERSHIP_BAN)
		s = xasprintf("%s banned %s", e->sender_name, who);
	else
		s = xasprintf("%s %s", who, msg_member_verb(e->membership));
	free(named);
	return s;
}

/* A state event that sets one string: what it reads as when set, and
 * when emptied. */
static const struct {
	const char *type;
	const char *key;
	const char *set;
	const char *unset;
} msg_state_values[] = {
	{"m.room.canonical_alias", "alias", "changed the room address to", NULL},
	{"m.room.name", "name", "renamed the room to", "removed the room's name"},
	{"m.room.topic", "topic", "changed the topic to", "removed the topic"},
};

char *
msg_state_text(const struct msg_state_event *e)
{
	const char *verb;

	if (strcmp(e->type, "m.room.member") == 0)
		return msg_member_text(e);
	for (size_t i = 0; i < NT_NELEMS(msg_state_values); i++) {
		char *value, *s;

		if (strcmp(e->type, msg_state_values[i].type) != 0)
			continue;
		value = msg_content_string(e->content, msg_state_values[i].key);
		if (value != NULL)
			s = xasprintf("%s %s %s", e->sender_name, msg_state_values[i].set, value);
		else if (msg_state_values[i].unset != NULL)
			s = xasprintf("%s %s", e->sender_name, msg_state_values[i].unset);
		else
			break;
		free(value);
		return s;
	}
	verb = msg_state_verb(e->type);
	return verb != NULL ? xasprintf("%s %s", e->sender_name, verb) : NULL;
}

/* Private to the matrix parser (mx-parse*.c): checked access to cJSON
 * trees built from untrusted server JSON. */
#ifndef MX_PARSE_H
#define MX_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "natter/event.h"

/* Matrix ids (event, room, user, alias) are at most 255 bytes. */
#define MX_ID_MAX 255

/* Arrays and objects nested deeper than this are replaced by null before
 * cJSON sees the text, so neither its recursion nor ours can go further. */
#define MX_JSON_DEPTH_MAX 64

/* The largest integer canonical JSON allows, 2^53 - 1. */
#define MX_JSON_INT_MAX 9007199254740991LL

enum mx_event_mode {
	MX_EVENT_TIMELINE,	/* a room event: event_id, sender and type required */
	MX_EVENT_STATE,		/* as TIMELINE, and a state_key is required */
	MX_EVENT_STRIPPED,	/* invite_state: no event_id or ts of its own */
};

/* mx-parse-json.c */
cJSON *mx_json_parse(const char *json, size_t len, char **cause);
void mx_json_free(cJSON *root);
const char *mx_json_str(const cJSON *obj, const char *key);
char *mx_json_strdup(const cJSON *obj, const char *key);
const cJSON *mx_json_obj(const cJSON *obj, const char *key);
const cJSON *mx_json_arr(const cJSON *obj, const char *key);
int mx_json_int(const cJSON *obj, const char *key, int64_t *out);
int64_t mx_json_count(const cJSON *obj, const char *key);
int mx_utf8_seq(const unsigned char *s, size_t len);

/* mx-parse.c */
cJSON *mx_json_root(const char *json, size_t len, const char *what, char **cause);
char *mx_json_token(const cJSON *obj, const char *key);

/* mx-parse-id.c */
int mx_id_valid(const char *s, char sigil);
int mx_type_valid(const char *s);
int mx_alias_valid(const char *s);
int mx_mxc_valid(const char *s);
char *mx_json_id(const cJSON *obj, const char *key, char sigil);

/* mx-parse-event.c */
int mx_event_from_json(const cJSON *j, enum mx_event_mode mode, const char *room_id,
    struct mx_event *ev, const char **why);
struct mx_event *mx_events_from_json(const cJSON *events, enum mx_event_mode mode,
    const char *room_id, size_t *n, size_t *skipped);

#endif

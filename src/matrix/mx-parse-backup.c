/* The server-side key backup as the server describes it: the current
 * backup version, and the sessions it holds, each checked (ids valid,
 * encrypted fields base64) before the core decrypts anything. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "mx-private.h"

int
mx_backup_version_parse(const char *json, size_t len, struct mx_backup_version *out,
    char **cause)
{
	cJSON *root = mx_json_root(json, len, "key backup version", cause);
	const cJSON *auth;

	memset(out, 0, sizeof *out);
	if (root == NULL)
		return -1;
	auth = mx_json_obj(root, "auth_data");
	out->version = mx_json_strdup(root, "version");
	out->algorithm = mx_json_strdup(root, "algorithm");
	out->public_key = mx_json_b64(auth, "public_key");
	out->etag = mx_json_strdup(root, "etag");
	out->count = mx_json_count(root, "count");
	mx_json_free(root);
	if (out->version == NULL || out->version[0] == '\0' || out->algorithm == NULL) {
		mx_backup_version_clear(out);
		return cause_set(cause, "the key backup's description lacks its version or "
		    "algorithm");
	}
	return 0;
}

void
mx_backup_version_clear(struct mx_backup_version *v)
{
	free(v->version);
	free(v->algorithm);
	free(v->public_key);
	free(v->etag);
	memset(v, 0, sizeof *v);
}

/* One session of a room: 0 and *s filled, or -1 (left out). */
static int
mx_backup_session_parse(const char *room_id, const cJSON *j, struct mx_backup_session *s)
{
	const cJSON *data = mx_json_obj(j, "session_data");
	const cJSON *verified = cJSON_GetObjectItemCaseSensitive(j, "is_verified");

	memset(s, 0, sizeof *s);
	if (!cJSON_IsObject(j) || j->string == NULL || j->string[0] == '\0' ||
	    strlen(j->string) > 255 || mx_json_int(j, "first_message_index",
	    &s->first_index) == -1 || s->first_index < 0)
		return -1;
	if (mx_json_int(j, "forwarded_count", &s->forwarded_count) == -1)
		s->forwarded_count = 0;
	s->verified = cJSON_IsTrue(verified);
	s->ephemeral = mx_json_b64(data, "ephemeral");
	s->ciphertext = mx_json_b64(data, "ciphertext");
	s->mac = mx_json_b64(data, "mac");
	if (s->ephemeral == NULL || s->ciphertext == NULL || s->mac == NULL) {
		free(s->ephemeral);
		free(s->ciphertext);
		free(s->mac);
		return -1;
	}
	s->room_id = xstrdup(room_id);
	s->session_id = xstrdup(j->string);
	return 0;
}

int
mx_backup_parse(const char *json, size_t len, struct mx_backup *out, char **cause)
{
	cJSON *root = mx_json_root(json, len, "key backup", cause);
	const cJSON *room, *j;

	memset(out, 0, sizeof *out);
	if (root == NULL)
		return -1;
	cJSON_ArrayForEach(room, mx_json_obj(root, "rooms")) {
		if (!mx_id_valid(room->string, '!')) {
			out->n_skipped++;
			continue;
		}
		cJSON_ArrayForEach(j, mx_json_obj(room, "sessions")) {
			out->sessions = mx_grow(out->sessions, out->n, sizeof *out->sessions);
			if (mx_backup_session_parse(room->string, j, &out->sessions[out->n]) == 0)
				out->n++;
			else
				out->n_skipped++;
		}
	}
	mx_json_free(root);
	return 0;
}

void
mx_backup_clear(struct mx_backup *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->sessions[i].room_id);
		free(b->sessions[i].session_id);
		free(b->sessions[i].ephemeral);
		free(b->sessions[i].ciphertext);
		free(b->sessions[i].mac);
	}
	free(b->sessions);
	memset(b, 0, sizeof *b);
}

/* What an attachment's content says about it beyond its name. */
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/msg.h"

/* A whole number above 0 and below 2^31, as sizes of pictures are. */
static int
msg_dimension(const cJSON *info, const char *key, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble >= 2147483648.0 ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return 0;
	*out = (int)v->valuedouble;
	return 1;
}

int
msg_media_dimensions(const char *content, int *w, int *h)
{
	cJSON *j = content != NULL ? cJSON_ParseWithLength(content, strlen(content)) : NULL;
	const cJSON *info = cJSON_GetObjectItemCaseSensitive(j, "info");
	int width, height;
	int ok = cJSON_IsObject(info) && msg_dimension(info, "w", &width) &&
	    msg_dimension(info, "h", &height);

	cJSON_Delete(j);
	if (ok) {
		*w = width;
		*h = height;
	}
	return ok;
}

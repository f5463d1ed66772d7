/* libFuzzer target: text as the user sends it. Whatever bytes come in,
 * msg_text_prepare ends; its body is the text but for shortcodes made
 * emoji (so without any, it is the text itself); every user it mentions
 * is in the text or the names given; and folding for matching (text_fold)
 * gives the same text when done twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natter/emoji.h"
#include "natter/msg.h"
#include "natter/text.h"
#include "natter/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* Whether any shortcode the table knows starts in s. */
static int
has_shortcode(const char *s)
{
	const char *emoji;

	for (; *s != '\0'; s++)
		if (emoji_shortcode_at(s, &emoji) > 0)
			return 1;
	return 0;
}

static void
check_prepare(const char *s, size_t len)
{
	/* The first byte, when there is one, says where a completed name
	 * starts and how long it is. */
	struct msg_mention name = {len > 0 ? (unsigned char)s[0] % (len + 1) : 0,
		len > 1 ? (unsigned char)s[1] % 24 : 0, "@name:x"};
	struct msg_mentions m = {&name, 1, "@replied:x"};
	struct msg_text t;

	msg_text_prepare(s, &m, &t);
	check(t.body != NULL);
	check(has_shortcode(s) || strcmp(t.body, s) == 0);
	check(t.n_user_ids >= 1);
	for (size_t i = 0; i < t.n_user_ids; i++) {
		check(t.user_ids[i][0] == '@');
		check(strstr(s, t.user_ids[i]) != NULL || strcmp(t.user_ids[i], "@name:x") == 0 ||
		    strcmp(t.user_ids[i], "@replied:x") == 0);
		check(msg_user_id_at(t.user_ids[i], 0) == strlen(t.user_ids[i]) ||
		    strcmp(t.user_ids[i], "@name:x") == 0);
	}
	msg_text_clear(&t);
}

static void
check_fold(const char *s, size_t len)
{
	char *once = text_fold(s, len), *twice = text_fold_str(once);

	check(strcmp(once, twice) == 0);
	free(once);
	free(twice);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	check_prepare(s, strlen(s));
	check_fold(s, size);
	free(s);
	return 0;
}

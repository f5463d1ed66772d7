/* natter_fold, the tokenizer of the search indexes (migration 10): FTS5's
 * unicode61 (or the tokenizer named in its first argument, which takes
 * the rest), each word then folded by text_fold, so that the index and
 * the query both hold "soren" for Søren, "aero" for Ærø, "strasse" for
 * Straße. unicode61 alone folds case and some accents but keeps ø, æ, ß
 * and ł. Offsets stay those of the text, so nothing else changes.
 *
 * It is registered on every connection this process opens
 * (sqlite3_auto_extension), the store's and any other: a connection
 * without it cannot read or write the indexes ("no such tokenizer"). */
#include <stdlib.h>
#include <string.h>

#include "natter/text.h"
#include "natter/util.h"
#include "store-private.h"

struct store_fold_tok {
	fts5_tokenizer parent;
	Fts5Tokenizer *inner;
};

struct store_fold_ctx {
	void *ctx;
	int (*token)(void *ctx, int flags, const char *token, int len, int start, int end);
};

static int
store_fold_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts5_api *api = ud;
	struct store_fold_tok *t;
	void *parent_ud = NULL;
	const char *parent = argc > 0 ? argv[0] : "unicode61";
	int rc;

	*out = NULL;
	t = xcalloc(1, sizeof *t);
	if ((rc = api->xFindTokenizer(api, parent, &parent_ud, &t->parent)) == SQLITE_OK)
		rc = t->parent.xCreate(parent_ud, argc > 0 ? argv + 1 : NULL,
		    argc > 0 ? argc - 1 : 0, &t->inner);
	if (rc != SQLITE_OK) {
		free(t);
		return rc;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void
store_fold_delete(Fts5Tokenizer *tok)
{
	struct store_fold_tok *t = (struct store_fold_tok *)tok;

	if (t->inner != NULL)
		t->parent.xDelete(t->inner);
	free(t);
}

static int
store_fold_token(void *arg, int flags, const char *token, int len, int start, int end)
{
	struct store_fold_ctx *c = arg;
	char *folded;
	int i, rc;

	/* The parent has folded ASCII already: most words cost nothing. */
	for (i = 0; i < len && (unsigned char)token[i] < 0x80; i++)
		;
	if (i == len)
		return c->token(c->ctx, flags, token, len, start, end);
	folded = text_fold(token, (size_t)len);
	if (*folded == '\0')
		rc = c->token(c->ctx, flags, token, len, start, end);
	else
		rc = c->token(c->ctx, flags, folded, (int)strlen(folded), start, end);
	free(folded);
	return rc;
}

static int
store_fold_tokenize(Fts5Tokenizer *tok, void *ctx, int flags, const char *text, int len,
    int (*token)(void *, int, const char *, int, int, int))
{
	struct store_fold_tok *t = (struct store_fold_tok *)tok;
	struct store_fold_ctx c = {ctx, token};

	return t->parent.xTokenize(t->inner, &c, flags, text, len, store_fold_token);
}

fts5_api *
store_fts5_api(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(s, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	sqlite3_finalize(s);
	return api;
}

/* Runs as each connection opens. Without FTS5 there is nothing to add
 * to: searching says so later. */
static int
store_fold_register(sqlite3 *db, const char **err, const void *thunk)
{
	static fts5_tokenizer fold = {store_fold_create, store_fold_delete, store_fold_tokenize};
	fts5_api *api = store_fts5_api(db);

	(void)err;
	(void)thunk;
	if (api != NULL)
		api->xCreateTokenizer(api, STORE_FOLD_TOKENIZER, api, &fold, NULL);
	return SQLITE_OK;
}

int
store_tokenizer_init(void)
{
	return sqlite3_auto_extension((void (*)(void))store_fold_register) == SQLITE_OK ? 0 : -1;
}

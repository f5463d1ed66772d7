/* Accent-insensitive matching: text_fold, and search through the index
 * that folds with it (natter_fold), also in a cache made before it. */
#include "cache-builder.h"

#include "natter/search.h"
#include "../../src/store/store-private.h"
#include "natter/text.h"

#define NOW_MS 1710072000000LL

struct fold_case {
	const char *in;
	const char *want;
};

static void
test_fold_letters(void **state)
{
	static const struct fold_case cases[] = {
		{"Søren", "soren"},
		{"SØREN", "soren"},
		{"Ærøskøbing", "aeroskobing"},
		{"Straße", "strasse"},
		{"\u1e9e", "ss"},		/* capital sharp s */
		{"Łódź", "lodz"},
		{"Đorđe", "dorde"},
		{"Þór", "thor"},
		{"ðe", "de"},
		{"Œuvre", "oeuvre"},
		{"İstanbul", "istanbul"},
		{"ı", "i"},
		{"\u01ff", "o"},		/* ǿ: ø with an acute */
		{"café", "cafe"},
		{"cafe\u0301", "cafe"},		/* decomposed */
		{"Ångström", "angstrom"},
		{"naïve", "naive"},
		{"Ελλάδα", "ελλαδα"},
		{"Ёлка", "елка"},
		{"\ufb01le", "file"},		/* the fi ligature */
		{"\uff26\uff55\uff4c\uff4c", "full"},	/* fullwidth */
		{"soft\u00adhyphen", "softhyphen"},
		{"ABC def", "abc def"},
		{"", ""},
	};

	(void)state;
	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *got = text_fold_str(cases[i].in);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("fold [%s]: got [%s], want [%s]", cases[i].in, got, cases[i].want);
		free(got);
	}
}

/* Marks that make another letter, not an accented one, stay. */
static void
test_fold_keeps_other_scripts(void **state)
{
	static const char *same[] = {"が", "パン", "नमस्ते", "한국어", "日本語", "😀", "👍🏽"};

	(void)state;
	for (size_t i = 0; i < NT_NELEMS(same); i++) {
		char *got = text_fold_str(same[i]);

		assert_string_equal(got, same[i]);
		free(got);
	}
}

static void
test_fold_length_and_bad_bytes(void **state)
{
	char *got;

	(void)state;
	got = text_fold("Søren Madsen", 6);
	assert_string_equal(got, "soren");
	free(got);
	got = text_fold_str(NULL);
	assert_string_equal(got, "");
	free(got);
	/* Invalid UTF-8: its ASCII letters still fold, nothing is lost. */
	got = text_fold_str("AB\xff\xfe" "C");
	assert_string_equal(got, "ab\xff\xfe" "c");
	free(got);
}

static char *
search_ids(struct store *st, const char *text)
{
	struct search_opts o = {.limit = 50, .now_ms = NOW_MS};
	struct search_hit *hits;
	struct buf b = {0};
	char *cause = NULL;
	size_t n;

	if (search_run(st, text, &o, &hits, &n, &cause) != 0)
		fail_msg("search [%s]: %s", text, cause);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", hits[i].event_id);
	search_hits_free(&hits, n);
	buf_putc(&b, '\0');
	return buf_steal(&b);
}

#define assert_search(st, text, want)                                                          \
	do {                                                                                   \
		char *got_ = search_ids((st), (text));                                         \
		if (strcmp(got_, (want)) != 0)                                                 \
			fail_msg("search [%s]: got [%s], want [%s]", (text), got_, (want));    \
		free(got_);                                                                    \
	} while (0)

static void
fill_nordic(struct store *st)
{
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!team:x", MX_MEMBERSHIP_JOIN);

	ev_member(ST(ru), SELF, "Sam", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@soren:x", "Søren Madsen", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@dana:x", "Dana", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$s1", "@dana:x", "Søren lands at Kastrup at nine");
	ev_text(TL(ru), "$s2", "@dana:x", "the ferry to Ærøskøbing leaves at noon");
	ev_text(TL(ru), "$s3", "@dana:x", "dinner on the Straße by the station");
	ev_text(TL(ru), "$s4", "@soren:x", "thanks, see you there");
	ev_text(TL(ru), "$s5", "@dana:x", "Sorensen sent the contract");
	apply_ok(st, &s);
}

/* "soren" finds Søren, and the other way round; words typed with or
 * without their letters find the same messages, prefixes too. */
static void
test_search_ignores_accents_and_letters(void **state)
{
	struct fixture *f = *state;

	fill_nordic(f->st);
	assert_search(f->st, "soren lands", "$s1");
	assert_search(f->st, "søren lands", "$s1");
	assert_search(f->st, "SØREN lands", "$s1");
	assert_search(f->st, "aeroskobing", "$s2");
	assert_search(f->st, "ærø*", "$s2");
	assert_search(f->st, "strasse", "$s3");
	assert_search(f->st, "straße", "$s3");
	assert_search(f->st, "\"soren lands\"", "$s1");
	/* A name: from: and a word that names someone. */
	assert_search(f->st, "from:soren", "$s4");
	assert_search(f->st, "from:søren", "$s4");
	assert_fts_in_step(f->path);
}

/* The snippet marks the word as typed in the message, whatever the query
 * left out. */
static void
test_snippet_marks_folded_words(void **state)
{
	struct search_query q;
	char *cause = NULL, *snip;

	(void)state;
	assert_int_equal(search_parse("soren aero", &q, &cause), 0);
	snip = search_snippet(&q, "Søren and Ærø", 80);
	assert_string_equal(snip, SEARCH_MARK_ON "Søren" SEARCH_MARK_OFF " and " SEARCH_MARK_ON
	    "Ærø" SEARCH_MARK_OFF);
	free(snip);
	search_query_clear(&q);
}

/* A cache indexed before natter_fold (schema 9) is indexed again as it
 * is opened: its old messages are found without their letters. */
static void
test_open_refolds_an_older_cache(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;

	store_close(&f->st);
	remove_db(f->path);
	assert_true(store_n_migrations > 9);
	if ((f->st = store_open_steps(f->path, store_migrations, 9, &cause)) == NULL)
		fail_msg("schema 9: %s", cause);
	assert_int_equal(store_meta_set(f->st, "self", SELF, &cause), 0);
	fill_nordic(f->st);
	/* Before: unicode61 keeps ø, so "soren" finds only Sorensen's word
	 * as a prefix, never Søren. */
	assert_search(f->st, "soren lands", "");
	store_close(&f->st);
	if ((f->st = store_open(f->path, &cause)) == NULL)
		fail_msg("upgrade: %s", cause);
	assert_int_equal(store_schema_version(f->st), (int)store_n_migrations);
	assert_search(f->st, "soren lands", "$s1");
	assert_search(f->st, "aeroskobing", "$s2");
	assert_search(f->st, "from:soren", "$s4");
	assert_fts_in_step(f->path);
	/* And what comes after is indexed the same way. */
	struct mx_sync *s = sync_new("s2");
	struct mx_room_update *ru = sync_room(s, "!team:x", MX_MEMBERSHIP_JOIN);

	ev_text(TL(ru), "$s6", "@dana:x", "Bjørn is joining too");
	apply_ok(f->st, &s);
	assert_search(f->st, "bjorn", "$s6");
	assert_fts_in_step(f->path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_letters),
		cmocka_unit_test(test_fold_keeps_other_scripts),
		cmocka_unit_test(test_fold_length_and_bad_bytes),
		cmocka_unit_test_setup_teardown(test_search_ignores_accents_and_letters, setup,
		    teardown),
		cmocka_unit_test(test_snippet_marks_folded_words),
		cmocka_unit_test_setup_teardown(test_open_refolds_an_older_cache, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "natter/naming.h"
#include "natter/util.h"

#define SELF "@me:example.org"

static const struct naming_member alice = {"@alice:example.org", "Alice"};
static const struct naming_member bob = {"@bob:example.org", "Bob"};
static const struct naming_member carol = {"@carol:example.org", "Carol"};
static const struct naming_member dave = {"@dave:example.org", "Dave"};
static const struct naming_member erin = {"@erin:example.org", "Erin"};
static const struct naming_member frank = {"@frank:example.org", "Frank"};
static const struct naming_member me = {SELF, "Me"};

static void
assert_member(const struct naming_member *m, size_t n, size_t idx, const char *want)
{
	char *got = naming_member_name(m, n, idx);

	assert_string_equal(got, want);
	free(got);
}

static void
assert_room(const struct naming_room *room, const char *want)
{
	char *got = naming_room_name(room);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
assert_room_heroes(const struct naming_member *h, size_t n, int64_t joined, int64_t invited,
    const char *want)
{
	struct naming_room room = {
		.self = SELF,
		.heroes = h,
		.n_heroes = n,
		.joined_count = joined,
		.invited_count = invited,
	};

	assert_room(&room, want);
}

static void
test_room_name_wins(void **state)
{
	struct naming_room room = {
		.name = "Project X", .canonical_alias = "#x:example.org", .self = SELF,
		.heroes = &alice, .n_heroes = 1, .joined_count = 2,
	};

	assert_room(&room, "Project X");
	assert_true(naming_room_named(&room));
}

static void
test_room_alias_when_no_name(void **state)
{
	struct naming_room room = {
		.name = "", .canonical_alias = "#x:example.org", .self = SELF,
		.heroes = &alice, .n_heroes = 1, .joined_count = 2,
	};

	assert_room(&room, "#x:example.org");
	room.name = NULL;
	assert_room(&room, "#x:example.org");
	assert_true(naming_room_named(&room));
}

static void
test_room_invisible_name_ignored(void **state)
{
	struct naming_room room = {
		.name = "\u200B \u2060\u3164", .canonical_alias = NULL, .self = SELF,
		.heroes = &alice, .n_heroes = 1, .joined_count = 2,
	};

	assert_room(&room, "Alice");
	assert_false(naming_room_named(&room));
	room.name = NULL;
	assert_false(naming_room_named(&room));
}

static void
test_room_heroes(void **state)
{
	struct naming_member h[] = {alice, bob, carol, dave, erin};

	assert_room_heroes(h, 1, 2, 0, "Alice");
	assert_room_heroes(h, 2, 3, 0, "Alice and Bob");
	assert_room_heroes(h, 2, 2, 1, "Alice and Bob");
	assert_room_heroes(h, 3, 4, 0, "Alice, Bob and Carol");
	assert_room_heroes(h, 5, 6, 0, "Alice, Bob, Carol, Dave and Erin");
}

static void
test_room_heroes_and_others(void **state)
{
	struct naming_member h[] = {alice, bob, carol, dave, erin, frank};

	assert_room_heroes(h, 2, 6, 0, "Alice, Bob and 3 others");
	assert_room_heroes(h, 2, 3, 1, "Alice, Bob and 1 other");
	assert_room_heroes(h, 1, 3, 0, "Alice and 1 other");
	/* More heroes than the spec's five: the rest are counted. */
	assert_room_heroes(h, 6, 7, 0, "Alice, Bob, Carol, Dave, Erin and 1 other");
	assert_room_heroes(h, 5, 1002, 0, "Alice, Bob, Carol, Dave, Erin and 996 others");
}

static void
test_room_self_never_a_hero(void **state)
{
	struct naming_member h[] = {me, alice};

	assert_room_heroes(h, 2, 2, 0, "Alice");
	assert_room_heroes(h, 1, 1, 0, "Empty room");
}

static void
test_room_empty(void **state)
{
	struct naming_member h[] = {alice, bob};

	assert_room_heroes(NULL, 0, 1, 0, "Empty room");
	assert_room_heroes(NULL, 0, 0, 0, "Empty room");
	assert_room_heroes(h, 1, 1, 0, "Empty room (was Alice)");
	assert_room_heroes(h, 2, 1, 0, "Empty room (was Alice and Bob)");
	assert_room_heroes(h, 2, 0, 0, "Empty room (was Alice and Bob)");
}

static void
test_room_no_heroes_but_members(void **state)
{
	assert_room_heroes(NULL, 0, 4, 0, "Unnamed room (4 members)");
}

static void
test_room_bad_counts(void **state)
{
	struct naming_member h[] = {alice, bob};

	assert_room_heroes(h, 2, -5, -7, "Empty room (was Alice and Bob)");
	assert_room_heroes(h, 2, INT64_MAX, INT64_MAX, "Alice, Bob and 2199023255549 others");
}

static void
test_room_hero_names_disambiguated(void **state)
{
	struct naming_member h[] = {
		{"@alice:example.org", "Alice"},
		{"@evil:example.org", "Al\u200Bice"},
		{"@nobody:example.org", NULL},
	};

	assert_room_heroes(h, 3, 4, 0,
	    "Alice (@alice:example.org), Al\u200Bice (@evil:example.org) and "
	    "@nobody:example.org");
}

static void
test_room_hero_without_user_id_skipped(void **state)
{
	struct naming_member h[] = {{NULL, "Ghost"}, {"", "Ghost"}, alice};

	assert_room_heroes(h, 3, 2, 0, "Alice");
}

static void
test_member_plain(void **state)
{
	struct naming_member m[] = {alice, bob};

	assert_member(m, 2, 0, "Alice");
	assert_member(m, 2, 1, "Bob");
}

static void
test_member_no_displayname(void **state)
{
	struct naming_member m[] = {{"@alice:example.org", NULL}, {"@bob:example.org", ""}};

	assert_member(m, 2, 0, "@alice:example.org");
	assert_member(m, 2, 1, "@bob:example.org");
}

static void
test_member_same_name(void **state)
{
	struct naming_member m[] = {alice, {"@alice2:evil.org", "Alice"}, bob};

	assert_member(m, 3, 0, "Alice (@alice:example.org)");
	assert_member(m, 3, 1, "Alice (@alice2:evil.org)");
	assert_member(m, 3, 2, "Bob");
}

static void
test_member_lookalikes(void **state)
{
	static const char *const fakes[] = {
		"Al\u200Bice",		/* zero-width space */
		"Al\u200Dice",		/* zero-width joiner */
		"A\u2060lice\u2060",	/* word joiner */
		"\u202EAlice",		/* bidi override */
		"ALICE",
		"alice",
		"\uFF21\uFF4C\uFF49\uFF43\uFF45",	/* fullwidth */
		"\u0410lice",		/* Cyrillic A */
		"Al\u0456ce",		/* Cyrillic i */
		"  Alice ",
		"Alice\u00A0",
		"\U0001D400lice",	/* mathematical bold A */
	};

	for (size_t i = 0; i < NT_NELEMS(fakes); i++) {
		struct naming_member m[] = {alice, {"@mallory:evil.org", fakes[i]}};
		char *want = xasprintf("%s (@mallory:evil.org)", fakes[i]);

		assert_member(m, 2, 0, "Alice (@alice:example.org)");
		assert_member(m, 2, 1, want);
		free(want);
	}
}

static void
test_member_similar_but_distinct(void **state)
{
	struct naming_member m[] = {alice, {"@al:example.org", "Alic"}, {"@b:example.org", "Al ice"},
	    {"@c:example.org", "Alicé"}};

	assert_member(m, 4, 0, "Alice");
	assert_member(m, 4, 1, "Alic");
	assert_member(m, 4, 2, "Al ice");
	assert_member(m, 4, 3, "Alicé");
}

static void
test_member_whitespace_and_controls(void **state)
{
	struct naming_member m[] = {{"@a:x.org", "Bob Smith"}, {"@b:x.org", " bob \t SMITH\x01 "},
	    {"@c:x.org", "Bob\u3000Smith\u200B"}, {"@d:x.org", "BobSmith"}};

	assert_member(m, 4, 0, "Bob Smith (@a:x.org)");
	assert_member(m, 4, 1, " bob \t SMITH\x01  (@b:x.org)");
	assert_member(m, 4, 2, "Bob\u3000Smith\u200B (@c:x.org)");
	assert_member(m, 4, 3, "BobSmith");
}

static void
test_member_composed_vs_decomposed(void **state)
{
	struct naming_member m[] = {{"@a:x.org", "Ren\u00E9e"}, {"@b:x.org", "Rene\u0301e"}};

	assert_member(m, 2, 0, "Ren\u00E9e (@a:x.org)");
	assert_member(m, 2, 1, "Rene\u0301e (@b:x.org)");
}

static void
test_member_looks_like_user_id(void **state)
{
	struct naming_member m[] = {
		{"@mallory:evil.org", "@alice:example.org"},
		{"@eve:evil.org", "\uFF20admin:example.org"},
		{"@trudy:evil.org", "Alice (@alice:example.org)"},
		{"@ok:example.org", "@home"},
	};

	assert_member(m, 4, 0, "@alice:example.org (@mallory:evil.org)");
	assert_member(m, 4, 1, "\uFF20admin:example.org (@eve:evil.org)");
	assert_member(m, 4, 2, "Alice (@alice:example.org) (@trudy:evil.org)");
	assert_member(m, 4, 3, "@home");
}

static void
test_member_invisible_name(void **state)
{
	struct naming_member m[] = {
		{"@a:x.org", "\u200B"},
		{"@b:x.org", "   "},
		{"@c:x.org", "\u2800\u3164\u200D"},
		{"@d:x.org", "\u202E\u2066"},
		{"@e:x.org", "\t\n"},
	};

	for (size_t i = 0; i < NT_NELEMS(m); i++)
		assert_member(m, NT_NELEMS(m), i, m[i].user_id);
}

static void
test_member_same_user_twice(void **state)
{
	struct naming_member m[] = {alice, alice};

	assert_member(m, 2, 0, "Alice");
}

static void
test_member_invalid_utf8(void **state)
{
	struct naming_member m[] = {{"@a:x.org", "Bob\xff"}, {"@b:x.org", "Bob\xfe"}, bob};

	assert_member(m, 3, 0, "Bob\xff (@a:x.org)");
	assert_member(m, 3, 2, "Bob");
}

static void
test_member_bad_index(void **state)
{
	char *name = naming_member_name(NULL, 0, 0);

	assert_non_null(name);
	free(name);
}

/* The member list of a large room, named member by member as it is drawn:
 * every clash found, and only those. (How fast is the redraw benchmark's
 * to say, not a test's.) */
static void
test_member_many(void **state)
{
	enum { N = 2000 };
	struct naming_member *m = xcalloc(N, sizeof *m);
	char **ids = xcalloc(N, sizeof *ids), **names = xcalloc(N, sizeof *names);
	size_t clashes = 0;

	for (size_t i = 0; i < N; i++) {
		ids[i] = xasprintf("@user%zu:example.org", i);
		names[i] = i % 3 ? xasprintf("User %zu", i % 1000) : xasprintf("Zoë %zu", i);
		m[i].user_id = ids[i];
		m[i].displayname = names[i];
	}
	for (size_t i = 0; i < N; i++) {
		char *name = naming_member_name(m, N, i);

		clashes += strchr(name, '(') != NULL;
		free(name);
	}
	/* "User k" is shown by members k and k + 1000 when neither is a
	 * multiple of 3, that is for the 333 k = 1 (mod 3) below 1000. */
	assert_int_equal(clashes, 666);
	for (size_t i = 0; i < N; i++) {
		free(ids[i]);
		free(names[i]);
	}
	free(ids);
	free(names);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room_name_wins),
		cmocka_unit_test(test_room_alias_when_no_name),
		cmocka_unit_test(test_room_invisible_name_ignored),
		cmocka_unit_test(test_room_heroes),
		cmocka_unit_test(test_room_heroes_and_others),
		cmocka_unit_test(test_room_self_never_a_hero),
		cmocka_unit_test(test_room_empty),
		cmocka_unit_test(test_room_no_heroes_but_members),
		cmocka_unit_test(test_room_bad_counts),
		cmocka_unit_test(test_room_hero_names_disambiguated),
		cmocka_unit_test(test_room_hero_without_user_id_skipped),
		cmocka_unit_test(test_member_plain),
		cmocka_unit_test(test_member_no_displayname),
		cmocka_unit_test(test_member_same_name),
		cmocka_unit_test(test_member_lookalikes),
		cmocka_unit_test(test_member_similar_but_distinct),
		cmocka_unit_test(test_member_whitespace_and_controls),
		cmocka_unit_test(test_member_composed_vs_decomposed),
		cmocka_unit_test(test_member_looks_like_user_id),
		cmocka_unit_test(test_member_invisible_name),
		cmocka_unit_test(test_member_same_user_twice),
		cmocka_unit_test(test_member_invalid_utf8),
		cmocka_unit_test(test_member_bad_index),
		cmocka_unit_test(test_member_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

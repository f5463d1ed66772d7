/* naming: the display rules of the Matrix spec for room names and
 * member display names. Pure functions over plain data. */
#ifndef NATTER_NAMING_H
#define NATTER_NAMING_H

#include <stddef.h>
#include <stdint.h>

struct naming_member {
	const char *user_id;
	const char *displayname;	/* NULL when unset */
};

struct naming_room {
	const char *name;		/* m.room.name, NULL or "" when unset */
	const char *canonical_alias;	/* NULL when unset */
	const char *self;		/* our own user id, never a hero */
	const struct naming_member *heroes;	/* summary heroes, or the first
						 * members other than self */
	size_t n_heroes;
	int64_t joined_count;		/* including self */
	int64_t invited_count;
};

/* The room name as the spec computes it (m.room.name, canonical alias,
 * then heroes: "Alice", "Alice and Bob", "Alice, Bob and 3 others",
 * "Empty room", "Empty room (was Alice)"). Always a new string. */
char *naming_room_name(const struct naming_room *room);
/* 1 when m.room.name or the canonical alias is the room's name, so that
 * naming_room_name needs no heroes. */
int naming_room_named(const struct naming_room *room);

/* The name to show for member idx of members: the display name, or the
 * user id when unset; "Name (@user:id)" when another member shows the
 * same or a confusably similar name, or the name looks like a user id.
 * Always a new string. */
char *naming_member_name(const struct naming_member *members, size_t n, size_t idx);

#endif

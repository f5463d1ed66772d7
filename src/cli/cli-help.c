/* What natter CMD --help says: each command in full, as natter(1) says it
 * more briefly. Sorted by name for bsearch. */
#include <stdlib.h>
#include <string.h>

#include "cli-private.h"

/* What every command that names a room takes. */
#define CLI_HELP_ROOM                                                                          \
	"ROOM is a room id (!abc:server), an alias (#team:server), a user id\n"               \
	"(@name:server: your direct chat with them) or a room's name, matched whole or,\n"    \
	"if only one room starts so, by its start; case does not count.\n"

/* EVENT, as history --ids shows it. */
#define CLI_HELP_EVENT                                                                         \
	"EVENT is an event id ($...) from the cache, as `natter history ROOM --ids`\n"        \
	"shows it; quote it from the shell.\n"

/* TEXT, for the commands that send it. */
#define CLI_HELP_TEXT                                                                          \
	"TEXT is the words that follow, joined with spaces; without any it is read\n"         \
	"from standard input. It is sent as Markdown. Put -- before text that starts\n"       \
	"with -.\n"

struct cli_help {
	const char *name;
	const char *text;
};

static const struct cli_help cli_help[] = {
	{"broadcast",
	    "Sends one message to each ROOM of the comma-separated list, in order, and\n"
	    "reports each as `natter send` does. A user id gets the direct chat with that\n"
	    "user, created (encrypted) if there is none; @list:NAME stands for the rooms\n"
	    "and people of the list NAME in the config's [lists] (natter.conf(5)). A target\n"
	    "that fails does not stop the others, and natter then says how many did not get\n"
	    "the message and exits 1; but an unknown list, or a room or person of a list\n"
	    "that cannot be found, stops the broadcast before anything is sent. The\n"
	    "broadcast is kept in the cache, and its number printed last.\n"
	    "\n"
	    "  --to ROOM[,ROOM...]  where it goes\n"
	    "  --emote              send it as an action, like /me\n"
	    "  --list               the broadcasts sent so far, newest first: number, time,\n"
	    "                       how many targets the server took it for, text\n"
	    "  --report ID          syncs, then says for each person broadcast ID went to\n"
	    "                       (in a direct chat the other person; in a group room\n"
	    "                       each member but you, as the homeserver lists them\n"
	    "                       now, with the room): whether\n"
	    "                       it was sent (time and event id, or why not, or that it\n"
	    "                       waits in the outbox), read (by their read receipt on it\n"
	    "                       or on a later message of that room, with its time) and\n"
	    "                       replied (their first message after it there, with its\n"
	    "                       time and its start)\n"
	    "  --json               with --list or --report: one JSON object a line\n"
	    "\n" CLI_HELP_TEXT CLI_HELP_ROOM},
	{"crypto",
	    "setup: sets up recovery for an account that has none, as Element's \"Set up\n"
	    "recovery\" does: the account's cross-signing keys, made and published; a\n"
	    "secret storage under a new recovery key, holding them and the key of a new\n"
	    "key backup; and this device signed. The recovery key is printed once and kept\n"
	    "nowhere: write it down. An account with cross-signing already is refused\n"
	    "(use `natter recover`).\n"
	    "\n"
	    "  --password-stdin  the account's password (if the homeserver asks for it)\n"
	    "                    from the first line of stdin; else asked without echo\n"},
	{"devices",
	    "Asks the homeserver for the devices of @user:server (your own without it),\n"
	    "keeps their keys, and lists each with its name, its trust (verified, signed\n"
	    "by its owner, unverified or blocked; yours is \"this one\") and its Ed25519\n"
	    "fingerprint, to compare with what the device itself shows before\n"
	    "`natter trust`.\n"
	    "\n"
	    "  --json  one JSON object a line\n"},
	{"dm",
	    "Prints the direct chat with @user:server as \"existing ROOM-ID\", or creates\n"
	    "it and prints \"created ROOM-ID\". A chat is found by your account's m.direct,\n"
	    "else as a room of just the two of you; an invitation to one is accepted, not\n"
	    "answered with a second chat. A new one is a private room created with\n"
	    "is_direct that invites the user, end-to-end encrypted from its first event\n"
	    "([crypto] encrypt_dms = off in the config turns that off), and listed in\n"
	    "m.direct as other clients do.\n"},
	{"download",
	    "Saves the attachment of EVENT and prints \"saved PATH\". Without --output it\n"
	    "goes into the profile's media directory under a name made from the\n"
	    "attachment's, never replacing a file.\n"
	    "\n"
	    "  --output PATH  write it to PATH (mode 0600), replacing what is there\n"
	    "\n" CLI_HELP_ROOM CLI_HELP_EVENT},
	{"edit",
	    "Replaces the text of EVENT, a message you sent, keeping its kind of message.\n"
	    "\n" CLI_HELP_TEXT CLI_HELP_ROOM CLI_HELP_EVENT},
	{"export",
	    "Exports a conversation from the cache as one e-mail (plain text and HTML)\n"
	    "and sends it, or writes it to a file. It is the whole of ROOM, or:\n"
	    "\n"
	    "  --since DATE, --until DATE  from the start of one day to the end of the\n"
	    "                              other (YYYY-MM-DD or YYYY-MM-DD HH:MM, local)\n"
	    "  --first EVENT --last EVENT  from one message to the other, both included\n"
	    "  --query Q                   what a search for Q finds (see natter search\n"
	    "                              --help); without ROOM, in every room, a heading\n"
	    "                              for each room\n"
	    "  --attachments               attach the files (needs a login), up to\n"
	    "                              [mail] attachment_cap in all\n"
	    "\n"
	    "Where it goes:\n"
	    "  --to ADDR[,ADDR...]  mail it through [mail] smtp_url (or sendmail)\n"
	    "  --cc ADDR[,ADDR...]  copies\n"
	    "  --from ADDR          the sender, instead of [mail] from\n"
	    "  --subject S          instead of \"Conversation: ROOM, DAYS\"\n"
	    "  --sendmail           hand it to sendmail -t -i\n"
	    "  --eml FILE           write it to FILE (--force replaces a file there)\n"
	    "  --mbox FILE          append it to the mailbox FILE\n"
	    "\n"
	    "An address is local@domain or \"Name <local@domain>\". A mail that cannot be\n"
	    "sent is kept in the profile's unsent directory, and natter exits 1.\n"
	    "\n" CLI_HELP_ROOM},
	{"history",
	    "Prints the newest messages of ROOM, oldest first, with edits applied,\n"
	    "reactions, replies and attachments. When logged in, history missing from\n"
	    "the cache is paged in from the homeserver first; without it, what the cache\n"
	    "holds is shown. A thread's replies show under their root as a count and the\n"
	    "latest reply (\"[thread: 2 replies, last ...]\"); a reply whose root is not\n"
	    "cached shows in its place, marked \"[in thread EVENT]\".\n"
	    "\n"
	    "  --limit N        how many (20; at most 100000)\n"
	    "  --before EVENT   the messages before EVENT\n"
	    "  --thread EVENT   the thread EVENT starts (or is in): the last N of its\n"
	    "                   root and replies, oldest first\n"
	    "  --ids            each message's event id too\n"
	    "  --json           one JSON object a line\n"
	    "\n" CLI_HELP_ROOM CLI_HELP_EVENT},
	{"invite",
	    "Invites @user:server to ROOM.\n"
	    "\n" CLI_HELP_ROOM},
	{"join",
	    "Joins ROOM: an id or alias is passed to the homeserver as it is, anything\n"
	    "else is looked up in the cache, so an invitation is accepted by its name.\n"
	    "An invitation to a direct chat is listed in your m.direct once joined.\n"
	    "\n" CLI_HELP_ROOM},
	{"keys",
	    "Moves room keys between devices and clients, in the file format Element\n"
	    "uses for \"Export E2E room keys\", so that history read on one can be read on\n"
	    "another. export writes every room key natter holds to FILE (mode 0600);\n"
	    "import reads such a file (Element's, or another natter's), keeps its keys\n"
	    "and decrypts the messages in the cache that waited for them. A key that\n"
	    "conflicts with natter's copy, or cannot be read, is refused (exit 1), and\n"
	    "never replaces a key natter has. A wrong passphrase and a changed file are\n"
	    "the same error.\n"
	    "\n"
	    "  --passphrase-stdin  read the passphrase from the first line of stdin;\n"
	    "                      else it is asked for without echo (twice to export)\n"
	    "  --force             export over a file that exists\n"},
	{"leave",
	    "Leaves ROOM.\n"
	    "\n" CLI_HELP_ROOM},
	{"login",
	    "Logs in and saves the profile's session. Without --homeserver, the\n"
	    "homeserver is found from the part of @me:server after the colon (its\n"
	    ".well-known/matrix/client). The password is asked for without echo.\n"
	    "\n"
	    "  --homeserver URL     the homeserver, as https://matrix.example.org\n"
	    "  --user @me:server    who you are\n"
	    "  --password-stdin     read the password from the first line of stdin\n"
	    "  --login-token-stdin  log in with a token (single sign-on) from stdin\n"
	    "\n"
	    "A profile's cache belongs to the first account that logged in with it: use\n"
	    "-p PROFILE for another account.\n"},
	{"logout",
	    "Logs the session out on the homeserver and deletes the session file and\n"
	    "the encryption keys. The cache is kept.\n"},
	{"outbox",
	    "Lists the messages that have not gone, oldest first: when each was\n"
	    "written, its state (queued: it will be tried again; failed: the homeserver\n"
	    "refused it), its room, its sender and text, the attempts made and the last\n"
	    "error. Queued messages go with the next `natter sync` or `natter send`.\n"
	    "\n"
	    "  --json  one JSON object a line\n"},
	{"react",
	    "Reacts to EVENT with KEY, usually an emoji.\n"
	    "\n" CLI_HELP_ROOM CLI_HELP_EVENT},
	{"read",
	    "Marks ROOM read up to its newest message in the cache: a read receipt,\n"
	    "which others see, and the fully-read marker.\n"
	    "\n" CLI_HELP_ROOM},
	{"recover",
	    "Opens the account's secret storage with the recovery key Element gave you\n"
	    "(or its passphrase), keeps the cross-signing keys and signs this device with\n"
	    "them, so that other clients trust it, restores the room keys of the key backup\n"
	    "(with progress on stderr), decrypts what waited for them, and fetches older\n"
	    "history. From then on natter backs up its own new room keys.\n"
	    "\n"
	    "  --key-stdin    the recovery key or passphrase from the first line of stdin;\n"
	    "                 else asked without echo\n"
	    "  --no-backfill  do not fetch older history\n"},
	{"redact",
	    "Deletes EVENT, at once: deletions do not go through the outbox.\n"
	    "\n" CLI_HELP_ROOM CLI_HELP_EVENT},
	{"remind",
	    "Reminds you of EVENT in ROOM at WHEN, with NOTE (the words after WHEN) if\n"
	    "given. Reminders are kept in your account's data (org.natter.reminders), so\n"
	    "every natter of the account has them: the interface raises a notification\n"
	    "when one falls due and lists it under Reminders until it is done or snoozed.\n"
	    "Prints the reminder's id. Without the homeserver the reminder is kept here and\n"
	    "goes to the account with the next sync (said on stderr, exit status 1).\n"
	    "\n"
	    "WHEN is a local time: 08:00 (today, or tomorrow when past), tomorrow 8:00,\n"
	    "2026-12-04 08:00, or a span from now: +2h, +30m, +1h30m, +45s, +1d.\n"
	    "\n"
	    "  --done ID         the reminder is done (ID or the start of it)\n"
	    "  --snooze ID WHEN  it falls due again at WHEN\n"
	    "\n" CLI_HELP_ROOM CLI_HELP_EVENT},
	{"reminders",
	    "Lists the account's reminders not done yet, the soonest first: id, when it is\n"
	    "due ((due) once it is), room, note and the message. Read from the account,\n"
	    "or from the cache when the homeserver cannot be reached.\n"
	    "\n"
	    "  --json  one JSON object a line\n"},
	{"rooms",
	    "Lists the rooms in the cache, joined, invited and left, the most recently\n"
	    "active first: unread messages (! when some mention you), the time of the\n"
	    "last activity, DM (a direct chat, an invitation to one too), invite or\n"
	    "left, or space, the name and the room id.\n"
	    "\n"
	    "  --space SPACE  only the rooms of SPACE (its name, alias or id), one of\n"
	    "                 the spaces you are in: those it lists and those that name\n"
	    "                 it as their space\n"
	    "  --json         one JSON object a line\n"},
	{"scheduled",
	    "Lists the messages scheduled with `natter send --at` (or /later), soonest\n"
	    "first: the number, when it goes (local time), where it waits (server: the\n"
	    "homeserver holds it and sends it itself; here: in this profile's outbox, sent\n"
	    "by a natter that runs then, the interface or `natter sync`), the room, the\n"
	    "text.\n"
	    "\n"
	    "  --json       one JSON object a line\n"
	    "  --cancel ID  cancel scheduled message ID (on the homeserver too)\n"
	    "  --edit ID    change it: --at WHEN for a new time, TEXT for a new text;\n"
	    "               one the homeserver holds is cancelled there and scheduled anew\n"
	    "  --at WHEN    as for natter send\n"
	    "\n"
	    "A message that has gone, or is going, can no longer be changed.\n"},
	{"search",
	    "Searches every message in the cache, offline, and prints the best matches:\n"
	    "time, room and sender, then the message around its first match. Words that\n"
	    "follow each other form one query; anything that is not an option below is\n"
	    "part of it (put -- before a query that is itself an option).\n"
	    "\n"
	    "  --room ROOM  search ROOM only\n"
	    "  --limit N    how many (20; at most 1000)\n"
	    "  --server     ask the homeserver's search too (needs a login), for messages\n"
	    "               the cache does not hold; they are marked (server)\n"
	    "  --json       one JSON object a line\n"
	    "\n"
	    "The query:\n"
	    "  word              holds the word (case and accents aside), in its text or\n"
	    "                    file name, or its sender's name holds it; the last word\n"
	    "                    also matches as a prefix (budg), as does any word*\n"
	    "  \"exact phrase\"    the words in this order\n"
	    "  -word, -\"phrase\"  without it\n"
	    "  from:WHO          sent by @user:server or by someone so named\n"
	    "                    (from:Dana, from:\"Dana Whitfield\")\n"
	    "  in:ROOM           in a room, named as for any command\n"
	    "  before:DAY, after:DAY, on:DAY\n"
	    "                    sent before the day began, after it ended, or during\n"
	    "                    it; DAY is YYYY-MM-DD, today or yesterday\n"
	    "  has:file, has:link\n"
	    "                    attachments; messages with an http(s) link\n"
	    "  is:dm             in direct chats\n"
	    "\n"
	    "Several from: or in: accept any of them; has: and is: may be negated\n"
	    "(-has:link). AND, OR, NOT, NEAR and quotes inside words are plain text.\n"
	    "Matches rank by relevance with recency; filters alone list the newest\n"
	    "first.\n"
	    "\n"
	    "  natter search budget from:Dana after:2026-11-01 -draft\n"
	    "  natter search \"board pack\" in:\"Board Meeting Prep\" has:file\n"},
	{"send",
	    "Sends TEXT to ROOM, or with --file an attachment, and prints \"sent ROOM-ID\n"
	    "EVENT-ID\" once the homeserver has it. A user id as ROOM gets the direct\n"
	    "chat with that user, created if there is none (see natter dm --help). A\n"
	    "message that cannot go now waits in the outbox (\"queued\", exit 1) and goes\n"
	    "with the next `natter sync` or `natter send`.\n"
	    "\n"
	    "  --at WHEN        send it later, at WHEN in the local time zone: 08:00 (today,\n"
	    "                   or tomorrow once past), \"tomorrow 8:00\", \"2026-12-04 08:00\",\n"
	    "                   +2h, +30m, +1h30m; it prints where it waits: on the\n"
	    "                   homeserver (MSC4140 delayed events) or here, in the outbox,\n"
	    "                   for a running natter to send (natter scheduled lists them)\n"
	    "  --emote          send it as an action, like /me\n"
	    "  --reply EVENT    send it as a reply to EVENT\n"
	    "  --thread EVENT   send it to the thread EVENT starts (or is in)\n"
	    "  --file PATH      upload the file at PATH and send it as an image, video,\n"
	    "                   sound or file, by its name's extension\n"
	    "\n" CLI_HELP_TEXT CLI_HELP_ROOM CLI_HELP_EVENT},
	{"sync",
	    "Brings what is new on the homeserver into the cache, then sends what waits\n"
	    "in the outbox; round after round until interrupted (Ctrl-C), each waiting\n"
	    "up to 30 s for news. A homeserver that fails is tried again after a pause.\n"
	    "\n"
	    "  --once          one round, then exit\n"
	    "  --timeout MS    how long a round waits for news (--once: 0)\n"
	    "  --backfill      after a round, page the whole history of ROOM (or of\n"
	    "                  every joined room) into the cache, for history and\n"
	    "                  search offline; interrupted, it goes on next time\n"
	    "\n" CLI_HELP_ROOM},
	{"trust",
	    "Verifies DEVICE of @user:server: FINGERPRINT is its Ed25519 key as the\n"
	    "device itself shows it (spaces do not count; `natter devices @user:server`\n"
	    "shows the same), and it must be the key natter knows. A verified device's\n"
	    "messages lose their [unverified device] mark, and your own verified\n"
	    "devices get the room keys they ask for.\n"
	    "\n"
	    "  --block            the device gets no room key; its messages are marked\n"
	    "                     blocked\n"
	    "  --reset            unverified again\n"
	    "  --accept-identity  take @user's changed master key as theirs (after\n"
	    "                     checking with them): `natter devices` warned of it\n"},
	{"verify",
	    "Verifies a device interactively with emoji (or numbers) that both users\n"
	    "compare, as Element's \"Verify\" does. The first form asks DEVICE of\n"
	    "@user:server (every device of theirs without it); --wait answers the next\n"
	    "request from another device (of @user:server only, when given). Answer y or n\n"
	    "on stdin when asked whether they match. With the account's cross-signing keys\n"
	    "(`natter recover`), what was verified is signed for every client to trust.\n"
	    "Cancelled when interrupted or unanswered for ten minutes.\n"
	    "\n"
	    "  --wait  wait for a request instead of sending one\n"},
	{"waiting",
	    "Lists your messages that wait for an answer: those that ask something (a\n"
	    "sentence ending with a question mark) or that you flagged, sent more than\n"
	    "[followup] wait ago (natter.conf(5); a day by default), that someone asked\n"
	    "has neither answered since nor read. Those asked: the other person of a direct\n"
	    "chat; in a group room, those the message mentions (a flagged one that\n"
	    "mentions nobody: everyone in the room). Synced first. Flags are kept in the\n"
	    "account's data, as reminders are.\n"
	    "\n"
	    "  --json            one JSON object a line\n"
	    "  --flag ROOM EVENT    list EVENT (yours) until it is answered or read\n"
	    "  --unflag ROOM EVENT  take its flag off\n"
	    "\n" CLI_HELP_ROOM CLI_HELP_EVENT},
	{"whoami",
	    "Asks the homeserver whose the session is and prints the user id, the device\n"
	    "and the homeserver.\n"},
};

static int
cli_help_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cli_help *)elem)->name);
}

const char *
cli_help_text(const char *name)
{
	const struct cli_help *h = bsearch(name, cli_help, NT_NELEMS(cli_help), sizeof cli_help[0],
	    cli_help_cmp);

	return h != NULL ? h->text : "See natter(1).\n";
}

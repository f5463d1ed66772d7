/* What the generators of encrypted benchmark data share (bench_e2ee_gen,
 * bench_backup_gen): messages made m.room.encrypted events of one
 * device, with natter's own crypto module. */
#ifndef NATTER_BENCH_GEN_H
#define NATTER_BENCH_GEN_H

#include <cjson/cJSON.h>

#include "natter/crypto.h"

#define GEN_DEVICE "BENCHDEV"
#define GEN_MEGOLM "m.megolm.v1.aes-sha2"
#define GEN_OLM "m.olm.v1.curve25519-aes-sha2"

/* Says "PROG: " and fmt (with what) on stderr; returns 1, for exit. */
int gen_fail(const char *prog, const char *fmt, const char *what);
/* j as compact JSON (aborts when out of memory). */
char *gen_print_json(const cJSON *j);
/* The m.room.encrypted event that carries the message ev (sender,
 * event_id, origin_server_ts and content kept) of room_id, encrypted with
 * out by the device whose identity key is curve25519. */
cJSON *gen_encrypt_event(const char *curve25519, const char *room_id,
    struct crypto_megolm_out *out, const cJSON *ev);
/* The device GEN_DEVICE of sender (identity keys acct's) as /keys/query
 * answers it, signed by itself. */
cJSON *gen_device_answer(const struct crypto_account *acct, const char *sender);

#endif

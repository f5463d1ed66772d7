/* What the generators of encrypted benchmark data share: see bench_gen.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "bench_gen.h"

int
gen_fail(const char *prog, const char *fmt, const char *what)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	return 1;
}

char *
gen_print_json(const cJSON *j)
{
	char *text = cJSON_PrintUnformatted(j);

	if (text == NULL)
		abort();
	return text;
}

cJSON *
gen_encrypt_event(const char *curve25519, const char *room_id, struct crypto_megolm_out *out,
    const cJSON *ev)
{
	static const char *kept[] = {"sender", "event_id", "origin_server_ts"};
	cJSON *plain = cJSON_CreateObject(), *enc = cJSON_CreateObject(), *content;
	char *text, *ct;

	cJSON_AddStringToObject(plain, "type", "m.room.message");
	cJSON_AddStringToObject(plain, "room_id", room_id);
	cJSON_AddItemToObject(plain, "content",
	    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ev, "content"), 1));
	text = gen_print_json(plain);
	ct = crypto_megolm_encrypt(out, (const uint8_t *)text, strlen(text));
	cJSON_AddStringToObject(enc, "type", "m.room.encrypted");
	for (size_t i = 0; i < NT_NELEMS(kept); i++)
		cJSON_AddItemToObject(enc, kept[i],
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ev, kept[i]), 1));
	content = cJSON_AddObjectToObject(enc, "content");
	cJSON_AddStringToObject(content, "algorithm", GEN_MEGOLM);
	cJSON_AddStringToObject(content, "sender_key", curve25519);
	cJSON_AddStringToObject(content, "session_id", crypto_megolm_out_id(out));
	cJSON_AddStringToObject(content, "device_id", GEN_DEVICE);
	cJSON_AddStringToObject(content, "ciphertext", ct);
	free(ct);
	cJSON_free(text);
	cJSON_Delete(plain);
	return enc;
}

cJSON *
gen_device_answer(const struct crypto_account *acct, const char *sender)
{
	cJSON *answer = cJSON_CreateObject(), *dev = cJSON_CreateObject(), *alg, *keys, *sigs;
	char *ck = xasprintf("curve25519:%s", GEN_DEVICE);
	char *ek = xasprintf("ed25519:%s", GEN_DEVICE), *text, *canon, *sig;

	cJSON_AddStringToObject(dev, "user_id", sender);
	cJSON_AddStringToObject(dev, "device_id", GEN_DEVICE);
	alg = cJSON_AddArrayToObject(dev, "algorithms");
	cJSON_AddItemToArray(alg, cJSON_CreateString(GEN_OLM));
	cJSON_AddItemToArray(alg, cJSON_CreateString(GEN_MEGOLM));
	keys = cJSON_AddObjectToObject(dev, "keys");
	cJSON_AddStringToObject(keys, ck, crypto_account_curve25519(acct));
	cJSON_AddStringToObject(keys, ek, crypto_account_ed25519(acct));
	text = gen_print_json(dev);
	canon = crypto_signable_json(text, strlen(text), NULL);
	sig = crypto_account_sign(acct, (const uint8_t *)canon, strlen(canon));
	sigs = cJSON_AddObjectToObject(cJSON_AddObjectToObject(dev, "signatures"), sender);
	cJSON_AddStringToObject(sigs, ek, sig);
	cJSON_AddItemToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(answer,
	    "device_keys"), sender), GEN_DEVICE, dev);
	cJSON_free(text);
	free(sig);
	free(canon);
	free(ck);
	free(ek);
	return answer;
}

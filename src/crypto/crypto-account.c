/* The device's account: Curve25519 and Ed25519 identity keys, up to
 * CRYPTO_OTK_MAX one-time keys, and the current and previous fallback
 * keys. Key ids are a counter, written as the base64 of its four
 * big-endian bytes. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

struct crypto_acct_otk {
	uint32_t id;
	int published;
	struct crypto_x25519 key;
};

struct crypto_account {
	struct crypto_x25519 identity;
	struct crypto_ed25519 signing;
	char curve25519[CRYPTO_B64_MAX(CRYPTO_KEY_LEN)];
	char ed25519[CRYPTO_B64_MAX(CRYPTO_KEY_LEN)];
	struct crypto_acct_otk otks[CRYPTO_OTK_MAX];
	size_t n_otks;
	uint32_t next_id;
	struct crypto_acct_otk fallback[2];	/* the current one, then the previous */
	size_t n_fallback;
};

static struct crypto_account *
crypto_account_alloc(void)
{
	return xcalloc(1, sizeof(struct crypto_account));
}

static void
crypto_account_names(struct crypto_account *a)
{
	crypto_b64_put(a->curve25519, a->identity.pub, CRYPTO_KEY_LEN, 0);
	crypto_b64_put(a->ed25519, a->signing.pub, CRYPTO_KEY_LEN, 0);
}

struct crypto_account *
crypto_account_new(void)
{
	struct crypto_account *a = crypto_account_alloc();

	crypto_x25519_generate(&a->identity);
	crypto_ed25519_generate(&a->signing);
	crypto_account_names(a);
	a->next_id = 1;
	return a;
}

void
crypto_account_free(struct crypto_account **acct)
{
	if (*acct == NULL)
		return;
	crypto_ed25519_clear(&(*acct)->signing);
	OPENSSL_cleanse(*acct, sizeof **acct);
	xfree(acct);
}

const char *
crypto_account_curve25519(const struct crypto_account *acct)
{
	return acct->curve25519;
}

const char *
crypto_account_ed25519(const struct crypto_account *acct)
{
	return acct->ed25519;
}

char *
crypto_account_sign(const struct crypto_account *acct, const uint8_t *msg, size_t len)
{
	uint8_t sig[CRYPTO_SIG_LEN];

	crypto_ed25519_sign(&acct->signing, msg, len, sig);
	return crypto_b64_encode(sig, sizeof sig);
}

void
crypto_otks_free(struct crypto_otk **otks, size_t n)
{
	if (*otks == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*otks)[i].id);
		free((*otks)[i].key);
	}
	xfree(otks);
}

static void
crypto_acct_otk_make(struct crypto_account *a, struct crypto_acct_otk *k)
{
	k->id = a->next_id++;
	k->published = 0;
	crypto_x25519_generate(&k->key);
}

void
crypto_account_generate_otks(struct crypto_account *acct, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (acct->n_otks == CRYPTO_OTK_MAX) {
			memmove(acct->otks, acct->otks + 1,
			    (CRYPTO_OTK_MAX - 1) * sizeof acct->otks[0]);
			acct->n_otks--;
		}
		crypto_acct_otk_make(acct, &acct->otks[acct->n_otks++]);
	}
}

static void
crypto_otk_fill(const struct crypto_acct_otk *k, struct crypto_otk *out)
{
	uint8_t id[4] = {(uint8_t)(k->id >> 24), (uint8_t)(k->id >> 16), (uint8_t)(k->id >> 8),
	    (uint8_t)k->id};

	out->id = crypto_b64_encode(id, sizeof id);
	out->key = crypto_b64_encode(k->key.pub, CRYPTO_KEY_LEN);
}

size_t
crypto_account_unpublished_otks(const struct crypto_account *acct, struct crypto_otk **otks)
{
	size_t n = 0;

	*otks = xcalloc(CRYPTO_OTK_MAX, sizeof **otks);
	for (size_t i = 0; i < acct->n_otks; i++)
		if (!acct->otks[i].published)
			crypto_otk_fill(&acct->otks[i], &(*otks)[n++]);
	return n;
}

void
crypto_account_generate_fallback(struct crypto_account *acct)
{
	acct->fallback[1] = acct->fallback[0];
	crypto_acct_otk_make(acct, &acct->fallback[0]);
	if (acct->n_fallback < 2)
		acct->n_fallback++;
}

int
crypto_account_unpublished_fallback(const struct crypto_account *acct, struct crypto_otk *otk)
{
	if (acct->n_fallback == 0 || acct->fallback[0].published)
		return 0;
	crypto_otk_fill(&acct->fallback[0], otk);
	return 1;
}

void
crypto_account_mark_published(struct crypto_account *acct)
{
	for (size_t i = 0; i < acct->n_otks; i++)
		acct->otks[i].published = 1;
	if (acct->n_fallback > 0)
		acct->fallback[0].published = 1;
}

const struct crypto_x25519 *
crypto_account_identity(const struct crypto_account *acct)
{
	return &acct->identity;
}

/* The one-time or fallback key whose public part is pub, or NULL. */
const struct crypto_x25519 *
crypto_account_find_otk(const struct crypto_account *acct, const uint8_t pub[CRYPTO_KEY_LEN])
{
	for (size_t i = 0; i < acct->n_otks; i++)
		if (memcmp(acct->otks[i].key.pub, pub, CRYPTO_KEY_LEN) == 0)
			return &acct->otks[i].key;
	for (size_t i = 0; i < acct->n_fallback; i++)
		if (memcmp(acct->fallback[i].key.pub, pub, CRYPTO_KEY_LEN) == 0)
			return &acct->fallback[i].key;
	return NULL;
}

void
crypto_account_remove_otk(struct crypto_account *acct, const uint8_t pub[CRYPTO_KEY_LEN])
{
	for (size_t i = 0; i < acct->n_otks; i++) {
		if (memcmp(acct->otks[i].key.pub, pub, CRYPTO_KEY_LEN) != 0)
			continue;
		memmove(acct->otks + i, acct->otks + i + 1,
		    (acct->n_otks - i - 1) * sizeof acct->otks[0]);
		acct->n_otks--;
		OPENSSL_cleanse(acct->otks + acct->n_otks, sizeof acct->otks[0]);
		return;
	}
}

static void
crypto_acct_otk_put(struct crypto_wbuf *w, const struct crypto_acct_otk *k)
{
	crypto_wbuf_u32(w, k->id);
	crypto_wbuf_u8(w, (uint8_t)k->published);
	crypto_wbuf_add(w, k->key.priv, CRYPTO_KEY_LEN);
}

char *
crypto_account_pickle(const struct crypto_account *acct, const uint8_t key[CRYPTO_PICKLE_KEY_LEN])
{
	struct crypto_wbuf w = {0};

	crypto_wbuf_add(&w, acct->identity.priv, CRYPTO_KEY_LEN);
	crypto_wbuf_add(&w, acct->signing.seed, CRYPTO_KEY_LEN);
	crypto_wbuf_u32(&w, acct->next_id);
	crypto_wbuf_u32(&w, (uint32_t)acct->n_otks);
	for (size_t i = 0; i < acct->n_otks; i++)
		crypto_acct_otk_put(&w, &acct->otks[i]);
	crypto_wbuf_u8(&w, (uint8_t)acct->n_fallback);
	for (size_t i = 0; i < acct->n_fallback; i++)
		crypto_acct_otk_put(&w, &acct->fallback[i]);
	return crypto_pickle_seal(&w, CRYPTO_PICKLE_ACCOUNT, key);
}

static int
crypto_acct_otk_get(struct crypto_rbuf *r, struct crypto_acct_otk *k)
{
	uint8_t priv[CRYPTO_KEY_LEN];
	int rc;

	k->id = crypto_rbuf_u32(r);
	k->published = crypto_rbuf_u8(r) != 0;
	crypto_rbuf_get(r, priv, sizeof priv);
	rc = r->bad ? -1 : crypto_x25519_from_priv(&k->key, priv);
	OPENSSL_cleanse(priv, sizeof priv);
	return rc;
}

static int
crypto_account_read(struct crypto_account *a, struct crypto_rbuf *r)
{
	uint8_t seed[CRYPTO_KEY_LEN];
	int rc;

	crypto_rbuf_get(r, a->identity.priv, CRYPTO_KEY_LEN);
	crypto_rbuf_get(r, seed, sizeof seed);
	rc = r->bad || crypto_x25519_from_priv(&a->identity, a->identity.priv) != 0 ||
	    crypto_ed25519_from_seed(&a->signing, seed) != 0 ? -1 : 0;
	OPENSSL_cleanse(seed, sizeof seed);
	if (rc != 0)
		return -1;
	a->next_id = crypto_rbuf_u32(r);
	a->n_otks = crypto_rbuf_u32(r);
	if (a->n_otks > CRYPTO_OTK_MAX)
		return -1;
	for (size_t i = 0; i < a->n_otks; i++)
		if (crypto_acct_otk_get(r, &a->otks[i]) != 0)
			return -1;
	a->n_fallback = crypto_rbuf_u8(r);
	if (a->n_fallback > 2)
		return -1;
	for (size_t i = 0; i < a->n_fallback; i++)
		if (crypto_acct_otk_get(r, &a->fallback[i]) != 0)
			return -1;
	return r->bad || r->left != 0 ? -1 : 0;
}

struct crypto_account *
crypto_account_unpickle(const char *pickle, const uint8_t key[CRYPTO_PICKLE_KEY_LEN],
    char **cause)
{
	struct crypto_account *a;
	struct crypto_rbuf r = {0};
	uint8_t *plain;
	size_t len;

	if (crypto_pickle_open(pickle, CRYPTO_PICKLE_ACCOUNT, key, &plain, &len, cause) != 0)
		return NULL;
	a = crypto_account_alloc();
	r.p = plain + 2;
	r.left = len - 2;
	if (crypto_account_read(a, &r) != 0) {
		crypto_free_secret(plain, len);
		crypto_account_free(&a);
		cause_set(cause, "the account pickle is damaged");
		return NULL;
	}
	crypto_free_secret(plain, len);
	crypto_account_names(a);
	return a;
}

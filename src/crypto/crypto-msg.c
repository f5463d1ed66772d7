/* The Olm message, Olm pre-key message and Megolm message formats: a
 * version byte, then protobuf-like fields (a varint tag whose low 3 bits
 * are the type: 0 a varint, 2 a length-prefixed string). Unknown fields of
 * those two types are skipped, as the reference implementation does; any
 * other type, a field that runs past the end, or a missing or wrongly
 * sized field refuses the message. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "crypto-private.h"

#define CRYPTO_WIRE_VARINT 0
#define CRYPTO_WIRE_STRING 2

struct crypto_field {
	uint64_t tag;
	uint64_t value;		/* a varint's value, or a string's length */
	const uint8_t *str;
};

static int
crypto_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

static size_t
crypto_varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* Reads the next field; 1 when one was read, 0 at the end, -1 on error. */
static int
crypto_field_next(const uint8_t **p, const uint8_t *end, struct crypto_field *f)
{
	f->str = NULL;
	if (*p == end)
		return 0;
	if (crypto_varint_get(p, end, &f->tag) != 0 || crypto_varint_get(p, end, &f->value) != 0)
		return -1;
	if ((f->tag & 7) == CRYPTO_WIRE_VARINT)
		return 1;
	if ((f->tag & 7) != CRYPTO_WIRE_STRING || f->value > (uint64_t)(end - *p))
		return -1;
	f->str = *p;
	*p += f->value;
	return 1;
}

static int
crypto_field_key(const struct crypto_field *f, const uint8_t **key)
{
	if (f->value != CRYPTO_KEY_LEN)
		return -1;
	*key = f->str;
	return 0;
}

int
crypto_olm_msg_decode(const uint8_t *b, size_t len, struct crypto_olm_msg *m)
{
	const uint8_t *p = b + 1, *end;
	struct crypto_field f;
	int have_index = 0, rc;

	memset(m, 0, sizeof *m);
	if (len < 1 + CRYPTO_MAC_LEN || b[0] != CRYPTO_MSG_VERSION)
		return -1;
	end = b + len - CRYPTO_MAC_LEN;
	while ((rc = crypto_field_next(&p, end, &f)) == 1) {
		if (f.tag == 0x0a && crypto_field_key(&f, &m->ratchet_key) != 0)
			return -1;
		if (f.tag == 0x10) {
			if (f.value > UINT32_MAX)
				return -1;
			m->index = (uint32_t)f.value;
			have_index = 1;
		}
		if (f.tag == 0x22) {
			m->cipher = f.str;
			m->cipher_len = f.value;
		}
	}
	if (rc != 0 || m->ratchet_key == NULL || !have_index || m->cipher == NULL)
		return -1;
	m->mac = end;
	m->signed_len = (size_t)(end - b);
	return 0;
}

int
crypto_prekey_msg_decode(const uint8_t *b, size_t len, struct crypto_prekey_msg *m)
{
	const uint8_t *p = b + 1, *end = b + len;
	struct crypto_field f;
	int rc, bad = 0;

	memset(m, 0, sizeof *m);
	if (len < 1 || b[0] != CRYPTO_MSG_VERSION)
		return -1;
	while ((rc = crypto_field_next(&p, end, &f)) == 1) {
		if (f.tag == 0x0a)
			bad |= crypto_field_key(&f, &m->otk);
		if (f.tag == 0x12)
			bad |= crypto_field_key(&f, &m->base_key);
		if (f.tag == 0x1a)
			bad |= crypto_field_key(&f, &m->identity);
		if (f.tag == 0x22) {
			m->inner = f.str;
			m->inner_len = f.value;
		}
	}
	if (rc != 0 || bad || !m->otk || !m->base_key || !m->identity || !m->inner)
		return -1;
	return 0;
}

int
crypto_megolm_msg_decode(const uint8_t *b, size_t len, struct crypto_megolm_msg *m)
{
	const uint8_t *p = b + 1, *end;
	struct crypto_field f;
	int have_index = 0, rc;

	memset(m, 0, sizeof *m);
	if (len < 1 + CRYPTO_MAC_LEN + CRYPTO_SIG_LEN || b[0] != CRYPTO_MSG_VERSION)
		return -1;
	end = b + len - CRYPTO_MAC_LEN - CRYPTO_SIG_LEN;
	while ((rc = crypto_field_next(&p, end, &f)) == 1) {
		if (f.tag == 0x08) {
			if (f.value > UINT32_MAX)
				return -1;
			m->index = (uint32_t)f.value;
			have_index = 1;
		}
		if (f.tag == 0x12) {
			m->cipher = f.str;
			m->cipher_len = f.value;
		}
	}
	if (rc != 0 || !have_index || m->cipher == NULL)
		return -1;
	m->mac = end;
	m->sig = end + CRYPTO_MAC_LEN;
	m->mac_len = (size_t)(end - b);
	m->sig_len = m->mac_len + CRYPTO_MAC_LEN;
	return 0;
}

static size_t
crypto_put_string(uint8_t *out, uint8_t tag, const uint8_t *s, size_t len)
{
	size_t n = 0;

	out[n++] = tag;
	n += crypto_varint_put(out + n, len);
	memcpy(out + n, s, len);
	return n + len;
}

static size_t
crypto_put_int(uint8_t *out, uint8_t tag, uint32_t v)
{
	out[0] = tag;
	return 1 + crypto_varint_put(out + 1, v);
}

/* Room for the version, fields of these string lengths, two varints,
 * and a MAC and signature appended by the caller. */
static uint8_t *
crypto_msg_alloc(size_t strings)
{
	return xmalloc(1 + strings + 4 * 11 + CRYPTO_MAC_LEN + CRYPTO_SIG_LEN);
}

uint8_t *
crypto_olm_msg_encode(const uint8_t ratchet_key[32], uint32_t index, const uint8_t *cipher,
    size_t cipher_len, size_t *len)
{
	uint8_t *out = crypto_msg_alloc(CRYPTO_KEY_LEN + cipher_len);
	size_t n = 0;

	out[n++] = CRYPTO_MSG_VERSION;
	n += crypto_put_string(out + n, 0x0a, ratchet_key, CRYPTO_KEY_LEN);
	n += crypto_put_int(out + n, 0x10, index);
	n += crypto_put_string(out + n, 0x22, cipher, cipher_len);
	*len = n;
	return out;
}

uint8_t *
crypto_prekey_msg_encode(const uint8_t otk[32], const uint8_t base_key[32],
    const uint8_t identity[32], const uint8_t *inner, size_t inner_len, size_t *len)
{
	uint8_t *out = crypto_msg_alloc(3 * CRYPTO_KEY_LEN + inner_len);
	size_t n = 0;

	out[n++] = CRYPTO_MSG_VERSION;
	n += crypto_put_string(out + n, 0x0a, otk, CRYPTO_KEY_LEN);
	n += crypto_put_string(out + n, 0x12, base_key, CRYPTO_KEY_LEN);
	n += crypto_put_string(out + n, 0x1a, identity, CRYPTO_KEY_LEN);
	n += crypto_put_string(out + n, 0x22, inner, inner_len);
	*len = n;
	return out;
}

uint8_t *
crypto_megolm_msg_encode(uint32_t index, const uint8_t *cipher, size_t cipher_len, size_t *len)
{
	uint8_t *out = crypto_msg_alloc(cipher_len);
	size_t n = 0;

	out[n++] = CRYPTO_MSG_VERSION;
	n += crypto_put_int(out + n, 0x08, index);
	n += crypto_put_string(out + n, 0x12, cipher, cipher_len);
	*len = n;
	return out;
}

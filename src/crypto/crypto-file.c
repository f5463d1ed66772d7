/* Encrypted attachments, the spec's v2 EncryptedFile: AES-256-CTR under a
 * random key with a random IV whose low 8 bytes (the block counter) are
 * zero, and the SHA-256 of the ciphertext. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

#define FILE_CHUNK 65536

struct file_pass {
	EVP_CIPHER_CTX *aes;
	EVP_MD_CTX *sha;
	int hash_input;		/* hash what is read (decrypting) or written */
	int out_fd;		/* -1: only hash */
};

void
crypto_file_clear(struct crypto_file *f)
{
	if (f->key != NULL)
		OPENSSL_cleanse(f->key, strlen(f->key));
	free(f->key);
	free(f->iv);
	free(f->sha256);
	memset(f, 0, sizeof *f);
}

static int
file_write_all(int fd, const uint8_t *p, size_t n, char **cause)
{
	if (nt_write_all(fd, p, n) == -1)
		return cause_set(cause, "writing the file: %s", strerror(errno));
	return 0;
}

static int
file_chunk(struct file_pass *fp, const uint8_t *in, size_t n, uint8_t *out, char **cause)
{
	int m = 0;

	if (fp->hash_input && EVP_DigestUpdate(fp->sha, in, n) != 1)
		return cause_set(cause, "SHA-256 failed");
	if (fp->out_fd < 0)
		return 0;
	if (EVP_CipherUpdate(fp->aes, out, &m, in, (int)n) != 1 || (size_t)m != n)
		return cause_set(cause, "AES-256-CTR failed");
	if (!fp->hash_input && EVP_DigestUpdate(fp->sha, out, n) != 1)
		return cause_set(cause, "SHA-256 failed");
	return file_write_all(fp->out_fd, out, n, cause);
}

/* Reads in_fd to its end through fp; the SHA-256 of the ciphertext into hash. */
static int
file_run(struct file_pass *fp, int in_fd, uint8_t hash[CRYPTO_SHA256_LEN], char **cause)
{
	uint8_t *in = xmalloc(FILE_CHUNK), *out = xmalloc(FILE_CHUNK);
	unsigned int hn = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = read(in_fd, in, FILE_CHUNK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			rc = cause_set(cause, "reading the file: %s", strerror(errno));
		else
			rc = file_chunk(fp, in, (size_t)n, out, cause);
	}
	crypto_free_secret(in, FILE_CHUNK);
	crypto_free_secret(out, FILE_CHUNK);
	if (rc == 0 && (EVP_DigestFinal_ex(fp->sha, hash, &hn) != 1 || hn != CRYPTO_SHA256_LEN))
		rc = cause_set(cause, "SHA-256 failed");
	return rc;
}

static int
file_pass_run(const uint8_t key[32], const uint8_t iv[16], int enc, int in_fd, int out_fd,
    uint8_t hash[CRYPTO_SHA256_LEN], char **cause)
{
	struct file_pass fp = {EVP_CIPHER_CTX_new(), EVP_MD_CTX_new(), !enc, out_fd};
	int rc;

	if (fp.aes == NULL || fp.sha == NULL ||
	    EVP_CipherInit_ex2(fp.aes, EVP_aes_256_ctr(), key, iv, enc, NULL) != 1 ||
	    EVP_DigestInit_ex(fp.sha, EVP_sha256(), NULL) != 1)
		rc = cause_set(cause, "libcrypto could not set up AES-256-CTR and SHA-256");
	else
		rc = file_run(&fp, in_fd, hash, cause);
	EVP_CIPHER_CTX_free(fp.aes);
	EVP_MD_CTX_free(fp.sha);
	return rc;
}

int
crypto_file_encrypt(int in_fd, int out_fd, struct crypto_file *f, char **cause)
{
	uint8_t key[32], iv[16] = {0}, hash[CRYPTO_SHA256_LEN];
	char k64[CRYPTO_B64_MAX(32)];
	int rc;

	memset(f, 0, sizeof *f);
	crypto_random(key, sizeof key);
	crypto_random(iv, 8);
	rc = file_pass_run(key, iv, 1, in_fd, out_fd, hash, cause);
	if (rc == 0) {
		crypto_b64_put(k64, key, sizeof key, 1);
		f->key = xstrdup(k64);
		f->iv = crypto_b64_encode(iv, sizeof iv);
		f->sha256 = crypto_b64_encode(hash, sizeof hash);
	}
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(k64, sizeof k64);
	return rc;
}

/* The key, IV and hash of f, decoded. */
static int
file_decode(const struct crypto_file *f, uint8_t key[32], uint8_t iv[16], uint8_t hash[32],
    char **cause)
{
	if (f->key == NULL || crypto_b64_decode_into(f->key, 1, key, 32, NULL) != 0)
		return cause_set(cause, "the file's key is not 32 bytes of base64url");
	if (f->iv == NULL || crypto_b64_decode_into(f->iv, 0, iv, 16, NULL) != 0)
		return cause_set(cause, "the file's IV is not 16 bytes of base64");
	if (f->sha256 == NULL || crypto_b64_decode_into(f->sha256, 0, hash, 32, NULL) != 0)
		return cause_set(cause, "the file's SHA-256 is not 32 bytes of base64");
	return 0;
}

/* Decrypts in_fd (at start) into out_fd, checking the hash again as it
 * goes: if the file changed since the check, the output is cut back. */
static int
file_decrypt_pass(const uint8_t key[32], const uint8_t iv[16], const uint8_t want[32],
    int in_fd, off_t start, int out_fd, char **cause)
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	off_t out_start = lseek(out_fd, 0, SEEK_CUR);

	if (lseek(in_fd, start, SEEK_SET) == -1)
		return cause_set(cause, "the encrypted file cannot be re-read: %s", strerror(errno));
	if (file_pass_run(key, iv, 0, in_fd, out_fd, hash, cause) != 0)
		return -1;
	if (CRYPTO_memcmp(hash, want, sizeof hash) != 0) {
		int cut = out_start != -1 && ftruncate(out_fd, out_start) == 0;

		return cause_set(cause, "the encrypted file changed while it was read%s",
		    cut ? "" : "; what was written of it must be thrown away");
	}
	return 0;
}

int
crypto_file_decrypt(int in_fd, int out_fd, const struct crypto_file *f, char **cause)
{
	uint8_t key[32], iv[16], want[32], hash[CRYPTO_SHA256_LEN];
	off_t start = lseek(in_fd, 0, SEEK_CUR);
	int rc;

	if (file_decode(f, key, iv, want, cause) != 0)
		rc = -1;
	else if (start == -1)
		rc = cause_set(cause, "the encrypted file must be seekable: %s", strerror(errno));
	else if (file_pass_run(key, iv, 0, in_fd, -1, hash, cause) != 0)
		rc = -1;
	else if (CRYPTO_memcmp(hash, want, sizeof hash) != 0)
		rc = cause_set(cause, "the file's SHA-256 does not match: it was damaged or "
		    "altered");
	else
		rc = file_decrypt_pass(key, iv, want, in_fd, start, out_fd, cause);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

/* Sending through SMTP with a blocking libcurl easy handle: TLS from the
 * start (smtps), or STARTTLS required (smtp) unless the server is on
 * this machine. libcurl dot-stuffs the DATA; the mail is CRLF already. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "export-private.h"
#include "natter/sanitize.h"

#define EXPORT_SMTP_CONNECT_S 30L
#define EXPORT_SMTP_STALL_S 60L

struct export_upload {
	const char *data;
	size_t len, off;
};

static size_t
export_smtp_read(char *out, size_t size, size_t nitems, void *arg)
{
	struct export_upload *up = arg;
	size_t n = size * nitems;

	if (n > up->len - up->off)
		n = up->len - up->off;
	memcpy(out, up->data + up->off, n);
	up->off += n;
	return n;
}

static struct curl_slist *
export_smtp_rcpts(const struct export_mail *m)
{
	struct curl_slist *list = NULL;

	for (size_t i = 0; i < m->n_rcpts; i++) {
		char *r = xasprintf("<%s>", m->rcpts[i]);

		list = curl_slist_append(list, r);
		free(r);
	}
	return list;
}

static char *
export_smtp_password(const struct export_smtp *s, char **cause)
{
	if (s->password_command != NULL)
		return export_password_command(s->password_command, cause);
	return xstrdup(s->password != NULL ? s->password : "");
}

static int
export_smtp_fail(CURL *h, CURLcode code, const char *errbuf, char **cause)
{
	long reply = 0;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
	if (code == CURLE_USE_SSL_FAILED)
		return cause_set(cause, "the SMTP server does not offer STARTTLS, and natter "
		    "sends mail in clear only to this machine: use smtps:// or a server with "
		    "STARTTLS");
	if (code == CURLE_PEER_FAILED_VERIFICATION)
		return cause_set(cause, "the SMTP server's certificate is not trusted (%s): if "
		    "your organisation has its own CA, name it with ca_file in [mail]",
		    *errbuf != '\0' ? errbuf : curl_easy_strerror(code));
	if (code == CURLE_SSL_CACERT_BADFILE)
		return cause_set(cause, "cannot read the CAs of ca_file in [mail]: %s",
		    *errbuf != '\0' ? errbuf : curl_easy_strerror(code));
	if (code == CURLE_LOGIN_DENIED)
		return cause_set(cause, "the SMTP server refused the login (%ld)", reply);
	if (reply >= 400)
		return cause_set(cause, "the SMTP server refused the mail: %s (%ld)",
		    *errbuf != '\0' ? errbuf : curl_easy_strerror(code), reply);
	return cause_set(cause, "cannot send through SMTP: %s",
	    *errbuf != '\0' ? errbuf : curl_easy_strerror(code));
}

int
export_send_smtp(const struct export_mail *m, const struct export_smtp *s, char **cause)
{
	struct export_upload up = {m->data, m->len, 0};
	char errbuf[CURL_ERROR_SIZE] = "", *from, *password = NULL;
	struct curl_slist *rcpts;
	int require_tls = 1, rc = 0;
	CURLcode code;
	CURL *h;

	if (mail_smtp_policy(s->url, &require_tls, cause) == -1)
		return -1;
	if (m->n_rcpts == 0)
		return cause_set(cause, "no recipients");
	if (s->user != NULL && (password = export_smtp_password(s, cause)) == NULL)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (h = curl_easy_init()) == NULL) {
		free(password);
		return cause_set(cause, "cannot start libcurl");
	}
	from = xasprintf("<%s>", m->envelope_from);
	rcpts = export_smtp_rcpts(m);
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, require_tls ? (long)CURLUSESSL_ALL :
	    (long)CURLUSESSL_TRY);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, export_smtp_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->len);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, EXPORT_SMTP_CONNECT_S);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, EXPORT_SMTP_STALL_S);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (s->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL) {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, password);
	}
	if ((code = curl_easy_perform(h)) != CURLE_OK)
		rc = export_smtp_fail(h, code, errbuf, cause);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	curl_slist_free_all(rcpts);
	free(from);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return rc;
}

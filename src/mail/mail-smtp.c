/* The TLS an SMTP URL must have: smtps always, smtp with STARTTLS
 * required unless the server is on this machine. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "natter/mail.h"
#include "natter/sanitize.h"
#include "natter/util.h"

static int
mail_host_loopback(const char *host)
{
	unsigned char a[16];
	char *bare;
	size_t len = strlen(host);
	int loop = 0;

	if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
		bare = xstrndup(host + 1, len - 2);
		if (inet_pton(AF_INET6, bare, a) == 1) {
			static const unsigned char one[16] = {[15] = 1};
			static const unsigned char v4[12] = {[10] = 0xff, [11] = 0xff};

			loop = memcmp(a, one, 16) == 0 || (memcmp(a, v4, 12) == 0 && a[12] == 127);
		}
		free(bare);
	}
	return loop;
}

int
mail_smtp_policy(const char *url, int *require_tls, char **cause)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *safe;
	int rc = 0;

	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || *host == '\0') {
		safe = san_text(url, 0);
		rc = cause_set(cause, "\"%s\" is not an SMTP URL: use smtps://host[:port] or "
		    "smtp://host[:port]", safe);
		free(safe);
	} else if (strcmp(scheme, "smtps") == 0)
		*require_tls = 1;
	else if (strcmp(scheme, "smtp") == 0)
		*require_tls = !mail_host_loopback(host);
	else {
		safe = san_text(scheme, 0);
		rc = cause_set(cause, "%s:// is not for mail: use smtps:// or smtp://", safe);
		free(safe);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

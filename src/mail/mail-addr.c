/* What reaches a mail header: addresses checked strictly, and text from
 * the server or the user made into one inert line. */
#include <stdlib.h>
#include <string.h>

#include "natter/mail.h"
#include "natter/sanitize.h"
#include "natter/util.h"

#define MAIL_LOCAL_MAX 64
#define MAIL_DOMAIN_MAX 253
#define MAIL_ADDR_MAX 254

/* RFC 5322 atext, the characters of a dot-atom besides the dots. */
static int
mail_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
mail_local_valid(const char *s, size_t len)
{
	if (len == 0 || len > MAIL_LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !mail_atext(s[i]))
			return 0;
	}
	return 1;
}

/* Host names only: labels of letters, digits and inner hyphens. */
static int
mail_domain_valid(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > MAIL_DOMAIN_MAX || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-')
			label++;
		else
			return 0;
	}
	return 1;
}

int
mail_addr_valid(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && strlen(addr) <= MAIL_ADDR_MAX &&
	    mail_local_valid(addr, (size_t)(at - addr)) && mail_domain_valid(at + 1);
}

static char *
mail_trim(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return xstrndup(s, len);
}

/* A display name typed by the user: no angle brackets, and nothing the
 * sanitiser would replace (controls, C1 and bidi controls among them),
 * which would reach the header as "<U+0085>". */
static int
mail_name_valid(const char *name)
{
	char *safe;
	int same;

	if (strpbrk(name, "<>") != NULL || !san_utf8_valid(name, strlen(name)))
		return 0;
	safe = san_text(name, 0);
	same = strcmp(safe, name) == 0;
	free(safe);
	return same;
}

static int
mail_addr_bad(const char *s, char **cause)
{
	char *safe = san_text(s, 0);

	cause_set(cause, "not a mail address: \"%s\"", safe);
	free(safe);
	return -1;
}

int
mail_addr_parse(const char *s, struct mail_addr *a, char **cause)
{
	const char *lt = strchr(s, '<');
	size_t len = strlen(s);
	char *name = NULL, *addr;

	memset(a, 0, sizeof *a);
	if (lt != NULL) {
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0 || s[len - 1] != '>' || strchr(lt + 1, '<') != NULL)
			return mail_addr_bad(s, cause);
		addr = mail_trim(lt + 1, (size_t)(s + len - 1 - (lt + 1)));
		name = mail_trim(s, (size_t)(lt - s));
	} else
		addr = mail_trim(s, len);
	if (!mail_addr_valid(addr) || (name != NULL && !mail_name_valid(name))) {
		free(name);
		free(addr);
		return mail_addr_bad(s, cause);
	}
	a->addr = addr;
	if (name != NULL && *name != '\0')
		a->name = mail_header_text(name);
	free(name);
	return 0;
}

int
mail_addrs_parse(const char *list, struct mail_addr **v, size_t *n, char **cause)
{
	char *copy = xstrdup(list), *item, *save = NULL;
	struct mail_addr a;
	int rc = 0;

	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		if (item[strspn(item, " \t")] == '\0')
			continue;
		if ((rc = mail_addr_parse(item, &a, cause)) == -1)
			break;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = a;
	}
	free(copy);
	return rc;
}

void
mail_addr_clear(struct mail_addr *a)
{
	xfree(&a->name);
	xfree(&a->addr);
}

void
mail_addrs_free(struct mail_addr **v, size_t n)
{
	if (*v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		mail_addr_clear(&(*v)[i]);
	xfree(v);
}

char *
mail_header_text(const char *s)
{
	char *safe = san_text(s != NULL ? s : "", 0), *p = safe, *out;
	size_t len;

	/* san_text leaves tabs as spaces; runs of blanks are folding's business. */
	while (*p == ' ')
		p++;
	len = nt_utf8_cut(p, strlen(p), MAIL_HEADER_MAX);
	while (len > 0 && p[len - 1] == ' ')
		len--;
	out = xstrndup(p, len);
	free(safe);
	return out;
}

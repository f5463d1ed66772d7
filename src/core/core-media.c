/* Files from the server on disk: a safe name in the profile's media
 * directory, created new (never replacing a file), readable only by the
 * user. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/core.h"
#include "natter/sanitize.h"
#include "natter/util.h"


int
core_download_file(const char *dir, const char *name, char **path, char **cause)
{
	char *safe = san_filename(name);
	int fd = -1;

	if (nt_mkdirs(dir, 0700, cause) == -1) {
		free(safe);
		return -1;
	}
	for (int i = 0; i < 1000 && fd == -1; i++) {
		*path = i == 0 ? xasprintf("%s/%s", dir, safe) :
		    xasprintf("%s/%d-%s", dir, i, safe);
		fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1 && errno != EEXIST) {
			cause_set(cause, "cannot create %s: %s", *path, strerror(errno));
			xfree(path);
			break;
		}
		if (fd == -1)
			xfree(path);
	}
	free(safe);
	return fd;
}

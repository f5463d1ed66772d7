/* Runs a libFuzzer target over the files given on the command line (or
 * in the directories given), so the seed corpora are replayed under
 * ASan+UBSan by every test run, with any compiler. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "natter/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	char *cause = NULL;
	size_t len;
	char *data = nt_read_file(path, &len, &cause);

	if (data == NULL) {
		fprintf(stderr, "replay: %s\n", cause);
		free(cause);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

static int
replay_dir(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *path;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (replay_file(path) == -1)
			rc = -1;
		else
			(*count)++;
		free(path);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	int count = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		struct stat sb;

		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			rc |= replay_dir(argv[i], &count);
		else if (replay_file(argv[i]) == 0)
			count++;
		else
			rc = -1;
	}
	printf("replayed %d inputs\n", count);
	return rc == 0 && count > 0 ? 0 : 1;
}

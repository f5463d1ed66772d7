/* Secrets typed by the user: passwords and passphrases, from the terminal
 * without echo or from standard input, never from the command line
 * (where ps and the shell's history would see them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "cli-private.h"

char *
cli_secret_prompt(const char *prompt, const char *subject, const char *instead, char **cause)
{
	FILE *tty = fopen("/dev/tty", "r+e");
	struct termios old, quiet;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty == NULL) {
		cause_set(cause, "no terminal to ask on: use %s", instead);
		return NULL;
	}
	fputs(prompt, tty);
	cli_print_text(tty, subject, 0);
	fputs(": ", tty);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	n = getline(&line, &cap, tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (n <= 0) {
		free(line);
		cause_set(cause, "nothing was typed");
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

char *
cli_secret_stdin(char **cause)
{
	char *line = NULL;
	size_t cap = 0;

	if (getline(&line, &cap, stdin) <= 0) {
		free(line);
		cause_set(cause, "nothing on standard input");
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

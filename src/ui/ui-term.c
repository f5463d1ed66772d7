/* The terminal: curses set up and, on every way out (normal exit,
 * SIGTERM, a crash), put back as it was. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>

#include "ui-private.h"

/* Bracketed paste, focus events and the mouse wheel; the reset undoes
 * them and leaves the alternate screen. */
#define UI_MODES_ON "\033[?2004h\033[?1004h"
#define UI_MODES_OFF "\033[?2004l\033[?1004l\033[?1000l\033[?1006l"

static struct termios ui_saved_tio;
static int ui_term_active;

static void
ui_write_all(const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Only async-signal-safe calls: a crash may come from inside curses. */
static void
ui_crash(int signo)
{
	if (ui_term_active) {
		ui_write_all(UI_MODES_OFF "\033[?1049l\033[0m\033[?25h\r\n");
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &ui_saved_tio);
	}
	signal(signo, SIG_DFL);
	raise(signo);
}

#define UI_CLIP_MAX 74994	/* bytes many terminals take in one OSC 52 */

/* Puts text on the terminal's clipboard with OSC 52, base64-encoded so
 * that nothing in it is ever a control sequence. Terminals that do not
 * take it ignore it. */
void
ui_term_clipboard(const char *text)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(text), o = 0;
	char *out;

	if (len > UI_CLIP_MAX)
		len = UI_CLIP_MAX;
	out = xmalloc(len / 3 * 4 + 16);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)text[i] << 16;

		v |= i + 1 < len ? (unsigned char)text[i + 1] << 8 : 0;
		v |= i + 2 < len ? (unsigned char)text[i + 2] : 0;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	ui_write_all("\033]52;c;");
	ui_write_all(out);
	ui_write_all("\a");
	free(out);
}

void
ui_term_restore(void)
{
	if (!ui_term_active)
		return;
	ui_term_active = 0;
	endwin();
	ui_write_all(UI_MODES_OFF);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &ui_saved_tio);
}

void
ui_term_lost(void)
{
	ui_term_active = 0;
}

int
ui_term_start(char **cause)
{
	static const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return cause_set(cause, "the terminal interface needs a terminal; "
		    "see `natter help` for the commands");
	tcgetattr(STDIN_FILENO, &ui_saved_tio);
	if (newterm(NULL, stdout, stdin) == NULL)
		return cause_set(cause, "cannot use this terminal (TERM=%s)",
		    getenv("TERM") ? getenv("TERM") : "unset");
	ui_term_active = 1;
	atexit(ui_term_restore);
	for (size_t i = 0; i < NT_NELEMS(crashes); i++)
		signal(crashes[i], ui_crash);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* Esc and a key within this many milliseconds are Alt and the key;
	 * later, Esc then the key. Short, unless ESCDELAY says otherwise
	 * (curses read it already). */
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(UI_ESCDELAY_MS);
	curs_set(1);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	ui_write_all(UI_MODES_ON);
	return 0;
}

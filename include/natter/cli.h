/* cli: natter's command line (`natter send`, `natter history`, ...). */
#ifndef NATTER_CLI_H
#define NATTER_CLI_H

/* Runs natter with argv; returns the exit status (0 done, 1 failed,
 * 2 usage). */
int cli_main(int argc, char **argv);

#endif

#include <stdio.h>

int
main(void)
{
	puts("natter " NATTER_VERSION);
	return 0;
}

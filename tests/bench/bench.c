/* Helpers of the benchmarks; see bench.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bench.h"

double
bench_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, bench_cmp);
	rank = (size_t)ceil(p / 100.0 * (double)n);
	return v[rank > 0 ? rank - 1 : 0];
}

void
bench_print_run(const char *figure, double value, double wall_ms, double cpu_ms)
{
	printf("run\t%s\t%.6g\t%.3f\t%.3f\n", figure, value, wall_ms, cpu_ms);
	fflush(stdout);
}

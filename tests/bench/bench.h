/* What the benchmarks share: a clock for CPU time, percentiles, and the
 * one line a measured run prints for tests/bench/run to tabulate. */
#ifndef NATTER_BENCH_H
#define NATTER_BENCH_H

#include <stddef.h>

/* User plus system CPU time of this process so far, in ms. */
double bench_cpu_ms(void);
/* The nearest-rank percentile p (0-100) of v, which it sorts. */
double bench_percentile(double *v, size_t n, double p);
/* One run of a figure: "run\tFIGURE\tVALUE\tWALL_MS\tCPU_MS" on stdout. */
void bench_print_run(const char *figure, double value, double wall_ms, double cpu_ms);

#endif

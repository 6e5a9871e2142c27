/*
 * gcore_facility.h — whether this machine lets the unit tests gcore a
 * child: a test skips only where the facility is missing; gcore failing
 * where it is present is a test failure, with gcore's own words.
 */
#ifndef GZC_TEST_GCORE_FACILITY_H
#define GZC_TEST_GCORE_FACILITY_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* NULL if gcore can dump a child of ours here, else why not: gcore (gdb)
 * missing, or Yama forbidding the ptrace (scope 3: everyone; 1 and 2: a
 * process that is not the tracer's descendant, unless the tracer has
 * CAP_SYS_PTRACE, as root has). */
static inline const char *gcore_unavailable(void)
{
	if (system("command -v gcore >/dev/null 2>&1") != 0)
		return "gcore (gdb) is not installed";
	int scope = 0;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 0;
		fclose(f);
	}
	if (scope >= 3)
		return "ptrace is disabled here (kernel.yama.ptrace_scope = 3)";
	if (scope >= 1 && geteuid() != 0)
		return "gcore of a process it did not start needs root here (kernel.yama.ptrace_scope >= 1)";
	return NULL;
}

/* Fails the test with what gcore wrote to log (its output, redirected). */
static inline void gcore_failed(const char *log)
{
	char text[2048] = "";
	FILE *f = fopen(log, "r");
	if (f) {
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		text[n] = '\0';
		fclose(f);
	}
	cr_assert_fail("gcore failed where ptrace is allowed: %s", text);
}

#endif

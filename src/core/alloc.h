/* All core allocations go through these, so that a memory ceiling applies and
 * tests can make the N-th allocation fail. */
#ifndef SIMEC_ALLOC_H
#define SIMEC_ALLOC_H

#include <stddef.h>
#include "core.h"

void *core_malloc(size_t n);
void *core_calloc(size_t count, size_t size);
void *core_realloc(void *p, size_t n);
void *core_free(void *p); /* returns NULL so callers can write p = core_free(p) */

/* a*b (and a*b*c) into *out; 0 on overflow. */
int core_mul2(size_t a, size_t b, size_t *out);
int core_mul3(size_t a, size_t b, size_t c, size_t *out);

/* Bytes currently held by live core allocations, and the high-water mark. */
size_t core_mem_in_use(void);
size_t core_mem_peak(void);
void core_mem_reset_peak(void);

/* Memory allocated elsewhere counted against the same ceiling (the host's
 * Lua heap): charge returns 0, counting nothing, when n more bytes would
 * pass the ceiling; uncharge gives n bytes back. */
int core_mem_charge(size_t n);
void core_mem_uncharge(size_t n);

/* Ceiling on core_mem_in_use(); 0 = none. */
void core_mem_set_limit(size_t bytes);
size_t core_mem_limit(void);

/* Test hook: the n-th allocation from now fails (n >= 1); 0 disables. */
void core_alloc_fail_after(long n);

/* Sets e to a "not enough memory" error naming what and the bytes requested. */
int core_err_nomem(core_err *e, const char *what, double bytes);

#endif

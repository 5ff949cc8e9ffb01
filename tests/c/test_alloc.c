#include <stdint.h>
#include "check.h"
#include "alloc.h"
#include "mat.h"

static void test_accounting(void)
{
    size_t base = core_mem_in_use();
    void *p = core_malloc(1000), *q = core_calloc(10, 100);
    CHECK(p && q);
    CHECK(core_mem_in_use() == base + 2000);
    p = core_realloc(p, 3000);
    CHECK(core_mem_in_use() == base + 4000);
    CHECK(core_mem_peak() >= base + 4000);
    p = core_free(p);
    CHECK(p == NULL);
    core_free(q);
    CHECK(core_mem_in_use() == base);
}

static void test_overflow(void)
{
    size_t out;
    CHECK(core_mul2(1u << 20, 1u << 20, &out) && out == (size_t)1 << 40);
    CHECK(!core_mul2(SIZE_MAX / 2, 3, &out));
    CHECK(!core_mul3(1u << 30, 1u << 30, 1u << 30, &out));
    CHECK(core_calloc(SIZE_MAX / 4, 8) == NULL);
    CHECK(core_malloc(SIZE_MAX) == NULL);
}

static void test_limit(void)
{
    core_err e;
    mat m;
    core_mem_set_limit(core_mem_in_use() + 1000);
    CHECK(core_malloc(4000) == NULL);
    CHECK(mat_init(&m, 100, 100, &e) == CORE_ENOMEM);
    CHECK_MSG(e, "not enough memory");
    CHECK_MSG(e, "78.1 KiB requested");
    CHECK_MSG(e, "limit");
    core_mem_set_limit(0);
    CHECK(mat_init(&m, 100, 100, &e) == CORE_OK);
    mat_release(&m);
}

static void test_too_big(void)
{
    core_err e;
    mat m;
    CHECK(mat_init(&m, (size_t)1 << 39, (size_t)1 << 39, &e) == CORE_ETOOBIG);
    CHECK_MSG(e, "too large");
    CHECK(m.st == NULL);
}

static void test_fail_injection(void)
{
    void *a, *b;
    core_alloc_fail_after(2);
    a = core_malloc(10);
    b = core_malloc(10);
    CHECK(a != NULL);
    CHECK(b == NULL);
    b = core_malloc(10); /* only the n-th fails */
    CHECK(b != NULL);
    core_free(a);
    core_free(b);
}

static void test_fmt_bytes(void)
{
    char b[32];
    CHECK(strcmp(core_fmt_bytes(b, sizeof b, 512), "512 bytes") == 0);
    CHECK(strcmp(core_fmt_bytes(b, sizeof b, 1536), "1.5 KiB") == 0);
    CHECK(strcmp(core_fmt_bytes(b, sizeof b, 3.0 * 1024 * 1024 * 1024), "3.0 GiB") == 0);
}

int main(void)
{
    RUN(test_accounting);
    RUN(test_overflow);
    RUN(test_limit);
    RUN(test_too_big);
    RUN(test_fail_injection);
    RUN(test_fmt_bytes);
    return check_summary();
}

/* libFuzzer targets for the C readers, one binary per FUZZ_TARGET:
 * 1 delimited ratings (the first two bytes pick delimiter, options, fields),
 * 2 Matrix Market, 3 .npy, 4 SimEc model files. Each input is written to a
 * file (the readers take paths, as users call them) and read back; a reader
 * must either load it or fail with a message, and leak nothing. A memory
 * ceiling makes a header claiming terabytes a clean error, not an OOM. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "alloc.h"
#include "io.h"
#include "simec_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

/* the input file goes when the run ends; a crash keeps it beside the finding */
static void remove_input(void)
{
    unlink(path);
}

static void check_error(int rc, const core_err *e)
{
    if (rc && e->msg[0] == '\0')
        abort(); /* a failure without a message is a finding */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f;
    core_err e;
    int rc;
    const uint8_t *body = data;
    size_t n = size;
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/simec-fuzz-%d", (int)getpid());
        atexit(remove_input);
        core_mem_set_limit((size_t)256 << 20);
    }
#if FUZZ_TARGET == 1
    if (n < 2)
        return 0;
    body += 2, n -= 2;
#endif
    if (!(f = fopen(path, "wb")))
        abort();
    if (n && fwrite(body, 1, n, f) != n)
        abort();
    fclose(f);
    memset(&e, 0, sizeof e);
#if FUZZ_TARGET == 1
    {
        static const char *const delims[] = {NULL, "\t", ",", "::", "|", ";", " ", NULL};
        io_triplet_opts o;
        io_report rep;
        spm A;
        io_triplet_opts_default(&o);
        o.delim = delims[data[0] & 7];
        o.header = (data[0] >> 3) & 1;
        o.skip_bad = (data[0] >> 4) & 1;
        o.val_field = (data[0] >> 5) & 1 ? 0 : 3;
        o.dup = (data[0] >> 6) & 1 ? SPM_DUP_SUM : SPM_DUP_ERROR;
        o.keep_order = (data[0] >> 7) & 1;
        /* the second byte: which fields are row and column, and a fixed field count (0: the first line's) */
        o.row_field = 1 + ((data[1] >> 3) & 1);
        o.col_field = 3 - o.row_field;
        if (o.val_field && (data[1] >> 4) & 1)
            o.val_field = 4;
        o.fields = data[1] & 7;
        memset(&rep, 0, sizeof rep);
        rc = io_read_triplets(&A, path, &o, &rep, &e);
        check_error(rc, &e);
        if (!rc)
            spm_free(&A);
        core_free(rep.order);
    }
#elif FUZZ_TARGET == 2
    {
        spm A;
        rc = io_read_mtx(&A, path, &e);
        check_error(rc, &e);
        if (!rc)
            spm_free(&A);
    }
#elif FUZZ_TARGET == 3
    {
        mat M;
        rc = io_read_npy(&M, path, &e);
        check_error(rc, &e);
        if (!rc)
            mat_release(&M);
    }
#elif FUZZ_TARGET == 4
    {
        simec m;
        rc = simec_load(&m, path, &e);
        check_error(rc, &e);
        if (!rc)
            simec_free(&m);
    }
#else
#error "FUZZ_TARGET must be 1..4"
#endif
    return 0;
}

/* NumPy .npy files: read float64/float32/int64/int32 (either byte order, C or
 * Fortran order, 0-2 dimensions); write float64, C order, format 1.0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "alloc.h"
#include "io.h"

/* The value of key in the header's dict: after the quoted key and its
 * colon. *twice is set when the key is given more than once (the header is
 * then ambiguous, not first-wins). */
static const char *dict_value(const char *h, const char *key, int *twice)
{
    const char *found = NULL, *p = h;
    size_t kl = strlen(key);
    while ((p = strstr(p, key)) != NULL) {
        const char *q = p + kl;
        int quoted = p > h && (p[-1] == '\'' || p[-1] == '"') && *q == p[-1];
        p = q;
        if (!quoted)
            continue;
        q++;
        while (*q == ' ')
            q++;
        if (*q != ':')
            continue;
        q++;
        while (*q == ' ')
            q++;
        if (found)
            *twice = 1;
        else
            found = q;
    }
    return found;
}

static int little_endian(void)
{
    unsigned one = 1;
    return *(unsigned char *)&one == 1;
}

static void swap_bytes(unsigned char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n / 2; i++) {
        unsigned char t = b[i];
        b[i] = b[n - 1 - i];
        b[n - 1 - i] = t;
    }
}

int io_read_npy(mat *m, const char *path, core_err *e)
{
    unsigned char pre[12];
    char *h = NULL, type, order;
    const char *p;
    FILE *fp;
    struct stat st;
    size_t hlen, hdr, dims[2] = {1, 1}, nd = 0, count, size, i, bytes;
    int fortran = 0, twice = 0, rc = CORE_OK;
    unsigned char *raw = NULL;
    memset(m, 0, sizeof *m);
    if (!(fp = fopen(path, "rb")))
        return core_err_set(e, CORE_EIO, "%s: %s", path, strerror(errno));
    if ((rc = io_not_dir(fileno(fp), path, e)))
        goto done;
    if (fstat(fileno(fp), &st) != 0 || fread(pre, 1, 10, fp) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        rc = core_err_set(e, CORE_EFORMAT, "%s: not a .npy file (bad magic)", path);
        goto done;
    }
    if (pre[6] == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
        hdr = 10;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, fp) != 2) {
            rc = core_err_set(e, CORE_EFORMAT, "%s: truncated header", path);
            goto done;
        }
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        hdr = 12;
    } else {
        rc = core_err_set(e, CORE_EFORMAT, "%s: unsupported .npy version %d.%d", path, pre[6], pre[7]);
        goto done;
    }
    if (hlen > 65536 || (off_t)(hdr + hlen) > st.st_size) {
        rc = core_err_set(e, CORE_EFORMAT, "%s: bad header length %zu", path, hlen);
        goto done;
    }
    if (!(h = core_malloc(hlen + 1)) || fread(h, 1, hlen, fp) != hlen) {
        rc = h ? core_err_set(e, CORE_EFORMAT, "%s: truncated header", path) : core_err_nomem(e, path, (double)hlen);
        goto done;
    }
    h[hlen] = '\0';
    if (strlen(h) != hlen) {
        rc = core_err_set(e, CORE_EFORMAT, "%s: NUL byte in header", path);
        goto done;
    }
    p = dict_value(h, "descr", &twice);
    if (!p || (p[0] != '\'' && p[0] != '"') || !(order = p[1]) || !(type = p[2]) || !p[3] ||
        !strchr("<>|=", order) || (type != 'f' && type != 'i') || (p[3] != '4' && p[3] != '8') ||
        p[4] != p[0]) {
        rc = core_err_set(e, CORE_EFORMAT, "%s: unsupported dtype (float64, float32, int64 or int32 expected) in header %s",
                          path, h);
        goto done;
    }
    size = (size_t)(p[3] - '0');
    p = dict_value(h, "fortran_order", &twice);
    if (!p || (strncmp(p, "True", 4) != 0 && strncmp(p, "False", 5) != 0)) {
        rc = core_err_set(e, CORE_EFORMAT, "%s: missing fortran_order in header", path);
        goto done;
    }
    fortran = p[0] == 'T';
    p = dict_value(h, "shape", &twice);
    if (twice) {
        rc = core_err_set(e, CORE_EFORMAT, "%s: a key is given twice in the header %s", path, h);
        goto done;
    }
    if (!p || *p != '(') {
        rc = core_err_set(e, CORE_EFORMAT, "%s: missing shape in header", path);
        goto done;
    }
    p++;
    for (;;) {
        char *end;
        unsigned long long v;
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        errno = 0;
        v = strtoull(p, &end, 10);
        if (end == p || errno || v > MAT_DIM_MAX) {
            rc = core_err_set(e, CORE_EFORMAT, "%s: bad or too large shape in header %s", path, h);
            goto done;
        }
        if (nd == 2) {
            rc = core_err_set(e, CORE_EFORMAT, "%s: arrays of more than 2 dimensions are not supported", path);
            goto done;
        }
        dims[nd++] = (size_t)v;
        p = end;
    }
    if (nd == 1)
        dims[1] = 1; /* a vector becomes a column */
    if (!core_mul3(dims[0], dims[1], size, &bytes) || (off_t)bytes > st.st_size - (off_t)(hdr + hlen)) {
        rc = core_err_set(e, CORE_EFORMAT, "%s: header says %zux%zu of %zu-byte values but the file has %lld bytes of data",
                          path, dims[0], dims[1], size, (long long)(st.st_size - (off_t)(hdr + hlen)));
        goto done;
    }
    count = dims[0] * dims[1];
    if ((rc = mat_init_uninit(m, dims[0], dims[1], e)))
        goto done;
    if (!(raw = core_malloc(bytes ? bytes : 1))) {
        rc = core_err_nomem(e, path, (double)bytes);
        goto done;
    }
    if (fread(raw, 1, bytes, fp) != bytes) {
        rc = core_err_set(e, CORE_EIO, "%s: read error", path);
        goto done;
    }
    for (i = 0; i < count; i++) {
        unsigned char *b = raw + i * size;
        double v;
        size_t r, c;
        if (size > 1 && ((order == '>') == little_endian()))
            swap_bytes(b, size);
        if (type == 'f' && size == 8) {
            memcpy(&v, b, 8);
        } else if (type == 'f') {
            float f;
            memcpy(&f, b, 4);
            v = (double)f;
        } else if (size == 8) {
            int64_t t;
            memcpy(&t, b, 8);
            v = (double)t;
        } else {
            int32_t t;
            memcpy(&t, b, 4);
            v = t;
        }
        if (fortran)
            r = i % dims[0], c = i / dims[0];
        else
            r = i / dims[1], c = i % dims[1];
        MAT_AT(m, r, c) = v;
    }
done:
    fclose(fp);
    core_free(h);
    core_free(raw);
    if (rc)
        mat_release(m);
    return rc;
}

int io_write_npy(const mat *m, const char *path, core_err *e)
{
    io_atomic a;
    char h[256];
    size_t n, i, j, pad;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    int rc;
    if (!little_endian())
        return core_err_set(e, CORE_EINTERNAL, "save_npy: big-endian hosts are not supported");
    n = (size_t)snprintf(h, sizeof h, "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }", m->rows,
                         m->cols);
    pad = 64 - (10 + n + 1) % 64;
    if (pad == 64)
        pad = 0;
    memset(h + n, ' ', pad);
    n += pad;
    h[n++] = '\n';
    pre[8] = (unsigned char)(n & 0xff);
    pre[9] = (unsigned char)(n >> 8);
    if ((rc = io_atomic_open(&a, path, e)))
        return rc;
    fwrite(pre, 1, 10, a.f);
    fwrite(h, 1, n, a.f);
    for (i = 0; i < m->rows; i++)
        if (mat_is_contig(m) && i == 0) {
            fwrite(m->x, sizeof(double), m->rows * m->cols, a.f);
            break;
        } else
            for (j = 0; j < m->cols; j++)
                fwrite(&MAT_AT(m, i, j), sizeof(double), 1, a.f);
    return io_atomic_commit(&a, e);
}

/* Row/column labels: immutable string tables with a lazily built hash index. */
#include <string.h>
#include "alloc.h"
#include "spm.h"

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t i;
    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

spm_labels *spm_labels_from_buf(char *buf, size_t *off, size_t n)
{
    spm_labels *l = core_calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->refs = 1;
    l->n = n;
    l->buf = buf;
    l->off = off;
    return l;
}

spm_labels *spm_labels_new(size_t n, const char *const *s, const size_t *len, core_err *e)
{
    size_t i, total = 0, pos = 0;
    char *buf;
    size_t *off;
    spm_labels *l;
    for (i = 0; i < n; i++) {
        if (len[i] > SIZE_MAX - total - 1) {
            core_err_set(e, CORE_ETOOBIG, "labels are too large");
            return NULL;
        }
        total += len[i] + 1;
    }
    buf = core_malloc(total ? total : 1);
    off = core_malloc((n ? n : 1) * sizeof *off);
    if (!buf || !off) {
        core_free(buf);
        core_free(off);
        core_err_nomem(e, "labels", (double)total);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        off[i] = pos;
        memcpy(buf + pos, s[i], len[i]);
        pos += len[i];
        buf[pos++] = '\0';
    }
    if (!(l = spm_labels_from_buf(buf, off, n))) {
        core_free(buf);
        core_free(off);
        core_err_nomem(e, "labels", sizeof *l);
    }
    return l;
}

spm_labels *spm_labels_retain(spm_labels *l)
{
    if (l)
        l->refs++;
    return l;
}

void spm_labels_release(spm_labels *l)
{
    if (l && --l->refs == 0) {
        core_free(l->buf);
        core_free(l->off);
        core_free(l->hslot);
        core_free(l);
    }
}

const char *spm_label(const spm_labels *l, size_t i)
{
    return l->buf + l->off[i];
}

static int build_index(spm_labels *l, core_err *e)
{
    size_t cap = 16, i;
    while (cap < 2 * l->n + 1)
        cap *= 2;
    l->hslot = core_calloc(cap, sizeof *l->hslot);
    if (!l->hslot)
        return core_err_nomem(e, "label index", (double)cap * sizeof *l->hslot);
    l->hcap = cap;
    for (i = 0; i < l->n; i++) {
        const char *s = spm_label(l, i);
        size_t h = (size_t)hash(s, strlen(s)) & (cap - 1);
        while (l->hslot[h])
            h = (h + 1) & (cap - 1);
        l->hslot[h] = i + 1;
    }
    return CORE_OK;
}

int64_t spm_labels_find(spm_labels *l, const char *s, size_t len, core_err *e)
{
    size_t h;
    /* labels are C strings: a query with a NUL inside names none, and the
     * comparison below, which stops at a NUL, would read past a shorter label */
    if (memchr(s, '\0', len))
        return -1;
    if (!l->hslot && build_index(l, e))
        return -2;
    h = (size_t)hash(s, len) & (l->hcap - 1);
    while (l->hslot[h]) {
        const char *c = spm_label(l, l->hslot[h] - 1);
        if (strncmp(c, s, len) == 0 && c[len] == '\0')
            return (int64_t)l->hslot[h] - 1; /* the first of equal labels */
        h = (h + 1) & (l->hcap - 1);
    }
    return -1;
}

spm_labels *spm_labels_select(const spm_labels *l, const size_t *idx, size_t n, core_err *e)
{
    const char **s = core_malloc((n ? n : 1) * sizeof *s);
    size_t *len = core_malloc((n ? n : 1) * sizeof *len), i;
    spm_labels *r = NULL;
    if (!s || !len)
        core_err_nomem(e, "labels", (double)n * 16);
    else {
        for (i = 0; i < n; i++) {
            s[i] = spm_label(l, idx[i]);
            len[i] = strlen(s[i]);
        }
        r = spm_labels_new(n, s, len, e);
    }
    core_free(s);
    core_free(len);
    return r;
}

spm_labels *spm_labels_concat(const spm_labels *const *parts, const size_t *counts, size_t n, core_err *e)
{
    size_t total = 0, k, i, t = 0;
    const char **s;
    size_t *len;
    spm_labels *r = NULL;
    for (k = 0; k < n; k++)
        total += counts[k];
    s = core_malloc((total ? total : 1) * sizeof *s);
    len = core_malloc((total ? total : 1) * sizeof *len);
    if (!s || !len)
        core_err_nomem(e, "labels", (double)total * 16);
    else {
        for (k = 0; k < n; k++)
            for (i = 0; i < counts[k]; i++, t++) {
                s[t] = spm_label(parts[k], i);
                len[t] = strlen(s[t]);
            }
        r = spm_labels_new(total, s, len, e);
    }
    core_free(s);
    core_free(len);
    return r;
}

/* SimEc model files: "SIMECMDL", format version, the configuration, the
 * parameters (and optimiser state and S_ll when present), CRC32 of all that
 * precedes it. Little-endian fixed-width fields; every size is validated
 * against the file's length before anything is allocated. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "alloc.h"
#include "io.h"
#include "simec_impl.h"

#define MAGIC "SIMECMDL"
#define VERSION 1u

static uint32_t crc_table[256];

static void crc_init(void)
{
    uint32_t i, k, c;
    if (crc_table[1])
        return;
    for (i = 0; i < 256; i++) {
        for (c = i, k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_update(uint32_t crc, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    size_t i;
    crc = ~crc;
    for (i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

typedef struct wr {
    FILE *f;
    uint32_t crc;
    int err;
} wr;

static void put(wr *w, const void *p, size_t n)
{
    if (!w->err && fwrite(p, 1, n, w->f) != n)
        w->err = errno ? errno : EIO;
    w->crc = crc32_update(w->crc, p, n);
}

/* little-endian, whatever the host */
static void put_u64(wr *w, uint64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}

static void put_f64(wr *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put_u64(w, u);
}

static void put_floats(wr *w, const float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char b[4];
        uint32_t u;
        int k;
        memcpy(&u, &x[i], 4);
        for (k = 0; k < 4; k++)
            b[k] = (unsigned char)(u >> (8 * k));
        put(w, b, 4);
    }
}

static void put_doubles(wr *w, const double *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        put_f64(w, x[i]);
}

/* The configuration as a list of integers and a list of doubles, shared by save and load */
#define N_INTS (9 + 2 * SIMEC_MAX_HIDDEN)
#define N_DBLS 10

static void cfg_to(const simec_cfg *c, uint64_t *iv, double *dv)
{
    size_t h;
    iv[0] = (uint64_t)c->input, iv[1] = c->in_dim, iv[2] = c->emb_dim, iv[3] = c->out_dim, iv[4] = c->n_hidden;
    iv[5] = (uint64_t)c->ll_act, iv[6] = (uint64_t)c->loss, iv[7] = (uint64_t)c->missing, iv[8] = (uint64_t)c->opt;
    for (h = 0; h < SIMEC_MAX_HIDDEN; h++) {
        iv[9 + 2 * h] = c->hidden[h];
        iv[10 + 2 * h] = (uint64_t)c->hidden_act[h];
    }
    dv[0] = c->l2_reg, dv[1] = c->l2_reg_emb, dv[2] = c->l2_reg_out, dv[3] = c->s_ll_reg, dv[4] = c->orth_reg;
    dv[5] = c->lr, dv[6] = c->beta1, dv[7] = c->beta2, dv[8] = c->eps, dv[9] = c->momentum;
}

static int cfg_from(simec_cfg *c, const uint64_t *iv, const double *dv, uint64_t flags, uint64_t seed)
{
    size_t h;
    simec_cfg_default(c);
    if (iv[0] > SIMEC_IN_FEATURES || iv[4] > SIMEC_MAX_HIDDEN || iv[5] >= SIMEC_ACT_COUNT || iv[6] >= SIMEC_LOSS_COUNT ||
        iv[7] > SIMEC_MASK || iv[8] >= SIMEC_OPT_COUNT || seed > UINT32_MAX)
        return 0;
    c->input = (int)iv[0], c->in_dim = (size_t)iv[1], c->emb_dim = (size_t)iv[2], c->out_dim = (size_t)iv[3];
    c->n_hidden = (size_t)iv[4], c->ll_act = (int)iv[5], c->loss = (int)iv[6], c->missing = (int)iv[7];
    c->opt = (int)iv[8];
    for (h = 0; h < SIMEC_MAX_HIDDEN; h++) {
        if (iv[10 + 2 * h] >= SIMEC_ACT_COUNT)
            return 0;
        c->hidden[h] = (size_t)iv[9 + 2 * h];
        c->hidden_act[h] = (int)iv[10 + 2 * h];
    }
    for (h = 0; h < N_DBLS; h++)
        if (!isfinite(dv[h]))
            return 0;
    c->l2_reg = dv[0], c->l2_reg_emb = dv[1], c->l2_reg_out = dv[2], c->s_ll_reg = dv[3], c->orth_reg = dv[4];
    c->lr = dv[5], c->beta1 = dv[6], c->beta2 = dv[7], c->eps = dv[8], c->momentum = dv[9];
    c->wll_frozen = (int)(flags & 1);
    c->seed = (uint32_t)seed;
    return 1;
}

int simec_save(const simec *m, const char *path, core_err *e)
{
    io_atomic a;
    wr w;
    uint64_t iv[N_INTS];
    double dv[N_DBLS];
    size_t i;
    int rc;
    crc_init();
    if ((rc = io_atomic_open(&a, path, e)))
        return rc;
    memset(&w, 0, sizeof w);
    w.f = a.f;
    errno = 0;
    put(&w, MAGIC, 8);
    put_u64(&w, VERSION);
    cfg_to(&m->cfg, iv, dv);
    for (i = 0; i < N_INTS; i++)
        put_u64(&w, iv[i]);
    for (i = 0; i < N_DBLS; i++)
        put_f64(&w, dv[i]);
    /* flags: bit 0 frozen W_ll, bit 1 moments, bit 2 S_ll; bits 32-63 the epochs trained */
    put_u64(&w, (uint64_t)(m->cfg.wll_frozen ? 1 : 0) | (m->m1 ? 2 : 0) | (m->S_ll.st ? 4 : 0) |
                    ((uint64_t)(m->epochs & 0x7fffffff) << 32));
    put_u64(&w, m->cfg.seed);
    put_u64(&w, (uint64_t)m->step);
    put_u64(&w, m->n_params);
    put_doubles(&w, m->theta, m->n_params);
    if (m->m1) {
        put_floats(&w, m->m1, m->n_params);
        put_floats(&w, m->m2, m->n_params);
    }
    if (m->S_ll.st)
        for (i = 0; i < m->S_ll.rows; i++)
            put_doubles(&w, &MAT_AT(&m->S_ll, i, 0), m->S_ll.cols);
    {
        uint32_t crc = w.crc;
        unsigned char b[4];
        for (i = 0; i < 4; i++)
            b[i] = (unsigned char)(crc >> (8 * i));
        if (!w.err && fwrite(b, 1, 4, w.f) != 4)
            w.err = errno ? errno : EIO;
    }
    if (w.err)
        return io_atomic_fail(&a, w.err, e);
    return io_atomic_commit(&a, e);
}

typedef struct rd {
    const unsigned char *p;
    size_t n, pos;
} rd;

static uint64_t get_u64(rd *r)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
    r->pos += 8;
    return v;
}

static double get_f64(rd *r)
{
    uint64_t u = get_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

static void get_floats(rd *r, float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t u = 0;
        int k;
        for (k = 0; k < 4; k++)
            u |= (uint32_t)r->p[r->pos + (size_t)k] << (8 * k);
        r->pos += 4;
        memcpy(&x[i], &u, 4);
    }
}

static void get_doubles(rd *r, double *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        x[i] = get_f64(r);
}

#define HEADER_BYTES (8 + 8 + 8 * N_INTS + 8 * N_DBLS + 8 * 4)

int simec_load(simec *m, const char *path, core_err *e)
{
    FILE *f;
    struct stat st;
    unsigned char head[HEADER_BYTES], *buf = NULL;
    uint64_t iv[N_INTS], flags, seed, steps, epochs, np, expect, words;
    double dv[N_DBLS];
    simec_cfg cfg;
    rd r;
    size_t i;
    int rc;
    crc_init();
    memset(m, 0, sizeof *m);
    if (!(f = fopen(path, "rb")))
        return core_err_set(e, CORE_EIO, "load %s: %s", path, strerror(errno));
    if ((rc = io_not_dir(fileno(f), path, e))) {
        fclose(f);
        return rc;
    }
    if (fstat(fileno(f), &st) != 0 || st.st_size < (off_t)(HEADER_BYTES + 4) ||
        fread(head, 1, HEADER_BYTES, f) != HEADER_BYTES) {
        fclose(f);
        return core_err_set(e, CORE_EFORMAT, "load %s: not a SimEc model file (too short)", path);
    }
    if (memcmp(head, MAGIC, 8) != 0) {
        fclose(f);
        return core_err_set(e, CORE_EFORMAT, "load %s: not a SimEc model file (bad magic)", path);
    }
    r.p = head, r.n = HEADER_BYTES, r.pos = 8;
    if ((flags = get_u64(&r)) != VERSION) {
        fclose(f);
        return core_err_set(e, CORE_EFORMAT, "load %s: model file format version %llu, this simec reads %u", path,
                            (unsigned long long)flags, VERSION);
    }
    for (i = 0; i < N_INTS; i++)
        iv[i] = get_u64(&r);
    for (i = 0; i < N_DBLS; i++)
        dv[i] = get_f64(&r);
    flags = get_u64(&r), seed = get_u64(&r), steps = get_u64(&r), np = get_u64(&r);
    epochs = flags >> 32, flags &= 0xffffffffu;
    if (!cfg_from(&cfg, iv, dv, flags, seed) || flags > 7 || steps > INT64_MAX || epochs > 0x7fffffff) {
        fclose(f);
        return core_err_set(e, CORE_EFORMAT, "load %s: corrupted model header", path);
    }
    /* the sizes the header claims must add up to the file's length */
    /* parameters in double, moments in single precision, S_ll in double */
    words = np * ((flags & 2) ? 2 : 1);
    if (np > ((uint64_t)1 << 40) || ((flags & 4) && cfg.out_dim > ((uint64_t)1 << 20)))
        expect = 0;
    else {
        words += (flags & 4) ? (uint64_t)cfg.out_dim * cfg.out_dim : 0;
        expect = HEADER_BYTES + 8 * words + 4;
    }
    if (expect == 0 || (uint64_t)st.st_size != expect) {
        fclose(f);
        return core_err_set(e, CORE_EFORMAT, "load %s: file has %lld bytes, its header implies %llu (truncated or corrupted)",
                            path, (long long)st.st_size, (unsigned long long)expect);
    }
    /* the architecture's parameter count and the checksum, before anything
     * in proportion to the header's sizes is allocated */
    if ((rc = simec_layout(m, &cfg, e))) {
        char why[sizeof e->msg];
        fclose(f);
        if (!e)
            return rc;
        snprintf(why, sizeof why, "%s", e->msg); /* e->msg is also the destination */
        memset(m, 0, sizeof *m);
        return core_err_set(e, CORE_EFORMAT, "load %s: corrupted model header (%s)", path, why);
    }
    if (m->n_params != np) {
        size_t arch = m->n_params;
        memset(m, 0, sizeof *m);
        fclose(f);
        return core_err_set(e, CORE_EFORMAT, "load %s: %llu parameters stored, the architecture has %zu (corrupted)",
                            path, (unsigned long long)np, arch);
    }
    buf = core_malloc((size_t)expect); /* the file's own length */
    if (!buf) {
        memset(m, 0, sizeof *m);
        fclose(f);
        return core_err_nomem(e, "load", (double)expect);
    }
    memcpy(buf, head, HEADER_BYTES);
    if (fread(buf + HEADER_BYTES, 1, (size_t)expect - HEADER_BYTES, f) != (size_t)expect - HEADER_BYTES) {
        rc = core_err_set(e, CORE_EIO, "load %s: read error", path);
        goto fail;
    }
    {
        uint32_t want = crc32_update(0, buf, (size_t)expect - 4), got = 0;
        for (i = 0; i < 4; i++)
            got |= (uint32_t)buf[expect - 4 + i] << (8 * i);
        if (want != got) {
            rc = core_err_set(e, CORE_EFORMAT, "load %s: checksum mismatch (the file is corrupted)", path);
            goto fail;
        }
    }
    if (!(m->theta = core_malloc(m->n_params * sizeof(double)))) {
        rc = core_err_nomem(e, "load", (double)m->n_params * 8);
        goto fail;
    }
    r.p = buf, r.n = (size_t)expect, r.pos = HEADER_BYTES;
    get_doubles(&r, m->theta, m->n_params);
    if (flags & 2) {
        m->m1 = core_malloc(m->n_params * sizeof(float));
        m->m2 = core_malloc(m->n_params * sizeof(float));
        if (!m->m1 || !m->m2) {
            rc = core_err_nomem(e, "load", (double)m->n_params * 8);
            goto fail;
        }
        get_floats(&r, m->m1, m->n_params);
        get_floats(&r, m->m2, m->n_params);
    }
    if (flags & 4) {
        if ((rc = mat_init_uninit(&m->S_ll, cfg.out_dim, cfg.out_dim, e)))
            goto fail;
        get_doubles(&r, m->S_ll.x, cfg.out_dim * cfg.out_dim);
        simec_s_ll_prepare(m);
    }
    m->step = (int64_t)steps;
    m->epochs = (int64_t)epochs;
    core_free(buf);
    fclose(f);
    return CORE_OK;
fail:
    core_free(buf);
    simec_free(m);
    fclose(f);
    return rc;
}

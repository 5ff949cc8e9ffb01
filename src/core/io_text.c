/* Delimited triplet reader: two passes over the file with read() (count the
 * lines, then parse into exactly sized arrays), no per-line allocation; ids
 * are kept as string labels in order of first appearance. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "alloc.h"
#include "io.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CHUNK ((size_t)128) /* the fuzzer: fast runs, and lines across chunk boundaries all the time */
#else
#define CHUNK ((size_t)4 << 20)
#endif
#define MAXF IO_MAX_FIELDS
#define DENSE_MAX ((size_t)1 << 22)

void io_triplet_opts_default(io_triplet_opts *o)
{
    memset(o, 0, sizeof *o);
    o->row_field = 1;
    o->col_field = 2;
    o->val_field = 3;
    o->dup = SPM_DUP_ERROR;
}

/* id -> index: small canonical integers go through a direct table, anything
 * else through an open-addressing hash; both append to one label buffer. */
typedef struct idmap {
    int32_t *dense;
    size_t dcap;
    uint64_t *hkey;
    int32_t *hidx; /* index + 1; 0 empty */
    size_t hcap, hcount;
    char *buf;
    size_t blen, bcap;
    size_t *off;
    size_t n, ocap;
    int64_t last; /* previous id's index, -1 none */
    size_t last_len;
} idmap;

static void idmap_free(idmap *m)
{
    core_free(m->dense);
    core_free(m->hkey);
    core_free(m->hidx);
    core_free(m->buf);
    core_free(m->off);
    memset(m, 0, sizeof *m);
}

static uint64_t fnv(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    size_t i;
    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h | 1; /* never 0 */
}

static int grow(void **p, size_t *cap, size_t need, size_t elt)
{
    size_t nc = *cap ? *cap : 64;
    void *np;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elt)
            return 0;
        nc *= 2;
    }
    if (nc == *cap)
        return 1;
    np = core_realloc(*p, nc * elt);
    if (!np)
        return 0;
    *p = np;
    *cap = nc;
    return 1;
}

/* Appends a new label; returns its index or -1 (out of memory / too many). */
static int64_t idmap_add(idmap *m, const char *s, size_t len)
{
    if (m->n >= (size_t)SPM_IDX_MAX)
        return -1;
    if (!grow((void **)&m->buf, &m->bcap, m->blen + len + 1, 1) ||
        !grow((void **)&m->off, &m->ocap, m->n + 1, sizeof *m->off))
        return -1;
    memcpy(m->buf + m->blen, s, len);
    m->off[m->n] = m->blen;
    m->blen += len;
    m->buf[m->blen++] = '\0';
    return (int64_t)m->n++;
}

static int idmap_rehash(idmap *m)
{
    size_t nc = m->hcap ? m->hcap * 2 : 1024, i;
    uint64_t *nk = core_calloc(nc, sizeof *nk);
    int32_t *ni = core_calloc(nc, sizeof *ni);
    if (!nk || !ni) {
        core_free(nk);
        core_free(ni);
        return 0;
    }
    for (i = 0; i < m->hcap; i++)
        if (m->hidx[i]) {
            size_t h = (size_t)m->hkey[i] & (nc - 1);
            while (ni[h])
                h = (h + 1) & (nc - 1);
            nk[h] = m->hkey[i];
            ni[h] = m->hidx[i];
        }
    core_free(m->hkey);
    core_free(m->hidx);
    m->hkey = nk;
    m->hidx = ni;
    m->hcap = nc;
    return 1;
}

static int64_t idmap_lookup(idmap *m, const char *s, size_t len);

/* Consecutive lines usually repeat an id (files grouped by user): compare
 * with the previous id first. */
static int64_t idmap_get(idmap *m, const char *s, size_t len)
{
    int64_t idx;
    if (m->last >= 0 && len == m->last_len && memcmp(m->buf + m->off[m->last], s, len) == 0)
        return m->last;
    idx = idmap_lookup(m, s, len);
    if (idx >= 0) {
        m->last = idx;
        m->last_len = len;
    }
    return idx;
}

static int64_t idmap_lookup(idmap *m, const char *s, size_t len)
{
    size_t v = 0, i, h;
    uint64_t key;
    int canon = len > 0 && len <= 7 && (s[0] != '0' || len == 1);
    for (i = 0; canon && i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            canon = 0;
        else
            v = v * 10 + (size_t)(s[i] - '0');
    }
    if (canon && v < DENSE_MAX) {
        int64_t idx;
        if (v >= m->dcap) {
            size_t nc = m->dcap ? m->dcap : 1024, old = m->dcap;
            int32_t *nd;
            while (nc <= v)
                nc *= 2;
            nd = core_realloc(m->dense, nc * sizeof *nd);
            if (!nd)
                return -1;
            memset(nd + old, 0, (nc - old) * sizeof *nd);
            m->dense = nd;
            m->dcap = nc;
        }
        if (m->dense[v])
            return m->dense[v] - 1;
        if ((idx = idmap_add(m, s, len)) < 0)
            return -1;
        m->dense[v] = (int32_t)idx + 1;
        return idx;
    }
    if (m->hcount * 2 >= m->hcap && !idmap_rehash(m))
        return -1;
    key = fnv(s, len);
    h = (size_t)key & (m->hcap - 1);
    while (m->hidx[h]) {
        if (m->hkey[h] == key) {
            size_t k = (size_t)m->hidx[h] - 1;
            const char *l = m->buf + m->off[k];
            if (memcmp(l, s, len) == 0 && l[len] == '\0')
                return (int64_t)k;
        }
        h = (h + 1) & (m->hcap - 1);
    }
    {
        int64_t idx = idmap_add(m, s, len);
        if (idx < 0)
            return -1;
        m->hkey[h] = key;
        m->hidx[h] = (int32_t)idx + 1;
        m->hcount++;
        return idx;
    }
}

/* Moves the labels out of m (shrunk to size). */
static spm_labels *idmap_labels(idmap *m)
{
    char *b = core_realloc(m->buf, m->blen ? m->blen : 1);
    size_t *o = core_realloc(m->off, (m->n ? m->n : 1) * sizeof *o);
    spm_labels *l;
    if (b) m->buf = b;
    if (o) m->off = o;
    if (!m->buf && !(m->buf = core_malloc(1)))
        return NULL;
    if (!m->off && !(m->off = core_malloc(sizeof *m->off)))
        return NULL;
    l = spm_labels_from_buf(m->buf, m->off, m->n);
    if (l)
        m->buf = NULL, m->off = NULL;
    return l;
}

/* The number grammar of every text reader: [+-] digits [. digits] [(e|E)
 * [+-] digits], at least one mantissa digit; no hexadecimal, inf or nan,
 * which strtod would take. */
static int decimal_syntax(const char *s, size_t len)
{
    size_t i = 0, mant = 0, exp = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, mant++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, mant++;
    }
    if (mant == 0)
        return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, exp++;
        if (exp == 0)
            return 0;
    }
    return i == len;
}

const char *io_not_text(const char *s, size_t len)
{
    /* magics that begin text too are checked further: bzip2's block size
     * digit and its block's magic follow "BZh"; a Parquet file's first
     * page header, binary, follows "PAR1" */
    enum { PLAIN, BZIP2_BLOCK, BINARY_NEXT };
    static const char utf16[] = "UTF-16 text: save it as UTF-8 (iconv -f UTF-16 -t UTF-8 FILE)";
    static const struct {
        const char *magic;
        size_t len;
        int check;
        const char *what;
    } kinds[] = {
        {"\037\213", 2, PLAIN, "a gzip-compressed file: decompress it first (gunzip FILE)"},
        {"PK\003\004", 4, PLAIN,
         "a zip archive (an .xlsx workbook is one too): unpack it first (unzip FILE), or export the sheet as CSV"},
        {"BZh", 3, BZIP2_BLOCK, "a bzip2-compressed file: decompress it first (bunzip2 FILE)"},
        {"\3757zXZ\0", 6, PLAIN, "an xz-compressed file: decompress it first (unxz FILE)"},
        {"\050\265\057\375", 4, PLAIN, "a zstd-compressed file: decompress it first (unzstd FILE)"},
        {"\320\317\021\340\241\261\032\341", 8, PLAIN, "an Excel workbook (.xls): export the sheet as CSV"},
        {"PAR1", 4, BINARY_NEXT, "a Parquet file: write it out as CSV first (e.g. pandas: read_parquet(F).to_csv(...))"},
        {"\223NUMPY", 6, PLAIN, "a NumPy array (.npy): matrix.load_npy reads it; ratings and features are text"},
        {"\377\376", 2, PLAIN, utf16},
        {"\376\377", 2, PLAIN, utf16},
    };
    size_t k;
    for (k = 0; k < sizeof kinds / sizeof *kinds; k++)
        if (len >= kinds[k].len && memcmp(s, kinds[k].magic, kinds[k].len) == 0) {
            if (kinds[k].check == BZIP2_BLOCK &&
                (len < 10 || s[3] < '1' || s[3] > '9' || memcmp(s + 4, "1AY&SY", 6) != 0))
                continue;
            if (kinds[k].check == BINARY_NEXT && (len < 5 || s[4] == '\t' || (s[4] >= ' ' && s[4] <= '~')))
                continue;
            return kinds[k].what;
        }
    /* UTF-16 without a byte-order mark: every other byte of ASCII text is 0 */
    if (len >= 4 && ((s[0] && !s[1] && s[2] && !s[3]) || (!s[0] && s[1] && !s[2] && s[3])))
        return utf16;
    return NULL;
}

/* Decimal without exponent and at most 15 significant digits is exact
 * when computed as integer / 10^k (Clinger's fast path); the rest go to strtod. */
int io_parse_number(const char *s, size_t len, double *out)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0, digits = 0, frac = 0;
    uint64_t mant = 0;
    int neg = 0, dot = 0;
    char tmp[128], *end;
    if (len == 0)
        return 0;
    if (s[0] == '-' || s[0] == '+')
        neg = s[0] == '-', i = 1;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            mant = mant * 10 + (uint64_t)(c - '0');
            if (++digits > 15)
                break;
            frac += (size_t)dot;
        } else if (c == '.' && !dot)
            dot = 1;
        else
            break;
    }
    if (i == len && digits > 0 && frac <= 22) {
        double v = (double)mant / p10[frac];
        *out = neg ? -v : v;
        return 1;
    }
    if (len >= sizeof tmp || !decimal_syntax(s, len))
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    *out = strtod(tmp, &end);
    return end == tmp + len && isfinite(*out);
}

const char *io_number_why(const char *s, size_t len)
{
    size_t i = len && (s[0] == '-' || s[0] == '+') ? 1 : 0, digits = 0, commas = 0;
    for (; i < len; i++)
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == ',' && digits > 0 && i + 1 < len && commas == 0)
            commas++;
        else
            return NULL;
    return commas == 1 ? "a decimal comma? numbers take a point: 3.5" : NULL;
}

/* Whether a field that is not a number reads as a column's name (letters,
 * no digits, not a spelling of nan or infinity): on the first line, the
 * sign of a header */
static int name_like(const char *s, size_t len)
{
    static const char *const words[] = {"nan", "inf", "infinity", "+inf", "-inf", "+infinity", "-infinity"};
    size_t i, letters = 0, w;
    for (i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            return 0;
        letters += (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z');
    }
    for (w = 0; w < sizeof words / sizeof *words; w++)
        if (strlen(words[w]) == len && strncasecmp(words[w], s, len) == 0)
            return 0;
    return letters > 0;
}

/* Whether a field is all digits */
static int digits(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return len > 0;
}

typedef struct reader {
    const char *path;
    const io_triplet_opts *o;
    io_report *rep;
    core_err *e;
    char delim[8];
    size_t dlen;
    int ws, fields, need;
    int64_t lineno, blank_line, n, cap;
    int64_t comment_at; /* the first line that begins like a comment ("#", "%"), or 0 */
    char comment_mark;
    spm_idx *I, *J;
    double *X;
    idmap rows, cols;
    int64_t find_i, find_j, found[2]; /* find_i >= 0: store nothing, note the first two lines of
                                         (find_i, find_j) */
    char named[2][64]; /* without a value field: line 1's ids when both read as names, else "" */
} reader;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* split's answers for a malformed quoted field (below zero: no count) */
enum { SPLIT_UNTERMINATED = -1, SPLIT_ESCAPED = -2, SPLIT_AFTER_QUOTE = -3 };

/* What an empty value or id adds on a line of more fields than an entry
 * needs: a spreadsheet's table, a row per line and a column per field,
 * whose empty cells are missing entries */
#define WIDE_TABLE "a table with a row per line and a value per column? each line must hold one entry"

/* What a field-count error adds when a line so far began with "#" or
 * "%", a comment in other tools' formats: here every line is data, and
 * the comment line may have set the field count that a later line fails */
static const char *comment_hint(const reader *r, char *buf, size_t len)
{
    if (!r->comment_at)
        return "";
    snprintf(buf, len, " (line %lld begins with '%c': a comment? every line is read as data: remove it)",
             (long long)r->comment_at, r->comment_mark);
    return buf;
}

/* A line's fields: blank-separated, or at the delimiter, each trimmed of
 * spaces; with a delimiter a field in double quotes is the text between
 * them (the delimiter may occur inside). A doubled quote inside one would
 * need unescaping, which the readers do not do: an error, not a misread
 * id. */
static int split(const reader *r, const char *s, const char *end, const char **fs, size_t *fl)
{
    int n = 0;
    if (r->ws) {
        while (s < end) {
            const char *b;
            while (s < end && is_blank(*s))
                s++;
            if (s >= end)
                break;
            b = s;
            while (s < end && !is_blank(*s))
                s++;
            if (n < MAXF)
                fs[n] = b, fl[n] = (size_t)(s - b);
            n++;
        }
        return n;
    }
    for (;;) {
        const char *d = s, *b = s, *t;
        while (b < end && *b == ' ' && !(b + r->dlen <= end && memcmp(b, r->delim, r->dlen) == 0))
            b++;
        if (b < end && *b == '"') { /* a quoted field (CSV): delimiters inside are its own */
            const char *q = b + 1;
            while (q < end && *q != '"')
                q++;
            if (q >= end)
                return SPLIT_UNTERMINATED;
            if (q + 1 < end && q[1] == '"')
                return SPLIT_ESCAPED;
            if (n < MAXF)
                fs[n] = b + 1, fl[n] = (size_t)(q - b - 1);
            n++;
            d = q + 1;
            while (d < end && *d == ' ')
                d++;
            if (d >= end)
                return n;
            if (!(d + r->dlen <= end && memcmp(d, r->delim, r->dlen) == 0))
                return SPLIT_AFTER_QUOTE;
            s = d + r->dlen;
            continue;
        }
        if (r->dlen == 1) { /* fields are short: a plain loop beats memchr's call */
            char c = r->delim[0];
            while (d < end && *d != c)
                d++;
        } else {
            while (d < end && !(d + r->dlen <= end && memcmp(d, r->delim, r->dlen) == 0))
                d++;
        }
        b = s, t = d;
        while (b < t && *b == ' ')
            b++;
        while (t > b && t[-1] == ' ')
            t--;
        if (n < MAXF)
            fs[n] = b, fl[n] = (size_t)(t - b);
        n++;
        if (d >= end)
            return n;
        s = d + r->dlen;
    }
}

/* Whether delimiter c occurs in the line outside double quotes */
static int holds(const char *s, size_t len, const char *c)
{
    size_t cl = strlen(c), i;
    int quoted = 0; /* a delimiter inside a quoted field is text */
    for (i = 0; i + cl <= len; i++)
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && memcmp(s + i, c, cl) == 0)
            return 1;
    return 0;
}

static void use_delim(reader *r, const char *c)
{
    strcpy(r->delim, c);
    r->dlen = strlen(c);
    r->ws = 0;
}

/* a delimiter the caller gave (shorter than r->delim): " " is any run of blanks */
static void given_delim(reader *r, const char *c)
{
    use_delim(r, c);
    r->ws = strcmp(c, " ") == 0;
}

/* The delimiter, from the first line: the first candidate the line holds
 * that splits it into the fields the reader needs, so that the comma of
 * "1;2;3,5" is not taken for one; else blanks if they do; else the first
 * candidate the line holds (the caller then reports the short line). */
static void detect(reader *r, const char *s, const char *end)
{
    static const char *cand[] = {"::", "\t", ",", "|", ";"};
    const char *fs[MAXF];
    size_t fl[MAXF], k, len = (size_t)(end - s);
    int first = -1, n;
    for (k = 0; k < sizeof cand / sizeof *cand; k++) {
        if (!holds(s, len, cand[k]))
            continue;
        use_delim(r, cand[k]);
        n = split(r, s, end, fs, fl);
        if (n < 0 || n >= r->need) /* malformed quotes: the caller names them */
            return;
        if (first < 0)
            first = (int)k;
    }
    strcpy(r->delim, " ");
    r->dlen = 1;
    r->ws = 1;
    if (first >= 0 && split(r, s, end, fs, fl) < r->need)
        use_delim(r, cand[first]);
}

int io_split_line(const char *s, size_t len, const char *delim, int need, char *used, const char **starts,
                  size_t *lens)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.need = need < 1 ? 1 : need > MAXF ? MAXF : need;
    if (delim && *delim && strlen(delim) < sizeof r.delim)
        given_delim(&r, delim);
    else
        detect(&r, s, s + len);
    strcpy(used, r.delim);
    return split(&r, s, s + len, starts, lens);
}

static void show(char *buf, size_t len, const char *s, size_t n)
{
    size_t i, k = 0;
    for (i = 0; i < n && k + 4 < len && i < 40; i++)
        buf[k++] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
    if (i < n && k + 4 < len)
        buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
    buf[k] = '\0';
}

/* A bad line: fail, or count and skip it with skip_bad. */
static int bad(reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int bad(reader *r, const char *fmt, ...)
{
    char msg[300];
    int k;
    va_list ap;
    k = snprintf(msg, sizeof msg, "%s:%lld: ", r->path, (long long)r->lineno);
    va_start(ap, fmt);
    vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
    va_end(ap);
    if (r->o->skip_bad) {
        if (r->rep->skipped++ == 0)
            strcpy(r->rep->first_skipped, msg);
        return CORE_OK;
    }
    return core_err_set(r->e, CORE_EFORMAT, "%s", msg);
}

static int line(reader *r, const char *s, const char *end)
{
    const char *fs[MAXF];
    size_t fl[MAXF];
    int nf;
    int64_t ri, ci;
    double v = 1.0;
    char shown[64];
    const char *what;
    char comment[128];
    r->lineno++;
    if (end > s && end[-1] == '\r')
        end--;
    what = r->lineno == 1 ? io_not_text(s, (size_t)(end - s)) : NULL;
    if (what) /* never skipped: no line of it is text */
        return core_err_set(r->e, CORE_EFORMAT, "%s: %s", r->path, what);
    if (r->lineno == 1 && end - s >= 3 && memcmp(s, "\357\273\277", 3) == 0) {
        s += 3; /* a UTF-8 byte-order mark, not part of the first id */
        r->rep->bom = 1;
    }
    if (end > s && memchr(s, '\0', (size_t)(end - s))) /* ids are text: a NUL would cut one short */
        return bad(r, "a NUL byte in the line");
    if (r->lineno == 1 && r->o->header)
        return CORE_OK;
    {
        const char *t = s;
        while (t < end && is_blank(*t))
            t++;
        if (t == end) {
            if (!r->blank_line)
                r->blank_line = r->lineno;
            return CORE_OK;
        }
    }
    if (r->blank_line) {
        int64_t at = r->lineno;
        int rc;
        r->lineno = r->blank_line;
        r->blank_line = 0;
        rc = bad(r, "blank line");
        r->lineno = at;
        if (rc)
            return rc;
    }
    if (!r->dlen)
        detect(r, s, end);
    nf = split(r, s, end, fs, fl);
    if (nf < 0)
        return bad(r, "%s", nf == SPLIT_UNTERMINATED ? "a quoted field without its closing quote"
                            : nf == SPLIT_ESCAPED  ? "a doubled quote inside a quoted field (not supported)"
                                                   : "text after a quoted field's closing quote");
    if (!r->comment_at && (*s == '#' || *s == '%'))
        r->comment_at = r->lineno, r->comment_mark = *s;
    if (!r->fields) {
        r->fields = nf;
        if (nf < r->need) {
            return core_err_set(r->e, CORE_EFORMAT,
                                "%s:%lld: expected at least %d fields (delimiter '%s'), got %d%s",
                                r->path, (long long)r->lineno, r->need,
                                r->ws ? "blanks" : strcmp(r->delim, "\t") == 0 ? "\\t" : r->delim, nf,
                                comment_hint(r, comment, sizeof comment));
        }
    }
    if (nf != r->fields)
        return bad(r, "expected %d fields, got %d%s", r->fields, nf, comment_hint(r, comment, sizeof comment));
    if (r->o->val_field > 0) {
        int f = r->o->val_field - 1;
        if (!io_parse_number(fs[f], fl[f], &v)) {
            const char *why = r->lineno == 1 && name_like(fs[f], fl[f]) ? "a header line? pass header = true"
                              : fl[f] == 0 && nf > r->need + 1      ? WIDE_TABLE
                                                                    : io_number_why(fs[f], fl[f]);
            show(shown, sizeof shown, fs[f], fl[f]);
            return bad(r, "bad number '%s' in field %d%s%s%s", shown, f + 1, why ? " (" : "", why ? why : "",
                       why ? ")" : "");
        }
    }
    if (fl[r->o->row_field - 1] == 0 || fl[r->o->col_field - 1] == 0)
        return bad(r, "empty id in field %d%s", fl[r->o->row_field - 1] == 0 ? r->o->row_field : r->o->col_field,
                   nf > r->need + 1 ? " (" WIDE_TABLE ")" : "");
    if (r->dlen > 1) { /* "1:::1193" with "::" would give the id ":1193" */
        int k;
        for (k = 0; k < 2; k++) {
            int f = (k ? r->o->col_field : r->o->row_field) - 1;
            if (strchr(r->delim, fs[f][0]) || strchr(r->delim, fs[f][fl[f] - 1])) {
                show(shown, sizeof shown, fs[f], fl[f]);
                return bad(r, "id '%s' in field %d begins or ends with a character of the delimiter '%s'", shown,
                           f + 1, r->delim);
            }
        }
    }
    if (r->o->val_field == 0 && !r->o->header && r->find_i < 0 && r->n < 2) {
        /* no value to fail on a header's names: ids that read as names on
         * line 1 above numeric ids on the next line are a header's */
        int lo = (r->o->row_field < r->o->col_field ? r->o->row_field : r->o->col_field) - 1;
        int hi = (r->o->row_field < r->o->col_field ? r->o->col_field : r->o->row_field) - 1;
        if (r->n == 0 && r->lineno == 1 && name_like(fs[lo], fl[lo]) && name_like(fs[hi], fl[hi])) {
            show(r->named[0], sizeof r->named[0], fs[lo], fl[lo]);
            show(r->named[1], sizeof r->named[1], fs[hi], fl[hi]);
        } else if (r->n == 1 && r->named[0][0] && digits(fs[lo], fl[lo]) && digits(fs[hi], fl[hi]))
            return core_err_set(r->e, CORE_EFORMAT,
                                "%s:1: '%s' and '%s' would be ids, and line %lld's are numbers (a header line? pass "
                                "header = true)",
                                r->path, r->named[0], r->named[1], (long long)r->lineno);
    }
    if (r->find_i >= 0) { /* by text: the id maps' tables of numeric ids are gone by then */
        const char *a = r->rows.buf + r->rows.off[r->find_i], *b = r->cols.buf + r->cols.off[r->find_j];
        int f = r->o->row_field - 1, g = r->o->col_field - 1;
        if (strlen(a) == fl[f] && memcmp(a, fs[f], fl[f]) == 0 && strlen(b) == fl[g] && memcmp(b, fs[g], fl[g]) == 0) {
            if (!r->found[0])
                r->found[0] = r->lineno;
            else if (!r->found[1])
                r->found[1] = r->lineno;
        }
        return CORE_OK;
    }
    ri = idmap_get(&r->rows, fs[r->o->row_field - 1], fl[r->o->row_field - 1]);
    ci = idmap_get(&r->cols, fs[r->o->col_field - 1], fl[r->o->col_field - 1]);
    if (ri < 0 || ci < 0)
        return core_err_nomem(r->e, r->path, (double)(r->rows.bcap + r->cols.bcap) * 2);
    if (r->n >= r->cap)
        return core_err_set(r->e, CORE_EIO, "%s: the file grew while it was read", r->path);
    r->I[r->n] = (spm_idx)ri;
    r->J[r->n] = (spm_idx)ci;
    r->X[r->n] = v;
    r->n++;
    return CORE_OK;
}

/* Newlines in b[0..n), eight bytes at a time: a byte of w ^ "\n\n..." is
 * zero exactly where the high bit of the expression below is set. */
static int64_t count_newlines(const char *b, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f7f7f7f7f7f7f7full;
    int64_t c = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, x, y;
        memcpy(&w, b + i, 8);
        x = w ^ (ones * '\n');
        y = ~(((x & low7) + low7) | x | low7);
        c += (int64_t)(((y >> 7) * ones) >> 56);
    }
    for (; i < n; i++)
        c += b[i] == '\n';
    return c;
}

/* Carriage returns not followed by '\n' in b[0..n): line ends of old Mac
 * files (one at the very end counts: the scan needs an upper bound only). */
static int64_t count_lone_cr(const char *b, size_t n)
{
    int64_t c = 0;
    const char *p = b, *end = b + n;
    while ((p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
        if (p + 1 == end || p[1] != '\n')
            c++;
        p++;
    }
    return c;
}

/* Calls line() on each line (without its end); count_only counts an upper
 * bound of the lines. */
static int scan(reader *r, int fd, char *buf, int count_only, int64_t *count)
{
    size_t have = 0;
    int rc;
    *count = 0;
    for (;;) {
        ssize_t got = read(fd, buf + have, CHUNK - have);
        size_t total;
        char *p, *nl, *end;
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return core_err_set(r->e, CORE_EIO, "%s: read error: %s", r->path, strerror(errno));
        }
        if (core_interrupted())
            return core_err_set(r->e, CORE_EINTR, "interrupted!");
        total = have + (size_t)got;
        end = buf + total;
        p = buf;
        if (count_only) {
            *count += count_newlines(buf + have, total - have) + count_lone_cr(buf + have, total - have);
            if (got == 0) {
                if (have)
                    (*count)++;
                return CORE_OK;
            }
            have = total && buf[total - 1] != '\n' ? 1 : 0; /* remember a partial last line */
            if (have)
                buf[0] = 'x';
            continue;
        }
        /* lines end at "\n", "\r\n" or a lone "\r" (old Mac files) */
        for (;;) {
            char *eol, *next, *cr;
            nl = memchr(p, '\n', (size_t)(end - p));
            cr = memchr(p, '\r', (size_t)((nl ? nl : end) - p));
            if (cr) {
                if (cr + 1 == end && got != 0)
                    break; /* its '\n', if any, comes with the next read */
                eol = cr;
                next = cr + 1 < end && cr[1] == '\n' ? cr + 2 : cr + 1;
            } else if (nl) {
                eol = nl;
                next = nl + 1;
            } else
                break;
            if ((rc = line(r, p, eol)))
                return rc;
            p = next;
        }
        if (got == 0) {
            if (p < end && (rc = line(r, p, end)))
                return rc;
            return CORE_OK;
        }
        have = (size_t)(end - p);
        if (have == CHUNK)
            return core_err_set(r->e, CORE_EFORMAT, "%s:%lld: line longer than %zu bytes", r->path,
                                (long long)r->lineno + 1, CHUNK);
        memmove(buf, p, have);
    }
}

/* order[l] = CSR position of line l's (row, col). Lines are grouped by row
 * (a counting sort), and each row's columns are looked up in a table
 * indexed by column, so no search per line. */
static int line_positions(const spm *A, const spm_idx *oi, const spm_idx *oj, int64_t n, int64_t **orderp,
                          core_err *e)
{
    int64_t *order = core_malloc((size_t)(n ? n : 1) * sizeof *order), *cursor = NULL, *poscol = NULL, l, r;
    uint32_t *byrow = NULL;
    spm_ptr k;
    int rc = CORE_OK;
    cursor = core_calloc((size_t)A->rows + 1, sizeof *cursor);
    poscol = core_malloc((size_t)(A->cols ? A->cols : 1) * sizeof *poscol);
    byrow = core_malloc((size_t)(n ? n : 1) * sizeof *byrow);
    if (!order || !cursor || !poscol || !byrow || n > (int64_t)UINT32_MAX) {
        rc = core_err_nomem(e, "order", (double)n * 12);
        core_free(order);
        goto done;
    }
    for (l = 0; l < n; l++)
        cursor[oi[l] + 1]++;
    for (r = 0; r < A->rows; r++)
        cursor[r + 1] += cursor[r];
    for (l = 0; l < n; l++)
        byrow[cursor[oi[l]]++] = (uint32_t)l;
    /* cursor[r] is now the end of row r's lines, i.e. the start of row r + 1's */
    for (r = 0, l = 0; r < A->rows; r++) {
        for (k = A->p[r]; k < A->p[r + 1]; k++)
            poscol[A->j[k]] = k;
        for (; l < cursor[r]; l++)
            order[byrow[l]] = poscol[oj[byrow[l]]];
    }
    *orderp = order;
done:
    core_free(cursor);
    core_free(poscol);
    core_free(byrow);
    return rc;
}

/* The error for a (row, column) given twice: a second scan of the file
 * finds the two lines (an error path, so its cost does not matter) */
static int duplicate_lines(reader *r, int64_t i, int64_t j)
{
    const char *ri = r->rows.buf + r->rows.off[i], *ci = r->cols.buf + r->cols.off[j];
    char *buf = core_malloc(CHUNK);
    int fd = open(r->path, O_RDONLY);
    int64_t lines;
    core_err scan_err;
    core_err *keep = r->e;
    if (fd >= 0 && buf) {
        r->find_i = i, r->find_j = j, r->found[0] = r->found[1] = 0;
        r->lineno = r->blank_line = 0;
        r->e = &scan_err;
        scan(r, fd, buf, 0, &lines);
        r->e = keep;
    }
    if (fd >= 0)
        close(fd);
    core_free(buf);
    if (r->found[1])
        return core_err_set(r->e, CORE_EFORMAT,
                            "%s:%lld: row id '%s', column id '%s' again (first on line %lld; pass duplicates = "
                            "\"mean\" or \"sum\" to combine them)",
                            r->path, (long long)r->found[1], ri, ci, (long long)r->found[0]);
    return core_err_set(r->e, CORE_EFORMAT,
                        "%s: row id '%s', column id '%s' on two lines (pass duplicates = \"mean\" or \"sum\" to "
                        "combine them)", r->path, ri, ci);
}

int io_read_triplets(spm *A, const char *path, const io_triplet_opts *o, io_report *rep, core_err *e)
{
    reader r;
    io_report dummy;
    core_err dup_err; /* spm_from_triplets_owned's, for the ids of a duplicate */
    spm_idx *oi = NULL, *oj = NULL;
    char *buf = NULL;
    int fd, rc;
    int64_t lines;
    memset(A, 0, sizeof *A);
    memset(&r, 0, sizeof r);
    memset(&dup_err, 0, sizeof dup_err);
    dup_err.at[0] = dup_err.at[1] = -1;
    if (!rep)
        rep = &dummy;
    memset(rep, 0, sizeof *rep);
    r.path = path, r.o = o, r.rep = rep, r.e = e;
    r.rows.last = r.cols.last = -1;
    r.find_i = -1;
    if (o->row_field < 1 || o->col_field < 1 || o->val_field < 0 || o->row_field > MAXF ||
        o->col_field > MAXF || o->val_field > MAXF || o->row_field == o->col_field ||
        o->val_field == o->row_field || o->val_field == o->col_field)
        return core_err_set(e, CORE_EINVAL, "%s: bad field numbers (row %d, col %d, value %d; 1..%d, distinct)",
                            path, o->row_field, o->col_field, o->val_field, MAXF);
    r.need = o->row_field > o->col_field ? o->row_field : o->col_field;
    if (o->val_field > r.need)
        r.need = o->val_field;
    /* a fixed field count must cover every field read: each line is checked
     * against it, and fields past it are never split out */
    if (o->fields != 0 && (o->fields < r.need || o->fields > MAXF))
        return core_err_set(e, CORE_EINVAL, "%s: fields = %d, but the row, column and value fields reach field %d "
                            "(fields must be %d..%d)", path, o->fields, r.need, r.need, MAXF);
    r.fields = o->fields;
    if (o->delim && *o->delim) {
        if (strlen(o->delim) >= sizeof r.delim)
            return core_err_set(e, CORE_EINVAL, "delimiter '%s' is too long", o->delim);
        given_delim(&r, o->delim);
    }
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return core_err_set(e, CORE_EIO, "%s: %s", path, strerror(errno));
    if ((rc = io_not_dir(fd, path, e))) {
        close(fd);
        return rc;
    }
    buf = core_malloc(CHUNK);
    if (!buf) {
        close(fd);
        return core_err_nomem(e, path, (double)CHUNK);
    }
    if ((rc = scan(&r, fd, buf, 1, &lines)))
        goto done;
    if (lseek(fd, 0, SEEK_SET) != 0) {
        rc = core_err_set(e, CORE_EIO, "%s: cannot rewind (not a regular file?)", path);
        goto done;
    }
    r.cap = lines;
    r.I = core_malloc((size_t)(lines ? lines : 1) * sizeof *r.I);
    r.J = core_malloc((size_t)(lines ? lines : 1) * sizeof *r.J);
    r.X = core_malloc((size_t)(lines ? lines : 1) * sizeof *r.X);
    if (!r.I || !r.J || !r.X) {
        rc = core_err_nomem(e, path, (double)lines * 16);
        goto done;
    }
    if ((rc = scan(&r, fd, buf, 0, &lines)))
        goto done;
    buf = core_free(buf);
    close(fd);
    fd = -1;
    rep->lines = r.n;
    if (r.ws)
        strcpy(rep->delim, " ");
    else
        strcpy(rep->delim, r.delim);
    core_free(r.rows.dense), r.rows.dense = NULL;
    core_free(r.cols.dense), r.cols.dense = NULL;
    if (o->keep_order) { /* remember (row, col) of each line to find its CSR position */
        oi = core_malloc((size_t)(r.n ? r.n : 1) * sizeof *oi);
        oj = core_malloc((size_t)(r.n ? r.n : 1) * sizeof *oj);
        if (!oi || !oj) {
            rc = core_err_nomem(e, path, (double)r.n * 8);
            goto done;
        }
        memcpy(oi, r.I, (size_t)r.n * sizeof *oi);
        memcpy(oj, r.J, (size_t)r.n * sizeof *oj);
    }
    rc = spm_from_triplets_owned(A, (int64_t)r.rows.n, (int64_t)r.cols.n, &r.I, &r.J, &r.X, r.n, o->dup, &dup_err);
    if (rc) {
        if (rc == CORE_EINVAL && dup_err.at[0] >= 0)
            rc = duplicate_lines(&r, dup_err.at[0], dup_err.at[1]);
        else if (e)
            *e = dup_err;
        goto done;
    }
    if (o->keep_order && (rc = line_positions(A, oi, oj, r.n, &rep->order, e))) {
        spm_free(A);
        goto done;
    }
    A->rlab = idmap_labels(&r.rows);
    A->clab = idmap_labels(&r.cols);
    if (!A->rlab || !A->clab) {
        spm_free(A);
        rc = core_err_nomem(e, path, (double)(r.rows.blen + r.cols.blen));
    }
done:
    if (fd >= 0)
        close(fd);
    core_free(oi);
    core_free(oj);
    core_free(buf);
    core_free(r.I);
    core_free(r.J);
    core_free(r.X);
    idmap_free(&r.rows);
    idmap_free(&r.cols);
    return rc;
}

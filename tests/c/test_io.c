#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "check.h"
#include "alloc.h"
#include "io.h"

static char dir[] = "/tmp/simec_test_io_XXXXXX";

/* a file of len bytes (they may hold NULs) */
static const char *fixture_n(const char *name, const char *bytes, size_t len)
{
    static char path[256];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    fwrite(bytes, 1, len, f);
    fclose(f);
    return path;
}

static const char *fixture(const char *name, const char *text)
{
    return fixture_n(name, text, strlen(text));
}

/* the triplet reader's result on a literal of bytes, NULs included */
#define READ_BYTES(A, name, lit, o, rep, e) io_read_triplets(A, fixture_n(name, lit, sizeof lit - 1), o, rep, e)

static int read_t(spm *A, const char *name, const char *text, io_triplet_opts *o, io_report *rep, core_err *e)
{
    io_triplet_opts d;
    if (!o) {
        io_triplet_opts_default(&d);
        o = &d;
    }
    return io_read_triplets(A, fixture(name, text), o, rep, e);
}

static void test_movielens_like(void)
{
    spm A;
    io_report rep;
    core_err e;
    CHECK(read_t(&A, "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n", NULL, &rep, &e) == CORE_OK);
    CHECK(A.rows == 2 && A.cols == 3 && SPM_NNZ(&A) == 3 && rep.lines == 3);
    CHECK(strcmp(rep.delim, "\t") == 0);
    CHECK(strcmp(spm_label(A.rlab, 0), "196") == 0 && strcmp(spm_label(A.clab, 2), "377") == 0);
    CHECK(spm_get(&A, 0, 2) == 1 && spm_get(&A, 1, 1) == 3);
    spm_free(&A);
}

static void test_formats(void)
{
    spm A;
    io_triplet_opts o;
    io_report rep;
    core_err e;
    /* ML-1M style '::' */
    CHECK(read_t(&A, "r.dat", "1::1193::5::978300760\n1::661::3.5::978302109\n", NULL, &rep, &e) == CORE_OK);
    CHECK(strcmp(rep.delim, "::") == 0 && spm_get(&A, 0, 1) == 3.5);
    spm_free(&A);
    /* CSV with a header, CRLF line ends, no final newline, string ids, value field 4 */
    io_triplet_opts_default(&o);
    o.header = 1;
    o.val_field = 4;
    CHECK(read_t(&A, "r.csv", "user,item,x,rating\r\nu1, i9 ,0,4.25\r\nu2,i9,0,-1e-3", &o, &rep, &e) == CORE_OK);
    CHECK(A.rows == 2 && A.cols == 1 && spm_get(&A, 1, 0) == -1e-3 && spm_get(&A, 0, 0) == 4.25);
    CHECK(strcmp(spm_label(A.clab, 0), "i9") == 0);
    spm_free(&A);
    /* whitespace runs, binary data (no value field), column order swapped */
    io_triplet_opts_default(&o);
    o.delim = " ";
    o.row_field = 2;
    o.col_field = 1;
    o.val_field = 0;
    CHECK(read_t(&A, "w.txt", "a   x\n  b\tx  \n", &o, &rep, &e) == CORE_OK);
    CHECK(A.rows == 1 && A.cols == 2 && spm_get(&A, 0, 1) == 1.0);
    spm_free(&A);
    /* numbers: exactness of the fast path and the strtod fallback */
    CHECK(read_t(&A, "n.txt", "1|1|0.1\n1|2|123456789012345678\n1|3|2.5e3\n1|4|.5\n", NULL, &rep, &e) == CORE_OK);
    CHECK(spm_get(&A, 0, 0) == 0.1 && spm_get(&A, 0, 1) == 123456789012345678.0);
    CHECK(spm_get(&A, 0, 2) == 2500 && spm_get(&A, 0, 3) == 0.5);
    spm_free(&A);
}

static void test_errors(void)
{
    spm A;
    io_triplet_opts o;
    io_report rep;
    core_err e;
    CHECK(read_t(&A, "u.data", "1\t2\t3\t4\n1\t3\t5\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "u.data:2: expected 4 fields, got 3");
    CHECK(read_t(&A, "u.data", "1\t2\t3\n1\t3\tx5\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "u.data:2: bad number 'x5' in field 3");
    CHECK(read_t(&A, "h.csv", "user,item,rating\n1,2,3\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "h.csv:1: bad number 'rating' in field 3 (a header line? pass header = true)");
    CHECK(read_t(&A, "d.txt", "1,2,3\n1,2,4\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "d.txt:2: row id '1', column id '2' again (first on line 1; pass duplicates = \"mean\" or \"sum\"");
    /* both lines by their numbers in the file: after a header, a skipped line, other ids, ids that share a prefix */
    io_triplet_opts_default(&o);
    o.header = 1, o.skip_bad = 1;
    CHECK(read_t(&A, "d.csv", "u,i,r\n10,2,3\n1,2,3\nx,y\n10,22,1\n1,2,4\n", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "d.csv:6: row id '1', column id '2' again (first on line 3;");
    /* without a value field, names on line 1 above numbers on line 2 are a header (after a BOM too) */
    io_triplet_opts_default(&o);
    o.val_field = 0;
    CHECK(read_t(&A, "p.tsv", "\357\273\277user\titem\n1\t2\n", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "p.tsv:1: 'user' and 'item' would be ids, and line 2's are numbers (a header line? pass header = true)");
    CHECK(read_t(&A, "p.tsv", "user\titem\nu1\t2\n", &o, &rep, &e) == CORE_OK);
    spm_free(&A);
    /* three copies: the first two are named */
    CHECK(read_t(&A, "t.txt", "1,2,3\n5,5,5\n1,2,4\n1,2,5\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "t.txt:3: row id '1', column id '2' again (first on line 1;");
    CHECK(read_t(&A, "b.txt", "1,2,3\n\n1,3,4\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "b.txt:2: blank line");
    CHECK(read_t(&A, "f.txt", "1,2\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "f.txt:1: expected at least 3 fields (delimiter ',')");
    /* a decimal comma is not the delimiter: the one that gives the fields is, and the number is refused */
    CHECK(read_t(&A, "c.csv", "1;2;3,5\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "c.csv:1: bad number '3,5' in field 3 (a decimal comma? numbers take a point: 3.5)");
    CHECK(read_t(&A, "c.txt", "1 2 -3,5\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "c.txt:1: bad number '-3,5' in field 3 (a decimal comma?");
    CHECK(read_t(&A, "c.csv", "1;2;3,5x\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "c.csv:1: bad number '3,5x' in field 3");
    CHECK(strstr(e.msg, "decimal") == NULL);
    CHECK(read_t(&A, "c.csv", "1;2;3.5\n4;2;1\n", NULL, &rep, &e) == CORE_OK && spm_get(&A, 0, 0) == 3.5);
    spm_free(&A);
    /* the first candidate that gives the fields wins, as before: commas inside quotes are text */
    CHECK(read_t(&A, "q.csv", "\"a,b\",c,1\n", NULL, &rep, &e) == CORE_OK && SPM_NNZ(&A) == 1);
    CHECK(strcmp(spm_label(A.rlab, 0), "a,b") == 0);
    spm_free(&A);
    CHECK(read_t(&A, "p.txt", "1|2,5|3\n", NULL, &rep, &e) == CORE_OK && spm_get(&A, 0, 0) == 3);
    CHECK(strcmp(spm_label(A.clab, 0), "2,5") == 0);
    spm_free(&A);
    /* a file that is not text is named, even when bad lines are skipped; text that begins "BZh" or "PAR1" is
     * read */
    io_triplet_opts_default(&o);
    o.skip_bad = 1;
    CHECK(read_t(&A, "r.gz", "\037\213\010x\n1,2,3\n", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "r.gz: a gzip-compressed file: decompress it first (gunzip FILE)");
    CHECK(read_t(&A, "r.zip", "PK\003\004x\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "r.zip: a zip archive (an .xlsx workbook is one too): unpack it first");
    CHECK(read_t(&A, "r.bz2", "BZh91AY&SYx\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "r.bz2: a bzip2-compressed file");
    CHECK(io_not_text("\3757zXZ\000\000", 7) && strstr(io_not_text("\3757zXZ\000\000", 7), "an xz-compressed"));
    CHECK(read_t(&A, "r.zst", "\050\265\057\375x\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "r.zst: a zstd-compressed file");
    CHECK(read_t(&A, "bz.txt", "BZh1,2,3\n", NULL, &rep, &e) == CORE_OK && SPM_NNZ(&A) == 1);
    spm_free(&A);
    CHECK(io_not_text("\037", 1) == NULL && io_not_text("", 0) == NULL);
    /* Excel's "Unicode text" (UTF-16 with or without its mark), workbooks, Parquet and .npy files */
    CHECK(READ_BYTES(&A, "u.txt", "\377\3761\0\t\0002\0\n\0", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "u.txt: UTF-16 text: save it as UTF-8 (iconv -f UTF-16 -t UTF-8 FILE)");
    CHECK(READ_BYTES(&A, "u.txt", "1\0,\0002\0,\0003\0\n\0", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "u.txt: UTF-16 text");
    CHECK(READ_BYTES(&A, "u.txt", "\0001\0,\0002\0,\0003\0\n", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "u.txt: UTF-16 text");
    CHECK(read_t(&A, "r.xls", "\320\317\021\340\241\261\032\341\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "r.xls: an Excel workbook (.xls): export the sheet as CSV");
    CHECK(read_t(&A, "r.parquet", "PAR1\025\004\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "r.parquet: a Parquet file");
    CHECK(READ_BYTES(&A, "r.npy", "\223NUMPY\001\0\n", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "r.npy: a NumPy array (.npy): matrix.load_npy reads it");
    CHECK(read_t(&A, "par.txt", "PAR1\t2\t3\nPAR1,2\n", &o, &rep, &e) == CORE_OK && SPM_NNZ(&A) == 1);
    spm_free(&A);
    /* a spreadsheet's table (a row per line, a value per column) fails at its first empty cell, and says so; a
     * triplet line with one more field (a timestamp) and an empty value does not get that hint */
    io_triplet_opts_default(&o);
    o.header = 1;
    CHECK(read_t(&A, "w.csv", "user,A,B,C,D\nu1,5,,3,1\n", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "w.csv:2: bad number '' in field 3 (a table with a row per line and a value per column? each line "
                 "must hold one entry)");
    CHECK(read_t(&A, "w.csv", "user,A,B,C,D\nu1,,5,3,1\n", &o, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "w.csv:2: empty id in field 2 (a table with a row per line");
    CHECK(read_t(&A, "t.csv", "1,2,,5\n", NULL, &rep, &e) == CORE_EFORMAT && !strstr(e.msg, "table"));
    /* another tool's comment line is named, on whichever line the field count fails */
    CHECK(read_t(&A, "c.csv", "# user,item\n1,2,3\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "c.csv:1: expected at least 3 fields (delimiter ','), got 2 (line 1 begins with '#': a comment? "
                 "every line is read as data: remove it)");
    CHECK(read_t(&A, "c.csv", "1,2,3\n% note\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "c.csv:2: expected 3 fields, got 1 (line 2 begins with '%'");
    CHECK(read_t(&A, "c.csv", "1 2 3\n1 3 4 5\n", NULL, &rep, &e) == CORE_EFORMAT && !strstr(e.msg, "comment"));
    CHECK(read_t(&A, "e.txt", "1,,3\n", NULL, &rep, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "e.txt:1: empty id in field 2");
    CHECK(io_read_triplets(&A, "/nonexistent/x.data", &o, &rep, &e) != CORE_OK);
    io_triplet_opts_default(&o);
    CHECK(io_read_triplets(&A, "/nonexistent/x.data", &o, &rep, &e) == CORE_EIO);
    CHECK_MSG(e, "/nonexistent/x.data: No such file or directory");
    /* skip_bad counts and reports instead of failing; trailing blank lines are fine */
    o.skip_bad = 1;
    CHECK(read_t(&A, "s.txt", "1,2,3\n1,3\n2,2,x\n2,3,1\n\n\n", &o, &rep, &e) == CORE_OK);
    CHECK(SPM_NNZ(&A) == 2 && rep.skipped == 2);
    CHECK(strstr(rep.first_skipped, "s.txt:2: expected 3 fields, got 2") != NULL);
    spm_free(&A);
    o.skip_bad = 0;
    o.dup = SPM_DUP_SUM;
    CHECK(read_t(&A, "d.txt", "1,2,3\n1,2,4\n", &o, &rep, &e) == CORE_OK && spm_get(&A, 0, 0) == 7);
    spm_free(&A);
    CHECK(read_t(&A, "empty.txt", "", NULL, &rep, &e) == CORE_OK && A.rows == 0 && SPM_NNZ(&A) == 0);
    spm_free(&A);
}

/* A file larger than the read chunk, with lines across chunk borders. */
static void test_large(void)
{
    char path[256];
    FILE *f;
    long i, n = 400000;
    spm A;
    io_triplet_opts o;
    core_err e;
    io_report rep;
    double want = 0, got = 0;
    snprintf(path, sizeof path, "%s/big.tsv", dir);
    f = fopen(path, "w");
    for (i = 0; i < n; i++) {
        fprintf(f, "%ld\titem%ld\t%ld.5\n", i % 997, (i * 7919) % 1201, i % 5);
        want += (double)(i % 5) + 0.5;
    }
    fclose(f);
    io_triplet_opts_default(&o);
    o.dup = SPM_DUP_SUM;
    CHECK(io_read_triplets(&A, path, &o, &rep, &e) == CORE_OK);
    CHECK(rep.lines == n && A.rows == 997 && A.cols == 1201);
    for (i = 0; i < SPM_NNZ(&A); i++)
        got += A.x[i];
    CHECK_NEAR(got, want, 1e-6);
    spm_free(&A);
}

static void test_mtx(void)
{
    spm A, B;
    core_err e;
    char path[256];
    CHECK(io_read_mtx(&A, fixture("a.mtx", "%%MatrixMarket matrix coordinate real general\n% comment\n3 4 3\n1 1 1.5\n3 4 -2\n2 2 1e-300\n"), &e) == CORE_OK);
    CHECK(A.rows == 3 && A.cols == 4 && spm_get(&A, 2, 3) == -2 && spm_get(&A, 1, 1) == 1e-300);
    snprintf(path, sizeof path, "%s/out.mtx", dir);
    CHECK(io_write_mtx(&A, path, &e) == CORE_OK);
    CHECK(io_read_mtx(&B, path, &e) == CORE_OK);
    CHECK(SPM_NNZ(&B) == 3 && B.x[0] == 1.5 && spm_get(&B, 1, 1) == 1e-300);
    spm_free(&A);
    spm_free(&B);
    CHECK(io_read_mtx(&A, fixture("s.mtx", "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n2 1\n3 3\n"), &e) == CORE_OK);
    CHECK(SPM_NNZ(&A) == 3 && spm_get(&A, 0, 1) == 1 && spm_get(&A, 1, 0) == 1);
    spm_free(&A);
    CHECK(io_read_mtx(&A, fixture("b.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 5\n"), &e) == CORE_EFORMAT);
    CHECK_MSG(e, "b.mtx:2: 5 entries cannot fit a 2x2 matrix");
    CHECK(io_read_mtx(&A, fixture("c.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n"), &e) == CORE_EFORMAT);
    CHECK_MSG(e, "c.mtx:4: the size line promises 2 entries, the file has 1");
    /* issue 16: what used to load wrong data quietly */
    CHECK(io_read_mtx(&A, fixture("g.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 5\n"), &e) ==
          CORE_EFORMAT);
    CHECK_MSG(e, "g.mtx:4: more entries than the size line's 1");
    CHECK(io_read_mtx(&A, fixture("h.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n2 1 1\n1 2 1\n"), &e) ==
          CORE_EFORMAT);
    CHECK_MSG(e, "h.mtx:4: entry (1, 2) is above the diagonal: a symmetric file stores the entries below the diagonal");
    CHECK(io_read_mtx(&A, fixture("i.mtx", "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 2.5\n"), &e) ==
          CORE_EFORMAT);
    CHECK_MSG(e, "i.mtx:3: bad integer value '2.5'");
    CHECK(io_read_mtx(&A, fixture("j.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 0x10\n"), &e) ==
          CORE_EFORMAT);
    CHECK_MSG(e, "j.mtx:3: bad real value '0x10'");
    CHECK(io_read_mtx(&A, fixture("k.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1.5\n1 1 1\n"), &e) ==
          CORE_EFORMAT);
    CHECK_MSG(e, "k.mtx:2: bad size line");
    CHECK(io_read_mtx(&A, fixture("l.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n1 1 2\n"), &e) ==
          CORE_EFORMAT);
    CHECK_MSG(e, "l.mtx: duplicate entry at (1, 1)");
    CHECK(io_read_mtx(&A, fixture("m.mtx", "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 2 1\n"), &e) ==
          CORE_EFORMAT);
    CHECK_MSG(e, "m.mtx:3: entry (2, 2) is on the diagonal");
    {   /* a comment longer than any buffer: its tail is no size line */
        char big[5000];
        memset(big, 'x', sizeof big);
        big[0] = '%';
        big[sizeof big - 1] = '\0';
        snprintf(path, sizeof path, "%s/n.mtx", dir);
        {
            FILE *fp = fopen(path, "w");
            fprintf(fp, "%%%%MatrixMarket matrix coordinate real general\n%s\n2 2 1\n2 1 7\n", big);
            fclose(fp);
        }
        CHECK(io_read_mtx(&A, path, &e) == CORE_OK);
        CHECK(A.rows == 2 && SPM_NNZ(&A) == 1 && spm_get(&A, 1, 0) == 7);
        spm_free(&A);
    }
    CHECK(io_read_mtx(&A, fixture("d.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n"), &e) == CORE_EFORMAT);
    CHECK_MSG(e, "d.mtx:3: index (3, 1) out of range for 2x2");
    CHECK(io_read_mtx(&A, fixture("e.mtx", "%%MatrixMarket matrix coordinate real general\n3000000000 2 1\n"), &e) == CORE_ETOOBIG);
    CHECK_MSG(e, "too large");
    CHECK(io_read_mtx(&A, fixture("f.mtx", "hello\n"), &e) == CORE_EFORMAT);
    CHECK_MSG(e, "not a Matrix Market file");
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static void test_npy(void)
{
    mat m, r;
    core_err e;
    char path[256], hdr[128];
    size_t i;
    unsigned char buf[256];
    snprintf(path, sizeof path, "%s/m.npy", dir);
    mat_init(&m, 3, 2, NULL);
    for (i = 0; i < 6; i++)
        m.x[i] = (double)i / 3.0;
    CHECK(io_write_npy(&m, path, &e) == CORE_OK);
    CHECK(io_read_npy(&r, path, &e) == CORE_OK && r.rows == 3 && r.cols == 2);
    CHECK(memcmp(r.x, m.x, 6 * sizeof(double)) == 0);
    mat_release(&r);
    {
        struct stat st;
        stat(path, &st);
        CHECK((st.st_size - 6 * 8) % 64 == 0); /* header aligned to 64 bytes */
    }
    /* float32, Fortran order, 1-D */
    {
        const char *h = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }";
        float v[4] = {1, 2, 3, 4};
        size_t hl = strlen(h);
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (unsigned char)hl, buf[9] = 0;
        memcpy(buf + 10, h, hl);
        memcpy(buf + 10 + hl, v, sizeof v);
        write_bytes(path, buf, 10 + hl + sizeof v);
        CHECK(io_read_npy(&r, path, &e) == CORE_OK);
        CHECK(MAT_AT(&r, 0, 0) == 1 && MAT_AT(&r, 1, 0) == 2 && MAT_AT(&r, 0, 1) == 3);
        mat_release(&r);
    }
    {
        const char *h = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
        int64_t v[3] = {7, -8, 9};
        size_t hl = strlen(h);
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (unsigned char)hl, buf[9] = 0;
        memcpy(buf + 10, h, hl);
        memcpy(buf + 10 + hl, v, sizeof v);
        write_bytes(path, buf, 10 + hl + sizeof v);
        CHECK(io_read_npy(&r, path, &e) == CORE_OK && r.rows == 3 && r.cols == 1 && r.x[1] == -8);
        mat_release(&r);
    }
    /* a header claiming 10^12 rows is refused before allocating */
    snprintf(hdr, sizeof hdr, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1), }");
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)strlen(hdr), buf[9] = 0;
    memcpy(buf + 10, hdr, strlen(hdr));
    write_bytes(path, buf, 10 + strlen(hdr) + 16);
    CHECK(io_read_npy(&r, path, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "header says 1000000000000x1 of 8-byte values but the file has 16 bytes of data");
    snprintf(hdr, sizeof hdr, "{'descr': '<c16', 'fortran_order': False, 'shape': (1, 1), }");
    memcpy(buf + 10, hdr, strlen(hdr));
    buf[8] = (unsigned char)strlen(hdr);
    write_bytes(path, buf, 10 + strlen(hdr) + 16);
    CHECK(io_read_npy(&r, path, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "unsupported dtype");
    write_bytes(path, "hello", 5);
    CHECK(io_read_npy(&r, path, &e) == CORE_EFORMAT);
    CHECK_MSG(e, "not a .npy file");
    mat_release(&m);
}

static void test_csv_and_atomic(void)
{
    mat m;
    core_err e;
    char path[256], text[128];
    FILE *f;
    size_t n;
    double v[] = {0.1, -2, 1e300, 3};
    mat_init(&m, 2, 2, NULL);
    memcpy(m.x, v, sizeof v);
    snprintf(path, sizeof path, "%s/m.csv", dir);
    CHECK(io_write_csv(&m, path, ",", &e) == CORE_OK);
    f = fopen(path, "r");
    n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    CHECK(strcmp(text, "0.1,-2\n1e+300,3\n") == 0);
    /* a failed save leaves the old file alone and no temporary behind */
    CHECK(chmod(dir, 0500) == 0);
    if (access(dir, W_OK) != 0) { /* not root: the directory is really read-only */
        CHECK(io_write_csv(&m, path, ";", &e) == CORE_EIO);
        CHECK_MSG(e, "cannot create a temporary file");
    }
    chmod(dir, 0700);
    f = fopen(path, "r");
    n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    CHECK(strcmp(text, "0.1,-2\n1e+300,3\n") == 0);
    snprintf(path, sizeof path, "%s/nodir/m.csv", dir);
    CHECK(io_write_csv(&m, path, ",", &e) == CORE_EIO);
    CHECK_MSG(e, "nodir/m.csv: cannot create a temporary file");
    mat_release(&m);
}

int main(void)
{
    char cmd[300];
    int rc;
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_movielens_like);
    RUN(test_formats);
    RUN(test_errors);
    RUN(test_large);
    RUN(test_mtx);
    RUN(test_npy);
    RUN(test_csv_and_atomic);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    rc = system(cmd);
    (void)rc;
    return check_summary();
}

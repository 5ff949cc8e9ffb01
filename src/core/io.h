/* File readers and writers. Every reader names file:line in its errors and
 * validates sizes before allocating; every writer goes through a temporary
 * file in the same directory that is fsynced and renamed over the target. */
#ifndef SIMEC_IO_H
#define SIMEC_IO_H

#include <stdio.h>
#include "core.h"
#include "mat.h"
#include "spm.h"

/* The fields a delimited line may have that the readers look at: field
 * numbers run from 1 to this (sparse.MAX_FIELDS in Lua). */
#define IO_MAX_FIELDS 64

typedef struct io_triplet_opts {
    const char *delim; /* "\t", ",", "::", "|", ";", " " (any run of blanks); NULL: detect */
    int header;        /* skip the first line */
    int row_field, col_field, val_field; /* 1-based; val_field 0: every value is 1 */
    int fields;        /* expected fields per line; 0: as the first data line */
    int skip_bad;      /* skip malformed lines (counted) instead of failing */
    int dup;           /* SPM_DUP_ERROR (the default), SPM_DUP_SUM or SPM_DUP_MEAN */
    int keep_order;    /* fill io_report.order */
} io_triplet_opts;

typedef struct io_report {
    int64_t lines;       /* data lines read */
    int64_t skipped;     /* malformed lines skipped (skip_bad) */
    char first_skipped[300];
    char delim[8];       /* delimiter used */
    int bom;             /* a UTF-8 byte-order mark began the file (and was dropped) */
    int64_t *order;      /* keep_order: CSR position of each data line, in file order
                            (core-allocated, lines entries; the caller frees it) */
} io_report;

void io_triplet_opts_default(io_triplet_opts *o);
/* Line s (len bytes, no newline) split into fields as io_read_triplets
 * splits a line of its file: at delim (shorter than 8 bytes), or (NULL) at
 * the delimiter it detects on a first data line that needs `need` fields
 * (used: at least 8 bytes, gets it; " " for blanks). The first
 * IO_MAX_FIELDS fields are starts into s and lengths (arrays of that
 * many); returns the number of fields, or below zero for a quoted field
 * it cannot read. */
int io_split_line(const char *s, size_t len, const char *delim, int need, char *used, const char **starts,
                  size_t *lens);
int io_read_triplets(spm *A, const char *path, const io_triplet_opts *o, io_report *rep, core_err *e);

int io_read_mtx(spm *A, const char *path, core_err *e);
int io_write_mtx(const spm *A, const char *path, core_err *e);
int io_read_npy(mat *m, const char *path, core_err *e);
int io_write_npy(const mat *m, const char *path, core_err *e);
int io_write_csv(const mat *m, const char *path, const char *delim, core_err *e);
/* "row<delim>col<delim>value" lines, ids from the labels (else 1-based
 * indices); transpose writes columns first (e.g. user, item, rating). */
int io_write_triplets(const spm *A, const char *path, const char *delim, int transpose, core_err *e);

/* Crash-safe writing: open a temporary beside path; commit fsyncs and renames.
 * Opening first removes the temporaries of earlier saves to path that a
 * killed process left (path.tmpXXXXXX, last written before this process
 * started).
 * A path naming an existing device or pipe (/dev/null, /dev/stdout) is
 * written in place: renaming over it would replace the device with a file.
 * A directory is an error. */
typedef struct io_atomic {
    FILE *f;
    int direct; /* writing the device or pipe itself */
    char tmp[4096];
    char path[4096];
} io_atomic;
int io_atomic_open(io_atomic *a, const char *path, core_err *e);
int io_atomic_commit(io_atomic *a, core_err *e); /* closes; on failure removes the temporary */
void io_atomic_abort(io_atomic *a);
/* Aborts a write that failed with errno err, removing the temporary (open
 * or closed), and sets the one message every crash-safe writer gives:
 * "PATH: write failed: cause", and for a file "(the existing file, if any,
 * is unchanged)" after it. Returns CORE_EIO. */
int io_atomic_fail(io_atomic *a, int err, core_err *e);

/* CORE_OK unless the open file fd is a directory (then an error naming
 * path): a directory opens and then fails its first read with a misleading
 * message. */
int io_not_dir(int fd, const char *path, core_err *e);

/* The number grammar of every text reader, in one place: s[0..len) as a
 * finite double in *out, or 0 when it is not [+-] digits [. digits]
 * [(e|E) [+-] digits] with a mantissa digit at least (no hexadecimal, inf
 * or nan, which strtod takes) or overflows. simec.number and data.number
 * (Lua) call it too. */
int io_parse_number(const char *s, size_t len, double *out);

/* Why s[0..len), which io_parse_number refuses, may still have been meant
 * as a number ("a decimal comma? ..." for "3,5", as spreadsheets write them
 * beside semicolons), or NULL. The readers' errors and simec.number (a
 * second result) say it. */
const char *io_number_why(const char *s, size_t len);

/* When s[0..len) (a file's first bytes) show a file that is not UTF-8
 * text (compressed, an archive or workbook, Parquet, .npy, UTF-16), what
 * to do about it ("a gzip-compressed file: decompress it first (gunzip
 * FILE)"), else NULL: every text reader says so instead of reading bytes
 * as text. simec.not_text (Lua) calls it too. */
const char *io_not_text(const char *s, size_t len);

/* Shortest text that reads back as the same double ("%.17g" trimmed). */
int io_fmt_double(char *buf, size_t len, double v);

#endif

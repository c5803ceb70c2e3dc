/* files.h - input file discovery: CSV files of a folder in natural order
 * (control_2 before control_10) and file stems as participant ids. */
#ifndef PAT_DATA_FILES_H
#define PAT_DATA_FILES_H

#include <stddef.h>

#include "pat.h"

/* Names (not paths) of the regular files in dir whose names start with
 * prefix and end with suffix, naturally sorted. *names is malloc'd, each
 * name too; free with pat_names_free. */
enum pat_status pat_list_files(const char *dir, const char *prefix, const char *suffix,
                               char ***names, size_t *n, struct pat_err *err);
void pat_names_free(char **names, size_t n);

/* Natural order: digit runs compare as numbers. */
int pat_natural_cmp(const char *a, const char *b);

/* "dir/name" (malloc'd) or NULL. */
char *pat_path_join(const char *dir, const char *name);

/* File name without directory and without its last extension, into buf. */
void pat_path_stem(const char *path, char *buf, size_t len);

/* 1 when path is a directory. */
int pat_is_dir(const char *path);

#endif /* PAT_DATA_FILES_H */

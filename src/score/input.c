/* input.c - paths to participant series through the readers of src/data/
 * and src/readers/ (input.h). A new reader is one more format here. */
#include "score/input.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "data/depresjon.h"
#include "data/files.h"
#include "util.h"

static const char *const format_names[] = {"auto",   "depresjon", "csv",    "long",
                                           "paxmin", "paxraw",    "readers"};
#define NFORMATS (sizeof format_names / sizeof format_names[0])

struct pat_input_params pat_input_default_params(void) {
    struct pat_input_params p;
    memset(&p, 0, sizeof p);
    p.csv.layout = PAT_LAYOUT_AUTO;
    p.nhanes = pat_nhanes_default_params();
    p.readers = pat_read_default_options();
    return p;
}

const char *pat_input_format_name(enum pat_input_format f) {
    return (size_t)f < NFORMATS ? format_names[f] : "?";
}

int pat_input_format_set(struct pat_input_params *p, const char *name) {
    for (size_t k = 0; k < NFORMATS; k++)
        if (strcmp(name, format_names[k]) == 0) return (int)(p->format = (enum pat_input_format)k);
    int f = pat_format_parse(name);
    if (f < 0) return -1;
    p->readers.format = (enum pat_format)f;
    return (int)(p->format = PAT_INPUT_READERS);
}

/* 1 when s contains word, ignoring case. */
static int contains_nocase(const char *s, const char *word) {
    size_t n = strlen(word);
    for (; *s; s++) {
        size_t k = 0;
        while (k < n && s[k] && tolower((unsigned char)s[k]) == word[k]) k++;
        if (k == n) return 1;
    }
    return 0;
}

static int has_subdir(const char *dir, const char *name) {
    char *p = pat_path_join(dir, name);
    int yes = p && pat_is_dir(p);
    free(p);
    return yes;
}

enum pat_input_format pat_input_detect(const char *path, const struct pat_input_params *p) {
    if (p->format != PAT_INPUT_AUTO) return p->format;
    if (pat_is_dir(path))
        return has_subdir(path, "condition") || has_subdir(path, "control") ? PAT_INPUT_DEPRESJON
                                                                            : PAT_INPUT_CSV;
    size_t n = strlen(path);
    if (n > 4 && (strcmp(path + n - 4, ".xpt") == 0 || strcmp(path + n - 4, ".XPT") == 0))
        return contains_nocase(path, "paxraw") ? PAT_INPUT_PAXRAW : PAT_INPUT_PAXMIN;
    return p->lng.id_col ? PAT_INPUT_LONG : PAT_INPUT_READERS;
}

enum pat_status pat_input_read(const char *path, const struct pat_input_params *p,
                               const struct pat_series_rules *rules, pat_series_fn fn,
                               void *ctx, size_t *count, struct pat_err *err) {
    *count = 0;
    switch (pat_input_detect(path, p)) {
    case PAT_INPUT_DEPRESJON: return pat_depresjon_read(path, rules, fn, ctx, count, err);
    case PAT_INPUT_LONG: {
        struct pat_long_csv_params q = p->lng;
        if (!q.id_col || !q.time_col || !q.value_col)
            return pat_fail(err, PAT_ERR_USAGE, "%s: a long CSV needs the id, time and value "
                            "column names", path);
        q.rules = *rules;
        return pat_series_read_long_csv(path, &q, fn, ctx, count, err);
    }
    case PAT_INPUT_PAXMIN: return pat_nhanes_read_paxmin(path, &p->nhanes, rules, fn, ctx, count, err);
    case PAT_INPUT_PAXRAW: return pat_nhanes_read_paxraw(path, &p->nhanes, rules, fn, ctx, count, err);
    case PAT_INPUT_READERS: {
        struct pat_read_options q = p->readers;
        q.rules = *rules;
        return pat_read_recording(path, &q, fn, ctx, count, err);
    }
    default: {
        struct pat_csv_series_params q = p->csv;
        q.rules = *rules;
        return pat_csv_files_read(&path, 1, &q, fn, ctx, count, err);
    }
    }
}

/* A folder's participant files one by one, those want refuses unread. */
static enum pat_status read_folder_some(const char *path, enum pat_input_format f,
                                        const struct pat_input_params *p,
                                        const struct pat_series_rules *rules, pat_series_fn fn,
                                        void *ctx, pat_input_want_fn want, void *want_user,
                                        size_t *count, struct pat_err *err) {
    char **files;
    float *labels = NULL;
    size_t n;
    enum pat_status st = f == PAT_INPUT_DEPRESJON ? pat_depresjon_list(path, &files, &labels, &n, err)
                                                  : pat_csv_dir_list(path, &files, &n, err);
    struct pat_csv_series_params q = p->csv;
    q.rules = *rules;
    for (size_t k = 0; st == PAT_OK && k < n; k++, (*count)++) {
        size_t one;
        if (!want(want_user, k)) continue;
        st = labels ? pat_depresjon_read_file(files[k], labels[k], rules, fn, ctx, err)
                    : pat_csv_files_read((const char *const *)&files[k], 1, &q, fn, ctx, &one, err);
    }
    pat_names_free(files, n);
    free(labels);
    return st;
}

enum pat_status pat_input_read_some(const char *path, const struct pat_input_params *p,
                                    const struct pat_series_rules *rules, pat_series_fn fn,
                                    void *ctx, pat_input_want_fn want, void *want_user,
                                    size_t *count, struct pat_err *err) {
    enum pat_input_format f = pat_input_detect(path, p);
    *count = 0;
    if (want && (f == PAT_INPUT_DEPRESJON || f == PAT_INPUT_CSV) && pat_is_dir(path))
        return read_folder_some(path, f, p, rules, fn, ctx, want, want_user, count, err);
    return pat_input_read(path, p, rules, fn, ctx, count, err);
}

/* depresjon.c - the Depresjon folder as a series source (depresjon.h). */
#include "data/depresjon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/files.h"
#include "data/series_csv.h"
#include "util.h"

/* Append the files of one group ("condition" or "control"),
 * dir/group/group_N.csv in natural order, with their label. */
static enum pat_status list_group(const char *dir, const char *group, float label,
                                  char ***paths, float **labels, size_t *n,
                                  struct pat_err *err) {
    char prefix[32], **names = NULL;
    size_t k = 0;
    snprintf(prefix, sizeof prefix, "%s_", group);
    char *sub = pat_path_join(dir, group);
    if (!sub) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    enum pat_status st = pat_list_files(sub, prefix, ".csv", &names, &k, err);
    if (st == PAT_OK && k == 0)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: no %s_N.csv files", sub, group);
    size_t total, bytes;
    int fits = pat_add_size(*n, k, &total) && pat_mul_size(total, sizeof(char *), &bytes);
    char **p = st == PAT_OK && fits ? realloc(*paths, bytes) : NULL;
    if (p) *paths = p;
    float *l = p ? realloc(*labels, total * sizeof *l) : NULL;
    if (l) *labels = l;
    if (st == PAT_OK && (!p || !l)) st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == PAT_OK && i < k; i++) {
        if (!((*paths)[*n] = pat_path_join(sub, names[i])))
            st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
        else (*labels)[(*n)++] = label;
    }
    pat_names_free(names, k);
    free(sub);
    return st;
}

enum pat_status pat_depresjon_list(const char *dir, char ***paths, float **labels, size_t *n,
                                   struct pat_err *err) {
    *paths = NULL, *labels = NULL, *n = 0;
    enum pat_status st = list_group(dir, "condition", 1.0f, paths, labels, n, err);
    if (st == PAT_OK) st = list_group(dir, "control", 0.0f, paths, labels, n, err);
    if (st != PAT_OK) {
        pat_names_free(*paths, *n);
        free(*labels);
        *paths = NULL, *labels = NULL, *n = 0;
    }
    return st;
}

enum pat_status pat_depresjon_read_file(const char *path, float label,
                                        const struct pat_series_rules *rules, pat_series_fn fn,
                                        void *ctx, struct pat_err *err) {
    struct pat_csv_series_params p = {PAT_LAYOUT_DEPRESJON, 0, *rules};
    struct pat_series s;
    char id[256];
    pat_path_stem(path, id, sizeof id);
    enum pat_status st = pat_series_read_csv(path, id, &p, &s, err);
    if (st != PAT_OK) return st;
    s.label = label;
    st = fn(ctx, &s, err);
    pat_series_free(&s);
    return st;
}

enum pat_status pat_depresjon_read(const char *dir, const struct pat_series_rules *rules,
                                   pat_series_fn fn, void *ctx, size_t *count,
                                   struct pat_err *err) {
    char **paths;
    float *labels;
    size_t n;
    *count = 0;
    enum pat_status st = pat_depresjon_list(dir, &paths, &labels, &n, err);
    if (st != PAT_OK) return st;
    for (size_t i = 0; st == PAT_OK && i < n; i++) {
        st = pat_depresjon_read_file(paths[i], labels[i], rules, fn, ctx, err);
        if (st == PAT_OK) (*count)++;
    }
    pat_names_free(paths, n);
    free(labels);
    return st;
}

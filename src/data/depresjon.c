/* depresjon.c - the Depresjon folder as a series source (depresjon.h). */
#include "data/depresjon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/files.h"
#include "data/series_csv.h"
#include "util.h"

/* One group ("condition" or "control"): dir/group/group_N.csv. */
static enum pat_status read_group(const char *dir, const char *group, float label,
                                  const struct pat_series_rules *rules, pat_series_fn fn,
                                  void *ctx, size_t *count, struct pat_err *err) {
    char prefix[32], **names = NULL;
    size_t n = 0;
    snprintf(prefix, sizeof prefix, "%s_", group);
    char *sub = pat_path_join(dir, group);
    if (!sub) return pat_fail(err, PAT_ERR_NOMEM, "out of memory");
    enum pat_status st = pat_list_files(sub, prefix, ".csv", &names, &n, err);
    if (st == PAT_OK && n == 0)
        st = pat_fail(err, PAT_ERR_FORMAT, "%s: no %s_N.csv files", sub, group);
    struct pat_csv_series_params p = {PAT_LAYOUT_DEPRESJON, 0, *rules};
    for (size_t i = 0; st == PAT_OK && i < n; i++) {
        char *path = pat_path_join(sub, names[i]), id[256];
        struct pat_series s;
        if (!path) {
            st = pat_fail(err, PAT_ERR_NOMEM, "out of memory");
            break;
        }
        pat_path_stem(path, id, sizeof id);
        st = pat_series_read_csv(path, id, &p, &s, err);
        free(path);
        if (st != PAT_OK) break;
        s.label = label;
        st = fn(ctx, &s, err);
        pat_series_free(&s);
        (*count)++;
    }
    pat_names_free(names, n);
    free(sub);
    return st;
}

enum pat_status pat_depresjon_read(const char *dir, const struct pat_series_rules *rules,
                                   pat_series_fn fn, void *ctx, size_t *count,
                                   struct pat_err *err) {
    *count = 0;
    enum pat_status st = read_group(dir, "condition", 1.0f, rules, fn, ctx, count, err);
    if (st == PAT_OK) st = read_group(dir, "control", 0.0f, rules, fn, ctx, count, err);
    return st;
}

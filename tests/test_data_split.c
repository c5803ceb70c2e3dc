/* test_data_split.c - participant-level stratified splits and k-fold:
 * every participant in exactly one split, per-class counts within one of
 * the requested fractions, the same seed giving the same assignment
 * whatever the input order, different seeds differing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/split.h"

#define N 103

struct cohort {
    char names[N][16];
    const char *ids[N];
    float labels[N];
};

/* 103 participants: 31 positive, 60 negative, 12 unlabeled. */
static void make_cohort(struct cohort *k) {
    for (size_t i = 0; i < N; i++) {
        snprintf(k->names[i], sizeof k->names[i], "p%03zu", i);
        k->ids[i] = k->names[i];
        k->labels[i] = i % 10 == 9 ? NAN : (i % 3 == 0 ? 1.0f : 0.0f);
    }
}

static void counts(const struct cohort *k, const uint8_t *split, float label, size_t out[4]) {
    memset(out, 0, 4 * sizeof *out);
    for (size_t i = 0; i < N; i++)
        if ((isnan(label) && isnan(k->labels[i])) || k->labels[i] == label) out[split[i]]++;
}

static void stratified_fractions_within_one(struct check_ctx *c) {
    struct cohort k;
    make_cohort(&k);
    uint8_t split[N], fold[N];
    struct pat_split_params p = pat_split_default_params();
    p.val = 0.15;
    p.test = 0.25;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, pat_split_assign(k.ids, k.labels, N, &p, split, fold, &err), PAT_OK))
        return;
    for (int cls = 0; cls < 2; cls++) {
        size_t n[4], total;
        counts(&k, split, (float)cls, n);
        total = n[0] + n[1] + n[2];
        CHECK(c, n[PAT_SPLIT_NONE] == 0);
        CHECK(c, fabs((double)n[PAT_SPLIT_TEST] - 0.25 * (double)total) <= 1.0);
        CHECK(c, fabs((double)n[PAT_SPLIT_VAL] - 0.15 * (double)total) <= 1.0);
        CHECK(c, fabs((double)n[PAT_SPLIT_TRAIN] - 0.60 * (double)total) <= 1.0);
    }
    size_t u[4];
    counts(&k, split, NAN, u);
    CHECK(c, u[PAT_SPLIT_NONE] == 10); /* unlabeled: no split by default */
    for (size_t i = 0; i < N; i++) CHECK(c, fold[i] == PAT_FOLD_NONE);
}

static void same_seed_same_split_any_order(struct check_ctx *c) {
    struct cohort k, r;
    make_cohort(&k);
    make_cohort(&r);
    for (size_t i = 0; i < N; i++) { /* reversed input order */
        r.ids[i] = k.ids[N - 1 - i];
        r.labels[i] = k.labels[N - 1 - i];
    }
    uint8_t a[N], b[N], f[N], d[N];
    struct pat_split_params p = pat_split_default_params();
    struct pat_err err = {0};
    pat_split_assign(k.ids, k.labels, N, &p, a, f, &err);
    pat_split_assign(r.ids, r.labels, N, &p, b, f, &err);
    int same = 1;
    for (size_t i = 0; i < N; i++) same &= a[i] == b[N - 1 - i];
    CHECK(c, same);
    p.seed = 7;
    pat_split_assign(k.ids, k.labels, N, &p, d, f, &err);
    int differ = 0;
    for (size_t i = 0; i < N; i++) differ |= a[i] != d[i];
    CHECK(c, differ);
}

static void kfold_deals_non_test_participants(struct check_ctx *c) {
    struct cohort k;
    make_cohort(&k);
    uint8_t split[N], fold[N];
    struct pat_split_params p = pat_split_default_params();
    p.val = 0;
    p.test = 0.2;
    p.folds = 5;
    p.split_unlabeled = 1;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, pat_split_assign(k.ids, k.labels, N, &p, split, fold, &err), PAT_OK))
        return;
    size_t per_fold[5] = {0}, pos[5] = {0};
    for (size_t i = 0; i < N; i++) {
        if (split[i] == PAT_SPLIT_TEST) {
            CHECK(c, fold[i] == PAT_FOLD_NONE);
            continue;
        }
        CHECK(c, split[i] == PAT_SPLIT_TRAIN && fold[i] < 5);
        if (fold[i] < 5) {
            per_fold[fold[i]]++;
            pos[fold[i]] += k.labels[i] == 1.0f;
        }
    }
    for (size_t f = 1; f < 5; f++) {
        CHECK(c, per_fold[f] + 1 >= per_fold[0] && per_fold[f] <= per_fold[0] + 1);
        CHECK(c, pos[f] + 1 >= pos[0] && pos[f] <= pos[0] + 1);
    }
    p.val = 0.1;
    CHECK_STATUS(c, pat_split_assign(k.ids, k.labels, N, &p, split, fold, &err), PAT_ERR_USAGE);
    p.val = 0.5;
    p.test = 0.5;
    p.folds = 0;
    CHECK_STATUS(c, pat_split_assign(k.ids, k.labels, N, &p, split, fold, &err), PAT_ERR_USAGE);
}

/* Continuous labels (more than 32 values) form one stratum. */
static void continuous_labels_one_stratum(struct check_ctx *c) {
    struct cohort k;
    make_cohort(&k);
    for (size_t i = 0; i < N; i++) k.labels[i] = (float)i * 0.5f;
    uint8_t split[N], fold[N];
    struct pat_split_params p = pat_split_default_params();
    struct pat_err err = {0};
    CHECK_STATUS(c, pat_split_assign(k.ids, k.labels, N, &p, split, fold, &err), PAT_OK);
    size_t n[4];
    memset(n, 0, sizeof n);
    for (size_t i = 0; i < N; i++) n[split[i]]++;
    CHECK(c, n[PAT_SPLIT_TEST] == 21 && n[PAT_SPLIT_VAL] == 21 && n[PAT_SPLIT_TRAIN] == 61);
}

/* The paper's protocol: a fixed test count, then a subsample for train+val
 * with 20 % validation; shares follow the class sizes. */
static void counts_hold_out_and_subsample(struct check_ctx *c) {
    struct cohort k;
    make_cohort(&k);
    uint8_t split[N], fold[N];
    struct pat_split_params p = pat_split_default_params();
    p.test_count = 20;
    p.use_count = 30;
    struct pat_err err = {0};
    if (!CHECK_STATUS(c, pat_split_assign(k.ids, k.labels, N, &p, split, fold, &err), PAT_OK))
        return;
    size_t n[2][4], all[4] = {0}, size[2];
    for (int cls = 0; cls < 2; cls++) {
        counts(&k, split, (float)cls, n[cls]);
        size[cls] = n[cls][0] + n[cls][1] + n[cls][2] + n[cls][3];
        for (int s = 0; s < 4; s++) all[s] += n[cls][s];
    }
    CHECK(c, all[PAT_SPLIT_TEST] == 20 && all[PAT_SPLIT_TRAIN] + all[PAT_SPLIT_VAL] == 30);
    for (int cls = 0; cls < 2; cls++) {
        double share = (double)size[cls] / (double)(size[0] + size[1]);
        size_t used = n[cls][PAT_SPLIT_TRAIN] + n[cls][PAT_SPLIT_VAL];
        CHECK(c, fabs((double)n[cls][PAT_SPLIT_TEST] - 20 * share) <= 1.0);
        CHECK(c, fabs((double)used - 30 * share) <= 1.0);
        CHECK(c, n[cls][PAT_SPLIT_VAL] == (size_t)floor(0.2 * (double)used + 0.5));
    }
    p.test_count = 500;
    CHECK_STATUS(c, pat_split_assign(k.ids, k.labels, N, &p, split, fold, &err), PAT_ERR_USAGE);
    p.test_count = 20;
    p.use_count = 80;
    CHECK_STATUS(c, pat_split_assign(k.ids, k.labels, N, &p, split, fold, &err), PAT_ERR_USAGE);
}

int main(void) {
    int failures = 0;
    RUN(stratified_fractions_within_one);
    RUN(same_seed_same_split_any_order);
    RUN(kfold_deals_non_test_participants);
    RUN(continuous_labels_one_stratum);
    RUN(counts_hold_out_and_subsample);
    return failures ? 1 : 0;
}

/* split.c - stratified participant splits (split.h). */
#include "data/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

struct pat_split_params pat_split_default_params(void) {
    struct pat_split_params p = {0.2, 0.2, 0, 42, 0, 0, 0};
    return p;
}

const char *pat_split_name(enum pat_split s) {
    switch (s) {
    case PAT_SPLIT_TRAIN: return "train";
    case PAT_SPLIT_VAL: return "val";
    case PAT_SPLIT_TEST: return "test";
    case PAT_SPLIT_NONE: return "none";
    }
    return "?";
}

struct ctx {
    const char *const *ids;
    const float *labels;
};

/* qsort has no context argument: sort (index, id) pairs instead. */
struct item {
    size_t i;
    const char *id;
    float label;
};

static int by_id(const void *a, const void *b) {
    return strcmp(((const struct item *)a)->id, ((const struct item *)b)->id);
}

/* Stratum key of a label: its value, or the single key 0 when labels are
 * too many to stratify (continuous). Unlabeled items are handled apart. */
static int distinct_labels(const struct item *it, size_t n, float *keys, size_t *nk) {
    *nk = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(it[i].label)) continue;
        size_t k = 0;
        while (k < *nk && keys[k] != it[i].label) k++;
        if (k < *nk) continue;
        if (*nk == PAT_SPLIT_MAX_STRATA) return 0;
        keys[(*nk)++] = it[i].label;
    }
    for (size_t a = 1; a < *nk; a++) /* insertion sort: few keys */
        for (size_t b = a; b > 0 && keys[b - 1] > keys[b]; b--) {
            float t = keys[b];
            keys[b] = keys[b - 1];
            keys[b - 1] = t;
        }
    return 1;
}

static size_t round_count(size_t n, double frac) { return (size_t)floor((double)n * frac + 0.5); }

/* Shuffle one stratum (members m[0..k) are participant indices) and cut
 * it: nt to test, then nu used (val by fraction, the rest train), the rest
 * none. Folds are dealt over the used members. */
static void cut(size_t *m, size_t k, size_t nt, size_t nu, const struct pat_split_params *p,
                struct pat_rng *rng, uint8_t *split, uint8_t *fold, size_t *deal) {
    for (size_t i = k; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)(pat_rng_u64(rng) % i), t = m[i - 1];
        m[i - 1] = m[j];
        m[j] = t;
    }
    /* val: a fraction of the stratum, or of the used pool with use_count */
    size_t nv = round_count(p->use_count ? nu : k, p->val);
    if (nv > nu) nv = nu;
    for (size_t i = 0; i < k; i++) {
        int used = i >= nt && i < nt + nu;
        split[m[i]] = i < nt ? PAT_SPLIT_TEST : !used ? PAT_SPLIT_NONE
                      : i < nt + nv ? PAT_SPLIT_VAL : PAT_SPLIT_TRAIN;
        if (p->folds && used) fold[m[i]] = (uint8_t)((*deal)++ % p->folds);
    }
}

/* Share `total` over strata of sizes n[0..ns) in proportion (largest
 * remainders, ties to the earlier stratum) into out. */
static void share(size_t total, const size_t *n, size_t ns, size_t *out) {
    size_t sum = 0, given = 0;
    double rem[PAT_SPLIT_MAX_STRATA + 1];
    for (size_t s = 0; s < ns; s++) sum += n[s];
    for (size_t s = 0; s < ns; s++) {
        double q = sum ? (double)total * (double)n[s] / (double)sum : 0;
        out[s] = (size_t)floor(q);
        rem[s] = q - (double)out[s];
        given += out[s];
    }
    while (given < total) {
        size_t best = 0;
        for (size_t s = 1; s < ns; s++)
            if (rem[s] > rem[best]) best = s;
        out[best]++;
        rem[best] = -1;
        given++;
    }
}

/* Test and used counts per stratum (sizes n[0..ns)). */
static enum pat_status plan_counts(const struct pat_split_params *p, const size_t *n, size_t ns,
                                   size_t *nt, size_t *nu, struct pat_err *err) {
    size_t total = 0, rest[PAT_SPLIT_MAX_STRATA + 1], left = 0;
    for (size_t s = 0; s < ns; s++) total += n[s];
    if (p->test_count > total)
        return pat_fail(err, PAT_ERR_USAGE, "test count %zu exceeds the %zu participants to "
                        "split", p->test_count, total);
    if (p->test_count) share(p->test_count, n, ns, nt);
    for (size_t s = 0; s < ns; s++) {
        if (!p->test_count) nt[s] = round_count(n[s], p->test);
        if (nt[s] > n[s]) nt[s] = n[s];
        rest[s] = n[s] - nt[s];
        left += rest[s];
    }
    if (p->use_count > left)
        return pat_fail(err, PAT_ERR_USAGE, "use count %zu exceeds the %zu non-test "
                        "participants", p->use_count, left);
    if (p->use_count) share(p->use_count, rest, ns, nu);
    else memcpy(nu, rest, ns * sizeof *nu);
    return PAT_OK;
}

static enum pat_status check(const struct pat_split_params *p, struct pat_err *err) {
    if (!(p->val >= 0 && p->test >= 0 && p->val + p->test < 1))
        return pat_fail(err, PAT_ERR_USAGE, "split fractions val %g + test %g must be >= 0 and "
                        "sum to less than 1", p->val, p->test);
    if (p->folds == 1 || p->folds > 100)
        return pat_fail(err, PAT_ERR_USAGE, "folds must be 0 or 2..100, got %zu", p->folds);
    if (p->folds && p->val > 0)
        return pat_fail(err, PAT_ERR_USAGE, "with k-fold the validation fraction must be 0 "
                        "(each fold serves as validation in turn)");
    return PAT_OK;
}

/* Members of one stratum, in id order. unl: the unlabeled stratum. */
static size_t members(const struct item *it, size_t n, int unl, int any, float key, size_t *m) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int u = isnan(it[i].label);
        if (unl ? u : (!u && (any || it[i].label == key))) m[k++] = it[i].i;
    }
    return k;
}

enum pat_status pat_split_assign(const char *const *ids, const float *labels, size_t n,
                                 const struct pat_split_params *p, uint8_t *split,
                                 uint8_t *fold, struct pat_err *err) {
    enum pat_status st = check(p, err);
    if (st != PAT_OK) return st;
    struct item *it = pat_calloc(n, sizeof *it);
    size_t *m = pat_calloc(n, sizeof *m);
    if (!it || !m) {
        free(it);
        free(m);
        return pat_fail(err, PAT_ERR_NOMEM, "out of memory splitting %zu participants", n);
    }
    for (size_t i = 0; i < n; i++) {
        it[i] = (struct item){i, ids[i], labels[i]};
        split[i] = PAT_SPLIT_NONE;
        fold[i] = (uint8_t)PAT_FOLD_NONE;
    }
    qsort(it, n, sizeof *it, by_id);
    /* strata: the label values in increasing order, then the unlabeled */
    float keys[PAT_SPLIT_MAX_STRATA];
    size_t nk, ns, deal = 0, sizes[PAT_SPLIT_MAX_STRATA + 1];
    size_t nt[PAT_SPLIT_MAX_STRATA + 1], nu[PAT_SPLIT_MAX_STRATA + 1];
    int any = !distinct_labels(it, n, keys, &nk);
    if (any) nk = 1;
    ns = nk + (p->split_unlabeled ? 1 : 0);
    for (size_t s = 0; s < ns; s++) sizes[s] = members(it, n, s == nk, any, s < nk ? keys[s] : 0, m);
    st = plan_counts(p, sizes, ns, nt, nu, err);
    struct pat_rng rng;
    pat_rng_seed(&rng, p->seed);
    for (size_t s = 0; st == PAT_OK && s < ns; s++) {
        size_t k = members(it, n, s == nk, any, s < nk ? keys[s] : 0, m);
        cut(m, k, nt[s], nu[s], p, &rng, split, fold, &deal);
    }
    free(it);
    free(m);
    return st;
}

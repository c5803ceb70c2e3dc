/* test_recipe.c - score/recipe.c: keys round-trip through text, models and
 * files; bad keys, values, versions and lines are refused by name; the
 * difference report lists exactly the window keys that differ. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "score/recipe.h"

struct kv_text {
    char buf[4096];
    size_t len;
};

static enum pat_status to_text(void *ctx, const char *key, const char *value,
                               struct pat_err *err) {
    struct kv_text *t = ctx;
    (void)err;
    int n = snprintf(t->buf + t->len, sizeof t->buf - t->len, "%s=%s\n", key, value);
    t->len += n > 0 ? (size_t)n : 0;
    return PAT_OK;
}

static struct pat_recipe sample(void) {
    struct pat_recipe r = pat_recipe_default();
    r.weeks.length = 1440, r.weeks.align = PAT_ALIGN_START, r.weeks.min_day_minutes = 480;
    r.weeks.fill = 0.25f, r.zero_run = 120, r.smooth_window = 31, r.smooth_order = 2;
    r.log1p = 1, r.rules.dup = PAT_DUP_LAST, r.rules.dst = 0, r.aggregate = PAT_AGG_MEDIAN;
    r.threshold = 0.4375;
    snprintf(r.threshold_rule, sizeof r.threshold_rule, "Youden, a=b");
    return r;
}

static void test_text_round_trip(struct check_ctx *ctx) {
    struct pat_recipe r = sample(), back = pat_recipe_default();
    struct kv_text t = {{0}, 0};
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_recipe_each(&r, to_text, &t, &err), PAT_OK);
    CHECK(ctx, strncmp(t.buf, "pat.recipe.version=1\n", 21) == 0);
    char path[] = "/tmp/pat_recipe_XXXXXX";
    int fd = mkstemp(path);
    CHECK(ctx, fd >= 0);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# a comment\n\n%s", t.buf);
    fclose(f);
    CHECK_STATUS(ctx, pat_recipe_read_file(path, &back, &err), PAT_OK);
    char diff[256];
    CHECK(ctx, pat_recipe_diff(&r, &back, diff, sizeof diff) == 0);
    CHECK(ctx, back.aggregate == PAT_AGG_MEDIAN && back.threshold == 0.4375);
    CHECK(ctx, strcmp(back.threshold_rule, "Youden, a=b") == 0); /* '=' inside a value */
    CHECK(ctx, back.weeks.fill == 0.25f && back.rules.dup == PAT_DUP_LAST);
    unlink(path);
}

static void test_refusals(struct check_ctx *ctx) {
    struct pat_recipe r = pat_recipe_default();
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_recipe_set(&r, "pat.recipe.colour", "red", &err), PAT_ERR_FORMAT);
    CHECK(ctx, strstr(err.msg, "colour") != NULL);
    CHECK_STATUS(ctx, pat_recipe_set(&r, "window_length", "-5", &err), PAT_ERR_FORMAT);
    CHECK_STATUS(ctx, pat_recipe_set(&r, "window_length", "12x", &err), PAT_ERR_FORMAT);
    CHECK_STATUS(ctx, pat_recipe_set(&r, "min_day_minutes", "1441", &err), PAT_ERR_FORMAT);
    CHECK_STATUS(ctx, pat_recipe_set(&r, "transform", "sqrt", &err), PAT_ERR_FORMAT);
    CHECK_STATUS(ctx, pat_recipe_set(&r, "threshold", "nan", &err), PAT_ERR_FORMAT);
    CHECK_STATUS(ctx, pat_recipe_set(&r, "version", "2", &err), PAT_ERR_FORMAT);
    CHECK(ctx, strstr(err.msg, "not supported") != NULL);
    CHECK_STATUS(ctx, pat_recipe_set(&r, "threshold", "none", &err), PAT_OK);
    CHECK(ctx, isnan(r.threshold));
    char path[] = "/tmp/pat_recipe_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "w");
    fputs("window_length=1440\nno equals sign here\n", f);
    fclose(f);
    CHECK_STATUS(ctx, pat_recipe_read_file(path, &r, &err), PAT_ERR_FORMAT);
    CHECK(ctx, strstr(err.msg, ":2:") != NULL);
    CHECK(ctx, r.weeks.length == 10080); /* nothing applied from a bad file */
    unlink(path);
    CHECK_STATUS(ctx, pat_recipe_read_file("/nonexistent/recipe", &r, &err), PAT_ERR_IO);
}

static void test_diff_and_build(struct check_ctx *ctx) {
    struct pat_recipe a = sample(), b = sample();
    char diff[256];
    b.weeks.min_day_minutes = 600;
    b.threshold = 0.9; /* not a window key */
    CHECK(ctx, pat_recipe_diff(&a, &b, diff, sizeof diff) == 1);
    CHECK(ctx, strcmp(diff, "min_day_minutes 480 -> 600") == 0);
    b.weeks.stride = 1440; /* stride 0 means the length: no difference */
    CHECK(ctx, pat_recipe_diff(&a, &b, diff, sizeof diff) == 1);
    struct pat_build_params p = pat_build_default_params();
    p.weeks.patch = 9;
    pat_recipe_to_build(&a, &p);
    CHECK(ctx, p.weeks.patch == 9 && p.weeks.length == 1440 && p.zero_run == 120);
    CHECK(ctx, p.log1p == 1 && p.smooth_window == 31 && p.rules.dst == 0);
    struct pat_recipe c = pat_recipe_default();
    pat_recipe_from_build(&p, &c);
    CHECK(ctx, pat_recipe_diff(&a, &c, diff, sizeof diff) == 0);
}

static void test_model_round_trip(struct check_ctx *ctx) {
    struct pat_model *m = NULL;
    struct pat_config cfg;
    struct pat_err err = {0};
    CHECK_STATUS(ctx, pat_config_preset("S", &cfg, &err), PAT_OK);
    CHECK_STATUS(ctx, pat_model_create(&cfg, 1, 0, &m, &err), PAT_OK);
    if (!m) return;
    struct pat_recipe r = sample(), back = pat_recipe_default();
    int found = 1;
    CHECK_STATUS(ctx, pat_recipe_from_model(m, &back, &found, &err), PAT_OK);
    CHECK(ctx, found == 0);
    CHECK_STATUS(ctx, pat_recipe_to_model(&r, m, &err), PAT_OK);
    CHECK_STATUS(ctx, pat_recipe_from_model(m, &back, &found, &err), PAT_OK);
    char diff[256];
    CHECK(ctx, found == 1 && pat_recipe_diff(&r, &back, diff, sizeof diff) == 0);
    CHECK(ctx, back.threshold == r.threshold && back.aggregate == r.aggregate);
    CHECK_STATUS(ctx, pat_model_meta_set(m, "pat.recipe.version", "7", &err), PAT_OK);
    CHECK_STATUS(ctx, pat_recipe_from_model(m, &back, &found, &err), PAT_ERR_FORMAT);
    pat_model_free(m);
}

int main(void) {
    int failures = 0;
    RUN(test_text_round_trip);
    RUN(test_refusals);
    RUN(test_diff_and_build);
    RUN(test_model_round_trip);
    return failures ? 1 : 0;
}

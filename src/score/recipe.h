/* recipe.h - a model's input recipe: how a raw recording becomes the
 * windows the model was trained on, how window probabilities become a
 * participant's score, and the decision threshold. Stored in a model's
 * metadata under pat.recipe.* (docs/formats.md "Input recipe"), versioned.
 *
 *     struct pat_recipe r = pat_recipe_default();     // pat data build defaults
 *     int found;
 *     pat_recipe_from_model(model, &r, &found, &err); // found 0: the model has none
 *     pat_recipe_read_file("recipe.txt", &r, &err);   // or a file of key=value lines
 *     struct pat_build_params bp = pat_build_default_params();
 *     pat_recipe_to_build(&r, &bp);                   // the pipeline options
 *
 * Only reader-independent choices are recorded: which file format a
 * recording comes in is the reader's business (pat score picks it per file).
 */
#ifndef PAT_SCORE_RECIPE_H
#define PAT_SCORE_RECIPE_H

#include <stddef.h>

#include "data/build.h"
#include "eval/participant.h"
#include "pat.h"

#define PAT_RECIPE_VERSION 1
#define PAT_RECIPE_PREFIX "pat.recipe."

struct pat_recipe {
    struct pat_series_rules rules;  /* duplicates, dst, max_gap */
    struct pat_week_params weeks;   /* length, align, stride, max_windows, min_day_minutes,
                                       min_days, fill (patch: the model's) */
    size_t zero_run;                /* non-wear: runs of >= this many zeros; 0 off */
    size_t smooth_window, smooth_order; /* Savitzky-Golay; window 0 off */
    int log1p;                      /* transform log(1 + x) */
    enum pat_aggregate aggregate;   /* window probabilities -> participant score */
    double threshold;               /* decision: score >= threshold; NaN: none */
    char threshold_rule[160];       /* how the threshold was chosen */
    char source[200];               /* where the recipe came from */
};

/* pat data build's defaults, mean aggregation, no threshold. */
struct pat_recipe pat_recipe_default(void);

/* The window options of a build (rules, weeks, zero_run, smoothing, log1p)
 * into r / from r into p (other fields of p untouched). */
void pat_recipe_from_build(const struct pat_build_params *p, struct pat_recipe *r);
void pat_recipe_to_build(const struct pat_recipe *r, struct pat_build_params *p);

/* Set one key (with or without the pat.recipe. prefix) from its text.
 * Unknown keys and bad values are PAT_ERR_FORMAT naming key and value. */
enum pat_status pat_recipe_set(struct pat_recipe *r, const char *key, const char *value,
                               struct pat_err *err);

/* The recipe as key/value text: calls fn for every key (with the prefix)
 * in a fixed order, version first. */
typedef enum pat_status (*pat_recipe_kv_fn)(void *ctx, const char *key, const char *value,
                                            struct pat_err *err);
enum pat_status pat_recipe_each(const struct pat_recipe *r, pat_recipe_kv_fn fn, void *ctx,
                                struct pat_err *err);

/* A model's recipe: *found = 1 and r filled when it has pat.recipe.version
 * (a newer version than PAT_RECIPE_VERSION is refused), else *found = 0 and
 * r untouched. */
enum pat_status pat_recipe_from_model(const struct pat_model *m, struct pat_recipe *r,
                                      int *found, struct pat_err *err);
/* Write every pat.recipe.* key into m's metadata. */
enum pat_status pat_recipe_to_model(const struct pat_recipe *r, struct pat_model *m,
                                    struct pat_err *err);

/* The window options recorded in a dataset's provenance (pat data build
 * writes them); source names the dataset. PAT_ERR_FORMAT when a key is
 * missing or malformed. */
enum pat_status pat_recipe_from_dataset(const struct pat_dataset *ds, const char *path,
                                        struct pat_recipe *r, struct pat_err *err);

/* A recipe file: "key=value" lines (keys as written by pat_recipe_each, the
 * prefix optional), blank lines and '#' comments ignored. Keys not given
 * keep their value in r. Errors name the file and line. */
enum pat_status pat_recipe_read_file(const char *path, struct pat_recipe *r,
                                     struct pat_err *err);

/* The keys that shape the windows (everything but aggregate, threshold and
 * the texts) on which a and b differ, as "key a->b, ..." in out (cap
 * bytes, truncated). Returns how many differ. */
size_t pat_recipe_diff(const struct pat_recipe *a, const struct pat_recipe *b, char *out,
                       size_t cap);

#endif /* PAT_SCORE_RECIPE_H */

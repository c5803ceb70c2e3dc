/* fuzz_dataset.c - the .patd dataset cache reader (src/data/dataset.c):
 * header, section table, per-row arrays, ids, covariates, scalers; every
 * accessor is called on every row of an accepted file. */
#include <math.h>

#include "fuzz_common.h"
#include "pat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("patd", data, size);
    if (!path) return 0;
    struct pat_err err;
    struct pat_dataset *ds = NULL;
    if (pat_dataset_open(path, &ds, &err) != PAT_OK) return 0;
    volatile double acc = 0;
    size_t rows = pat_dataset_rows(ds), T = pat_dataset_length(ds);
    size_t C = pat_dataset_num_covariates(ds);
    for (size_t i = 0; i < rows; i++) {
        const float *x = pat_dataset_row(ds, i);
        if (T) acc += x[0] + x[T - 1];
        acc += pat_dataset_label(ds, i) + (double)pat_dataset_split(ds, i) +
               pat_dataset_fold(ds, i) + (double)pat_dataset_start(ds, i) +
               (double)pat_dataset_valid_minutes(ds, i);
        acc += (double)pat_dataset_participant(ds, i) + (double)pat_dataset_id(ds, i)[0];
        for (size_t j = 0; j < C; j++) acc += pat_dataset_covariate(ds, i, j);
    }
    for (size_t p = 0; p < pat_dataset_num_participants(ds); p++)
        acc += pat_dataset_participant_id(ds, p)[0];
    for (size_t j = 0; j < C; j++) acc += pat_dataset_covariate_name(ds, j)[0];
    acc += (double)pat_dataset_num_folds(ds) + (double)pat_dataset_scaler_mode(ds);
    for (int s = 0; s <= 3; s++) {
        const float *mean, *std;
        if (pat_dataset_scaler(ds, (enum pat_split)s, &mean, &std) && T)
            acc += mean[T - 1] + std[T - 1];
    }
    pat_dataset_close(ds);
    (void)acc;
    return 0;
}

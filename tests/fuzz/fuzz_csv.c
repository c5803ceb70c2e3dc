/* fuzz_csv.c - the CSV readers: the numeric matrix reader (src/io/csv.c)
 * and the per-participant series reader in every layout
 * (src/data/series_csv.c). The first byte picks the layout and rules. */
#include "data/series.h"
#include "data/series_csv.h"
#include "fuzz_common.h"
#include "io/csv.h"
#include "pat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0];
    const char *path = fuzz_file("csv", data + 1, size - 1);
    if (!path) return 0;
    struct pat_err err;

    struct pat_csv_reader *r = NULL;
    if (pat_csv_open(path, &r, &err) == PAT_OK) {
        const float *row;
        size_t cols;
        while (pat_csv_next(r, &row, &cols, &err) == PAT_OK && row)
            (void)pat_csv_row_number(r);
        pat_csv_close(r);
    }

    struct pat_csv_series_params p;
    p.layout = (enum pat_csv_layout)(sel & 3);
    p.start = (sel & 4) ? 27000000 : 0;
    p.rules = pat_series_default_rules();
    p.rules.dup = (enum pat_dup_rule)((sel >> 3) % 3);
    p.rules.dst = !(sel & 32);
    if (sel & 64) p.rules.max_gap = 90;
    struct pat_series s;
    if (pat_series_read_csv(path, "fuzz", &p, &s, &err) == PAT_OK) pat_series_free(&s);
    return 0;
}

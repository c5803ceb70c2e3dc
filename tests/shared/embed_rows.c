/* embed_rows.c MODEL CSV - a program built against an installed libpat
 * (pkg-config pat): embeds every row of CSV and prints the embeddings as
 * pat embed does (%.9g), so tests/test_shared.sh can compare the two. */
#include <pat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_rows(const char *path, float **x, size_t *rows, size_t *cols) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0, c = 0, r = 0;
    float *v = malloc(cap * sizeof *v);
    int ch = ',';
    while (v && fscanf(f, "%f", &v[n]) == 1) {
        if (++n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        ch = fgetc(f);
        if (ch == '\n' || ch == EOF) {
            if (r++ == 0) c = n;
        }
    }
    fclose(f);
    if (!v || !r || n != r * c) { free(v); return -1; }
    *x = v, *rows = r, *cols = c;
    return 0;
}

int main(int argc, char **argv) {
    struct pat_err err;
    struct pat_model *m = NULL;
    float *x = NULL;
    size_t rows, cols;
    if (argc != 3) return 2;
    if (pat_model_load(argv[1], &m, &err) != PAT_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    if (read_rows(argv[2], &x, &rows, &cols) != 0) return 1;
    size_t E = pat_model_config(m)->embed_dim;
    float *out = malloc(rows * E * sizeof *out);
    if (!out || pat_embed(m, x, rows, cols, out, &err) != PAT_OK) {
        fprintf(stderr, "%s\n", out ? err.msg : "out of memory");
        return 1;
    }
    for (size_t i = 0; i < rows * E; i++)
        printf(i % E ? ",%.9g" : "%.9g", (double)out[i]), i % E == E - 1 ? putchar('\n') : 0;
    free(out);
    free(x);
    pat_model_free(m);
    return 0;
}

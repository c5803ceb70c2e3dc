/* cmd_convert.c - pat convert: Keras HDF5 weights to native safetensors. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static void print_convert_help(void) {
    fputs("Usage: pat convert --from-keras IN.h5 -o OUT.safetensors\n"
          "Import released Keras weights (PAT-{S,M,L}_{21k,29k}_weights.h5, Keras-2\n"
          "save_weights layout) into pat's native safetensors format. The architecture\n"
          "is inferred from the dataset shapes; every tensor is checked by name, shape\n"
          "and dtype. A fine-tuning head stored as dense_128/ and output/ groups is\n"
          "imported too. OUT is written to a temporary file and renamed.\n\n"
          "Options:\n"
          "  -k, --from-keras FILE   Keras .h5 weights file (required)\n"
          "  -o, --output FILE       output .safetensors (required)\n"
          "  -q, --quiet             print nothing on success\n"
          "  -h, --help              this help\n",
          stdout);
}

int cmd_convert(int argc, char **argv) {
    static const struct option longopts[] = {{"from-keras", required_argument, 0, 'k'},
                                             {"output", required_argument, 0, 'o'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *in = NULL, *out = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "k:o:qh", longopts, NULL)) != -1) {
        if (c == 'k') in = optarg;
        else if (c == 'o') out = optarg;
        else if (c == 'q') quiet = 1;
        else if (c == 'h') { print_convert_help(); return EXIT_OK; }
        else return cli_usage_error("convert", "unknown option");
    }
    if (optind < argc) return cli_usage_error("convert", "unexpected argument '%s'", argv[optind]);
    if (!in) return cli_usage_error("convert", "missing --from-keras IN.h5");
    if (!out) return cli_usage_error("convert", "missing -o OUT.safetensors");
    struct pat_err err = {0};
    struct pat_model *m = NULL;
    enum pat_status st = pat_model_import_keras(in, &m, &err);
    if (st == PAT_OK) st = pat_model_save(m, out, &err);
    if (st == PAT_OK && !quiet)
        fprintf(stderr, "pat convert: %s -> %s: %s, %zu parameters%s\n", in, out,
                pat_config_name(pat_model_config(m)), pat_model_num_params(m),
                pat_model_has_head(m) ? " (with head)" : "");
    pat_model_free(m);
    return st == PAT_OK ? EXIT_OK : cli_report("convert", &err);
}

/* cmd_convert.c - pat convert: Keras HDF5 weights to native safetensors
 * and back. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "score/recipe.h"

static void print_convert_help(void) {
    fputs("Usage: pat convert --from-keras IN.h5 -o OUT.safetensors\n"
          "       pat convert --to-keras IN.safetensors -o OUT.h5\n"
          "       pat convert --model IN.safetensors --recipe FILE -o OUT.safetensors\n"
          "Import released Keras weights (PAT-{S,M,L}_{21k,29k}_weights.h5, Keras-2\n"
          "save_weights layout) into pat's native safetensors format. The architecture\n"
          "is inferred from the dataset shapes; every tensor is checked by name, shape\n"
          "and dtype. A fine-tuning head stored as dense_128/ and output/ groups is\n"
          "imported too. --to-keras goes the other way: a pat model (e.g. an encoder\n"
          "from pat pretrain) is written laid out exactly like the released files (same\n"
          "dataset paths, shapes, root and group attributes), so the original Keras\n"
          "notebooks load it with load_weights. OUT is written to a temporary file and\n"
          "renamed.\n\n"
          "Options:\n"
          "  -k, --from-keras FILE   Keras .h5 weights file to import\n"
          "  -K, --to-keras FILE     pat model (.safetensors) to export as Keras .h5\n"
          "  -m, --model FILE        pat model (.safetensors) to rewrite with --recipe\n"
          "  -r, --recipe FILE       give the imported or rewritten model this input recipe\n"
          "                          (pat.recipe.* keys; docs/formats.md \"Input recipe\")\n"
          "  -o, --output FILE       output file (required)\n"
          "  -q, --quiet             print nothing on success\n"
          "  -h, --help              this help\n",
          stdout);
}

int cmd_convert(int argc, char **argv) {
    static const struct option longopts[] = {{"from-keras", required_argument, 0, 'k'},
                                             {"to-keras", required_argument, 0, 'K'},
                                             {"output", required_argument, 0, 'o'},
                                             {"model", required_argument, 0, 'm'},
                                             {"recipe", required_argument, 0, 'r'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *in = NULL, *out = NULL, *to = NULL, *model = NULL, *recipe = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "k:K:o:m:r:qh", longopts, NULL)) != -1) {
        if (c == 'k') in = optarg;
        else if (c == 'K') to = optarg;
        else if (c == 'o') out = optarg;
        else if (c == 'm') model = optarg;
        else if (c == 'r') recipe = optarg;
        else if (c == 'q') quiet = 1;
        else if (c == 'h') { print_convert_help(); return EXIT_OK; }
        else return cli_usage_error("convert", "unknown option");
    }
    if (optind < argc) return cli_usage_error("convert", "unexpected argument '%s'", argv[optind]);
    if ((in != NULL) + (to != NULL) + (model != NULL) != 1)
        return cli_usage_error("convert", "give one of --from-keras IN.h5, --to-keras "
                               "IN.safetensors or --model IN.safetensors");
    if (model && !recipe) return cli_usage_error("convert", "--model needs --recipe FILE");
    if (to && recipe) return cli_usage_error("convert", "--recipe does not travel to Keras files");
    if (!out) return cli_usage_error("convert", "missing -o OUT");
    struct pat_err err = {0};
    struct pat_model *m = NULL;
    enum pat_status st = in ? pat_model_import_keras(in, &m, &err)
                            : pat_model_load(to ? to : model, &m, &err);
    if (st == PAT_OK && recipe) {
        struct pat_recipe r = pat_recipe_default();
        int found = 0;
        st = pat_recipe_from_model(m, &r, &found, &err); /* a file may change a few keys */
        if (st == PAT_OK) st = pat_recipe_read_file(recipe, &r, &err);
        if (st == PAT_OK) st = pat_recipe_to_model(&r, m, &err);
    }
    if (st == PAT_OK) st = to ? pat_model_export_keras(m, out, &err) : pat_model_save(m, out, &err);
    if (st == PAT_OK && !quiet)
        fprintf(stderr, "pat convert: %s -> %s: %s, %zu parameters%s\n",
                in ? in : to ? to : model, out,
                pat_config_name(pat_model_config(m)), pat_model_num_params(m),
                pat_model_has_head(m) ? " (with head)" : "");
    pat_model_free(m);
    return st == PAT_OK ? EXIT_OK : cli_report("convert", &err);
}

/* cmd_info.c - pat info: architecture, parameter counts and metadata. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <math.h>

#include "cli.h"
#include "score/recipe.h"

static void print_info_help(void) {
    fputs("Usage: pat info MODEL\n"
          "       pat info --arch NAME | --all\n"
          "Print a model's architecture, parameter counts, head, scaler and metadata.\n"
          "MODEL is a .safetensors file or a Keras .h5 weights file.\n\n"
          "Options:\n"
          "  -a, --arch NAME   describe a built-in architecture instead of a file:\n"
          "                    S, M, L, conv-S, conv-M or conv-L\n"
          "      --all         the parameter counts of all six architectures\n"
          "  -h, --help        this help\n",
          stdout);
}

static void print_config(const struct pat_config *c) {
    printf("architecture   %s\n", pat_config_name(c));
    printf("patch size P   %zu\n", c->patch_size);
    printf("embed dim E    %zu\n", c->embed_dim);
    printf("heads H        %zu (key dim %zu per head)\n", c->num_heads, c->key_dim);
    printf("ff dim F       %zu\n", c->ff_dim);
    printf("layers L       %zu\n", c->num_layers);
    printf("embedding      %s\n",
           c->embedding == PAT_EMBED_CONV ? "conv (Conv1D k=3 + mean per patch)" : "dense");
    printf("encoder params %zu\n", pat_config_encoder_params(c));
}

static int info_all(void) {
    static const char *const names[] = {"S", "M", "L", "conv-S", "conv-M", "conv-L"};
    printf("%-12s %3s %3s %3s %10s %8s %10s\n", "model", "P", "H", "L", "encoder", "head",
           "total");
    for (size_t i = 0; i < 6; i++) {
        struct pat_config c;
        pat_config_preset(names[i], &c, NULL);
        size_t enc = pat_config_encoder_params(&c), head = pat_config_head_params(&c);
        printf("%-12s %3zu %3zu %3zu %10zu %8zu %10zu\n", pat_config_name(&c), c.patch_size,
               c.num_heads, c.num_layers, enc, head, enc + head);
    }
    return EXIT_OK;
}

/* The input recipe in words (the keys follow among the metadata). */
static void print_recipe(const struct pat_model *m) {
    struct pat_recipe r = pat_recipe_default();
    struct pat_err err = {0};
    int found = 0;
    if (pat_recipe_from_model(m, &r, &found, &err) != PAT_OK) {
        printf("recipe         unreadable: %s\n", err.msg);
        return;
    }
    if (!found) {
        printf("recipe         none (pat score needs --recipe FILE or window options)\n");
        return;
    }
    printf("recipe         windows of %zu min from %s, a day valid with >= %zu valid min",
           r.weeks.length, r.weeks.align == PAT_ALIGN_START ? "the first row" : "midnight",
           r.weeks.min_day_minutes);
    if (r.zero_run) printf(", zero runs >= %zu min are non-wear", r.zero_run);
    if (r.smooth_window) printf(", Savitzky-Golay %zu/%zu", r.smooth_window, r.smooth_order);
    printf("%s\n", r.log1p ? ", log(1 + x)" : "");
    printf("               person = %s of window probabilities; ", pat_aggregate_name(r.aggregate));
    if (isnan(r.threshold)) printf("no threshold\n");
    else printf("threshold %.4g (%s)\n", r.threshold, r.threshold_rule);
}

static void print_model(const char *path, const struct pat_model *m) {
    const struct pat_config *c = pat_model_config(m);
    printf("file           %s\n", path);
    print_config(c);
    if (pat_model_has_head(m))
        printf("head params    %zu (dense 128 ReLU -> dense 1 -> sigmoid)\n",
               pat_config_head_params(c));
    else
        printf("head           none (encoder only)\n");
    if (pat_model_scaler_len(m))
        printf("scaler         per-minute, %zu minutes\n", pat_model_scaler_len(m));
    else
        printf("scaler         none (inputs used as given)\n");
    print_recipe(m);
    printf("total params   %zu (all tensors)\n", pat_model_num_params(m));
    printf("tensors        %zu\n", pat_model_num_tensors(m));
    for (size_t i = 0; i < pat_model_num_meta(m); i++) {
        const char *k, *v;
        pat_model_meta_at(m, i, &k, &v);
        printf("meta           %s = %s\n", k, v);
    }
}

int cmd_info(int argc, char **argv) {
    static const struct option longopts[] = {{"arch", required_argument, 0, 'a'},
                                             {"all", no_argument, 0, 'A'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *arch = NULL;
    int all = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "a:h", longopts, NULL)) != -1) {
        if (c == 'a') arch = optarg;
        else if (c == 'A') all = 1;
        else if (c == 'h') { print_info_help(); return EXIT_OK; }
        else return cli_usage_error("info", "unknown option");
    }
    if (all) return info_all();
    struct pat_err err = {0};
    if (arch) {
        struct pat_config cfg;
        if (pat_config_preset(arch, &cfg, &err) != PAT_OK) return cli_report("info", &err);
        print_config(&cfg);
        printf("head params    %zu\n", pat_config_head_params(&cfg));
        return EXIT_OK;
    }
    if (optind + 1 != argc) return cli_usage_error("info", "expected one MODEL file");
    struct pat_model *m = NULL;
    if (pat_model_load(argv[optind], &m, &err) != PAT_OK) return cli_report("info", &err);
    print_model(argv[optind], m);
    pat_model_free(m);
    return EXIT_OK;
}

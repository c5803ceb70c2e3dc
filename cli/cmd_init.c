/* cmd_init.c - pat init: a model with fresh Keras-initialised weights. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void print_init_help(void) {
    fputs("Usage: pat init --arch NAME -o OUT.safetensors [--seed S] [--no-head]\n"
          "Write a model with fresh weights initialised as Keras does (glorot_uniform\n"
          "kernels, zero biases, LayerNorm gamma 1, beta 0): a starting point for\n"
          "training from scratch, or for tests.\n\n"
          "Options:\n"
          "  -a, --arch NAME    S, M, L, conv-S, conv-M or conv-L (required)\n"
          "  -o, --output FILE  output .safetensors (required)\n"
          "      --seed S       random seed (default 1)\n"
          "      --no-head      encoder only\n"
          "  -h, --help         this help\n",
          stdout);
}

int cmd_init(int argc, char **argv) {
    static const struct option lo[] = {{"arch", 1, 0, 'a'}, {"output", 1, 0, 'o'},
                                       {"seed", 1, 0, 'S'}, {"no-head", 0, 0, 'N'},
                                       {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *arch = NULL, *out = NULL;
    unsigned long long seed = 1;
    int head = 1, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "a:o:h", lo, NULL)) != -1) {
        char *end = NULL;
        if (c == 'a') arch = optarg;
        else if (c == 'o') out = optarg;
        else if (c == 'S') seed = strtoull(optarg, &end, 10);
        else if (c == 'N') head = 0;
        else if (c == 'h') { print_init_help(); return EXIT_OK; }
        else return cli_usage_error("init", "unknown option");
        if (end && *end) return cli_usage_error("init", "--seed must be a number");
    }
    if (!arch || !out) return cli_usage_error("init", "--arch and -o are required");
    struct pat_config cfg;
    struct pat_err err = {0};
    struct pat_model *m = NULL;
    enum pat_status st = pat_config_preset(arch, &cfg, &err);
    if (st == PAT_OK) st = pat_model_init_random(&cfg, head, seed, &m, &err);
    if (st == PAT_OK) st = pat_model_meta_set(m, "pat.source", "pat init", &err);
    if (st == PAT_OK) st = pat_model_save(m, out, &err);
    pat_model_free(m);
    return st == PAT_OK ? EXIT_OK : cli_report("init", &err);
}

/* pat.c - the pat command: a dispatcher to one cmd_<name> per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report/cleanup.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"info", cmd_info, "print a model's architecture, parameter counts and metadata"},
    {"init", cmd_init, "write a model with fresh Keras-initialised weights"},
    {"convert", cmd_convert, "import Keras .h5 weights into safetensors, or export back"},
    {"embed", cmd_embed, "write a 96-value embedding per input row"},
    {"predict", cmd_predict, "write a probability per input row (model with head)"},
    {"explain", cmd_explain, "write the last block's attention profile per input row"},
    {"pretrain", cmd_pretrain, "pretrain an encoder as a masked autoencoder (pat-spec §3)"},
    {"finetune", cmd_finetune, "fine-tune on labelled sequences (full, probe, two-stage)"},
    {"eval", cmd_eval, "report ROC-AUC (with CI), PR-AUC, F1, MCC on labelled sequences"},
    {"data", cmd_data, "build, inspect and export datasets (Depresjon, CSV, NHANES)"},
};
#define NUM_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *f) {
    fprintf(f, "pat %s - Pretrained Actigraphy Transformer (PAT) in C\n\n"
               "Usage: pat COMMAND [options]   (pat COMMAND --help for details)\n\n"
               "Commands:\n", PAT_VERSION);
    for (size_t i = 0; i < NUM_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nExit codes: 0 ok, 1 other failure, 2 usage, 3 I/O, 4 bad file format,\n"
               "5 non-finite or non-numeric input. Documentation: docs/cli.md\n");
}

int main(int argc, char **argv) {
    pat_cleanup_on_signals(); /* Ctrl-C etc. remove the outputs' temporaries */
    cli_set_threads(0);       /* OMP_NUM_THREADS capped at the -t limit */
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("pat %s (HDF5 import: %s)\n", PAT_VERSION, pat_have_hdf5() ? "yes" : "no");
        return EXIT_OK;
    }
    for (size_t i = 0; i < NUM_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pat: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return EXIT_USAGE;
}

/* pat.c - the pat command: a dispatcher to one cmd_<name> per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dist/dist.h"
#include "report/cleanup.h"

/* parallel: runs under mpirun -np N as one data-parallel job (docs/cli.md). */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    int parallel;
} commands[] = {
    {"info", cmd_info, "print a model's architecture, parameter counts and metadata", 0},
    {"init", cmd_init, "write a model with fresh Keras-initialised weights", 0},
    {"convert", cmd_convert, "import Keras .h5 weights into safetensors, or export back", 0},
    {"embed", cmd_embed, "write a 96-value embedding per input row", 1},
    {"predict", cmd_predict, "write a probability per input row (model with head)", 1},
    {"explain", cmd_explain, "write the last block's attention profile per input row", 1},
    {"pretrain", cmd_pretrain, "pretrain an encoder as a masked autoencoder (pat-spec §3)", 1},
    {"finetune", cmd_finetune, "fine-tune on labelled sequences (full, probe, two-stage)", 1},
    {"eval", cmd_eval, "report ROC-AUC (with CI), PR-AUC, F1, MCC on labelled sequences", 0},
    {"score", cmd_score, "score people from raw recordings with a model's input recipe", 1},
    {"cv", cmd_cv, "participant-level cross-validation: features vs PAT, paired tests", 0},
    {"data", cmd_data, "build, inspect and export datasets (Depresjon, CSV, NHANES)", 0},
    {"serve", cmd_serve, "serve models over HTTP on this machine, with a browser page", 0},
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

/* Run one command; under mpirun only rank 0 writes to standard output and
 * a failing rank ends the whole job with its exit code (its message is
 * printed by the command). */
static int run_command(size_t i, int argc, char **argv) {
    struct pat_dist d;
    struct pat_err err = {0};
    if (pat_dist_start(&argc, &argv, &d, &err) != PAT_OK) {
        fprintf(stderr, "pat: %s\n", err.msg);
        return EXIT_FAILURE_OTHER;
    }
    int rc;
    if (d.size > 1 && !commands[i].parallel) {
        rc = cli_usage_error(commands[i].name, "runs as one process: start it without mpirun "
                             "(under mpirun: embed, predict, explain, score, pretrain, finetune)");
    } else {
        if (d.rank > 0 && !freopen("/dev/null", "w", stdout)) {
            fprintf(stderr, "pat: rank %d cannot silence its standard output\n", d.rank);
            pat_dist_abort(EXIT_IO);
        }
        rc = commands[i].run(argc - 1, argv + 1);
    }
    if (rc != EXIT_OK && d.size > 1) {
        fflush(stdout), fflush(stderr);
        pat_dist_abort(rc);
    }
    pat_dist_finish();
    return rc;
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
        printf("pat %s (HDF5 import: %s, MPI: %s)\n", PAT_VERSION, pat_have_hdf5() ? "yes" : "no",
               pat_dist_available() ? "yes" : "no");
        return EXIT_OK;
    }
    for (size_t i = 0; i < NUM_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return run_command(i, argc, argv);
    fprintf(stderr, "pat: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return EXIT_USAGE;
}

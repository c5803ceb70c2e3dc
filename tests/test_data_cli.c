/* test_data_cli.c - the pat data command line: help on every subcommand,
 * distinct exit codes, refusals that name file and line and leave no
 * output, and synth -> build -> info -> export -> report end to end.
 * Runs the pat binary next to this test's folder (BUILD/pat). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"

static char pat_bin[512]; /* set once in main from argv[0] */
static char out_file[600], err_file[600];

/* Run "pat ARGS" with stdout/stderr captured; returns the exit code. */
static int run(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", pat_bin, args, out_file, err_file);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* 1 when the captured stdout or stderr contains s. */
static int said(const char *s) {
    const char *files[] = {out_file, err_file};
    for (int k = 0; k < 2; k++) {
        size_t len;
        char *t = (char *)check_read_file(files[k], &len);
        int found = t && strstr(t, s);
        free(t);
        if (found) return 1;
    }
    return 0;
}

static void expect(struct check_ctx *c, const char *args, int want, const char *text) {
    int rc = run(args);
    if (rc != want || (text && !said(text))) {
        size_t len;
        char *e = (char *)check_read_file(err_file, &len);
        check_fail(c, "pat %s: exit %d (want %d), stderr '%.200s', wanted '%s'", args, rc, want,
                   e ? e : "", text ? text : "");
        free(e);
    }
}

static size_t files_containing(const char *sub) {
    DIR *d = opendir(check_tmp_dir());
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, sub) != NULL;
    if (d) closedir(d);
    return n;
}

static void help_everywhere(struct check_ctx *c) {
    expect(c, "data --help", 0, "Usage: pat data SUBCOMMAND");
    static const char *const subs[] = {"build", "report", "info", "export", "synth"};
    for (size_t k = 0; k < 5; k++) {
        char args[64], usage[64];
        snprintf(args, sizeof args, "data %s --help", subs[k]);
        snprintf(usage, sizeof usage, "Usage: pat data %s", subs[k]);
        expect(c, args, 0, usage);
    }
    expect(c, "data build --help", 0, "default 10080");
    expect(c, "--help", 0, "data");
}

static void usage_errors_exit_2(struct check_ctx *c) {
    expect(c, "data", 2, "Usage: pat data");
    expect(c, "data frobnicate", 2, "unknown subcommand");
    expect(c, "data build -o x.patd", 2, "exactly one kind of input");
    expect(c, "data build --csv a.csv", 2, "missing -o");
    expect(c, "data build --csv a.csv -o x.patd --bogus", 2, "Try 'pat data build --help'");
    expect(c, "data build --csv a.csv -o x.patd --length 1000", 2, NULL);
    expect(c, "data build --csv a.csv -o x.patd --scaler sometimes", 2, "unknown --scaler");
    expect(c, "data build --csv a.csv -o x.patd --folds 1", 2, "folds must be 0 or 2..100");
    expect(c, "data build --csv a.csv -o x.patd --folds 5 --val 0.2", 2, "k-fold");
    expect(c, "data export d.patd", 2, "missing -o");
    expect(c, "data info", 2, "one dataset");
    expect(c, "data synth -o x", 2, "--kind");
}

static void bad_inputs_name_file_and_line(struct check_ctx *c) {
    char bad[600], args[2048], out[600];
    snprintf(bad, sizeof bad, "%s/cli_bad.csv", check_tmp_dir());
    check_write_file(bad, "timestamp,value\n2020-01-01 00:00,1\n2020-01-01 00:01,nan\n", 56);
    snprintf(out, sizeof out, "%s/cli_bad.patd", check_tmp_dir());
    snprintf(args, sizeof args, "data build --csv %s -o %s --length 18", bad, out);
    expect(c, args, 5, "cli_bad.csv:3: value is not a finite number");
    check_write_file(bad, "timestamp,value\n2020-01-01 00:01,1\n2020-01-01 00:00,1\n", 54);
    expect(c, args, 4, "cli_bad.csv:3: time 2020-01-01 00:00 is earlier");
    snprintf(args, sizeof args, "data build --csv %s/nope.csv -o %s", check_tmp_dir(), out);
    expect(c, args, 3, "nope.csv: cannot open");
    CHECK(c, files_containing("cli_bad.patd") == 0);
    snprintf(args, sizeof args, "data info %s", bad);
    expect(c, args, 4, "cli_bad.csv: 54 bytes, too short");
    snprintf(args, sizeof args, "data info %s/missing.patd", check_tmp_dir());
    expect(c, args, 3, "missing.patd: cannot open");
}

static void synth_build_info_export_report(struct check_ctx *c) {
    char dir[600], d[600], x[600], y[600], args[4096];
    const char *t = check_tmp_dir();
    snprintf(dir, sizeof dir, "%s/cli_synth", t);
    snprintf(d, sizeof d, "%s/cli.patd", t);
    snprintf(x, sizeof x, "%s/cli_x.csv", t);
    snprintf(y, sizeof y, "%s/cli_y.csv", t);
    snprintf(args, sizeof args, "data synth --kind depresjon -o %s --n 10 --days 9 --seed 3", dir);
    expect(c, args, 0, "10 Depresjon-shaped participants");
    snprintf(args, sizeof args, "data build --depresjon %s -o %s --max-windows 1 -q", dir, d);
    expect(c, args, 0, NULL);
    snprintf(args, sizeof args, "data info %s --rows", d);
    expect(c, args, 0, "10 windows of 10080 minutes");
    CHECK(c, said("covariates    11") && said("command=pat data build --depresjon"));
    snprintf(args, sizeof args, "data export --csv %s -o %s --labels %s -q", d, x, y);
    expect(c, args, 0, NULL);
    size_t rows, cols;
    float *v = check_read_csv(x, &rows, &cols);
    CHECK(c, v && rows == 10 && cols == 10080);
    free(v);
    size_t len;
    char *labels = (char *)check_read_file(y, &len);
    CHECK(c, labels && strncmp(labels, "id,start,label,split,fold,valid_minutes\ncondition_1,", 52) == 0);
    free(labels);
    snprintf(args, sizeof args, "data export --csv %s -o %s --standardize --split test -q", d, x);
    expect(c, args, 0, NULL);
    snprintf(args, sizeof args, "data report --depresjon %s -q --nonwear-zeros 30 "
             "--min-day-minutes 1400", dir);
    expect(c, args, 0, "# pat data report");
    CHECK(c, said("control_1,0,") && said("days have >= 1400 valid minutes, 7 needed"));
}

int main(int argc, char **argv) {
    (void)argc;
    snprintf(pat_bin, sizeof pat_bin, "%s", argv[0]);
    char *slash = strrchr(pat_bin, '/');
    if (slash) *slash = '\0';                 /* BUILD/tests */
    slash = strrchr(pat_bin, '/');
    if (slash) snprintf(slash, sizeof pat_bin - (size_t)(slash - pat_bin), "/pat");
    else snprintf(pat_bin, sizeof pat_bin, "build/pat");
    snprintf(out_file, sizeof out_file, "%s/cli_stdout", check_tmp_dir());
    snprintf(err_file, sizeof err_file, "%s/cli_stderr", check_tmp_dir());
    int failures = 0;
    RUN(help_everywhere);
    RUN(usage_errors_exit_2);
    RUN(bad_inputs_name_file_and_line);
    RUN(synth_build_info_export_report);
    return failures ? 1 : 0;
}

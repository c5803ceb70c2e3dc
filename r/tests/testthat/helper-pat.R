# Fixtures and the CLI come from the pat repository's build folder:
# PAT_FIXTURES (build/fixtures) and PAT_CLI (build/pat), absolute paths.
# Tests that need them are skipped when they are not set.
fixture <- function(...) {
  dir <- Sys.getenv("PAT_FIXTURES")
  if (!nzchar(dir) || !file.exists(file.path(dir, "model", "s.safetensors"))) {
    skip("PAT_FIXTURES is not set to the repository's build/fixtures (make fixtures)")
  }
  file.path(dir, ...)
}

pat_cli <- function() {
  exe <- Sys.getenv("PAT_CLI")
  if (!nzchar(exe) || !file.exists(exe)) skip("PAT_CLI is not set to the pat command")
  exe
}

read_rows <- function(path) unname(as.matrix(read.csv(path, header = FALSE)))

# Write x so that the CLI reads exactly the doubles R holds (17 digits);
# both then round them to the same float32 values.
write_rows <- function(x, path) {
  lines <- apply(x, 1, function(r) paste(formatC(r, digits = 17, format = "g"), collapse = ","))
  writeLines(lines, path)
}

# pat KIND's output lines, and the binding's values printed the way the CLI
# prints them (%.9g of each float32 value): equal strings = the same bits.
cli_lines <- function(kind, model, input) {
  out <- system2(pat_cli(), c(kind, "-m", model, "-i", input, "-q"), stdout = TRUE)
  if (!is.null(attr(out, "status"))) stop("pat ", kind, " failed")
  if (length(out) && startsWith(out[1], "id,start,")) { # a dataset: header, id, start
    out <- sub("^[^,]*,[^,]*,", "", out[-1])
  }
  out
}

as_cli_lines <- function(v) {
  if (!is.matrix(v)) v <- matrix(v, ncol = 1)
  apply(v, 1, function(r) paste(sprintf("%.9g", r), collapse = ","))
}

# pat: PAT models from libpat through .Call (src/pat_r.c).

# A library failure (a list of class "pat_failure") becomes an R condition of
# class c("pat_error", "error", "condition") carrying the library's message
# and status; anything else is returned as it is.
checked <- function(res, call) {
  if (inherits(res, "pat_failure")) {
    stop(structure(class = c("pat_error", "error", "condition"),
                   list(message = res$message, call = call, status = res$status)))
  }
  res
}

pat_load <- function(path, threads = NULL) {
  ptr <- checked(.Call(C_load, path.expand(as.character(path))), sys.call())
  structure(list(ptr = ptr, path = path, threads = threads), class = "pat_model")
}

pat_close <- function(model) {
  stopifnot(inherits(model, "pat_model"))
  invisible(checked(.Call(C_close, model$ptr), sys.call()))
}

pat_info <- function(model) {
  stopifnot(inherits(model, "pat_model"))
  checked(.Call(C_info, model$ptr), sys.call())
}

print.pat_model <- function(x, ...) {
  info <- tryCatch(pat_info(x), pat_error = function(e) NULL)
  if (is.null(info)) {
    cat("<pat model ", x$path, " (closed)>\n", sep = "")
  } else {
    cat("<pat model ", x$path, ": ", info$architecture,
        if (info$has_head) " with head", ">\n", sep = "")
  }
  invisible(x)
}

# Rows as a double matrix (a vector is one sequence), the rows' transform.
as_rows <- function(x) {
  tr <- attr(x, "pat.transform")
  if (is.null(tr)) tr <- "none"
  if (is.data.frame(x)) x <- as.matrix(x)
  if (!is.numeric(x)) stop("x must be a numeric matrix (rows = sequences) or vector")
  if (!is.matrix(x)) x <- matrix(x, nrow = 1)
  storage.mode(x) <- "double"
  list(x = x, transform = tr)
}

run_model <- function(model, x, kind, threads, call) {
  stopifnot(inherits(model, "pat_model"))
  if (is.null(threads)) threads <- model$threads
  if (is.null(threads)) threads <- NA_integer_
  threads <- as.integer(threads)
  if (length(threads) != 1 || (!is.na(threads) && (threads < 1 || threads > 1024))) {
    stop("threads must be NULL or a number in 1..1024")
  }
  rows <- as_rows(x)
  checked(.Call(C_run, model$ptr, rows$x, as.integer(kind), threads, rows$transform), call)
}

pat_embed <- function(model, x, threads = NULL) run_model(model, x, 0L, threads, sys.call())

pat_predict <- function(model, x, threads = NULL) run_model(model, x, 1L, threads, sys.call())

pat_explain <- function(model, x, threads = NULL) run_model(model, x, 2L, threads, sys.call())

pat_read_dataset <- function(path) {
  ds <- checked(.Call(C_read_dataset, path.expand(as.character(path))), sys.call())
  attr(ds$x, "pat.transform") <- ds$transform
  ds
}

archs <- c("s", "m", "l", "conv-s", "conv-m", "conv-l")

expect_same_as_cli <- function(model_path, x) {
  input <- tempfile(fileext = ".csv")
  on.exit(unlink(input))
  write_rows(x, input)
  m <- pat_load(model_path)
  on.exit(pat_close(m), add = TRUE)
  expect_identical(as_cli_lines(pat_embed(m, x)), cli_lines("embed", model_path, input))
  expect_identical(as_cli_lines(pat_predict(m, x)), cli_lines("predict", model_path, input))
  expect_identical(as_cli_lines(pat_explain(m, x)), cli_lines("explain", model_path, input))
}

test_that("embed, predict and explain give the CLI's bits on every fixture (day)", {
  x <- read_rows(fixture("model", "x_day.csv"))
  for (a in archs) expect_same_as_cli(fixture("model", paste0(a, ".safetensors")), x)
})

test_that("week-long inputs give the CLI's bits", {
  x <- read_rows(fixture("model", "x_week.csv"))
  for (a in c("s", "conv-l")) expect_same_as_cli(fixture("model", paste0(a, ".safetensors")), x)
})

test_that("Keras .h5 weights give the CLI's bits", {
  if (!.Call(pat:::C_have_hdf5)) skip("libpat built without HDF5")
  x <- read_rows(fixture("model", "x_day.csv"))
  for (a in c("m", "conv-s")) expect_same_as_cli(fixture("model", paste0(a, ".h5")), x)
})

test_that("outputs have the documented shapes and match the reference", {
  x <- read_rows(fixture("model", "x_day.csv"))
  m <- pat_load(fixture("model", "m.safetensors"))
  e <- pat_embed(m, x)
  expect_equal(dim(e), c(3L, 96L))
  expect_equal(e, read_rows(fixture("model", "m_day_embed.csv")), tolerance = 1e-4)
  expect_length(pat_predict(m, x), 3L)
  expect_equal(dim(pat_explain(m, x)), c(3L, 80L))
  expect_equal(rowSums(pat_explain(m, x)), rep(1, 3), tolerance = 1e-5)
  expect_identical(pat_embed(m, x[2, ]), e[2, , drop = FALSE])
  expect_identical(pat_embed(m, x, threads = 1), pat_embed(m, x, threads = 2))
  info <- pat_info(m)
  expect_identical(info$architecture, "PAT-M")
  expect_identical(info$num_layers, 2L)
  expect_equal(info$num_params, info$encoder_params + info$head_params)
  expect_true(info$has_head)
  pat_close(m)
})

test_that("bad inputs raise pat_error with the library's message", {
  x <- read_rows(fixture("model", "x_day.csv"))
  m <- pat_load(fixture("model", "s.safetensors"))
  e <- tryCatch(pat_embed(m, x[, 1:100]), pat_error = function(e) e)
  expect_s3_class(e, "pat_error")
  expect_identical(conditionMessage(e),
                   "sequence length 100 is not a positive multiple of the patch size 18")
  expect_identical(e$status, 1L)
  bad <- x
  bad[3, 8] <- NaN
  expect_error(pat_explain(m, bad), "input row 3, column 8 is not a finite number",
               class = "pat_error", fixed = TRUE)
  bad[3, 8] <- NA
  expect_error(pat_predict(m, bad), "row 3, column 8", class = "pat_error", fixed = TRUE)
  expect_error(pat_embed(m, matrix("a", 1, 18)), "numeric")
  expect_error(pat_embed(m, x, threads = 0), "threads")
  missing <- file.path(tempdir(), "no-such-model.safetensors")
  e <- tryCatch(pat_load(missing), pat_error = function(e) e)
  expect_s3_class(e, "pat_error")
  expect_match(conditionMessage(e), missing, fixed = TRUE)
  expect_identical(e$status, 2L)
  pat_close(m)
})

test_that("closing twice and using a closed model raise, never crash", {
  m <- pat_load(fixture("model", "s.safetensors"))
  x <- matrix(0, 2, 1440)
  expect_null(pat_close(m))
  expect_error(pat_close(m), "the model is closed", class = "pat_error")
  expect_error(pat_embed(m, x), "the model is closed", class = "pat_error")
  expect_error(pat_info(m), "the model is closed", class = "pat_error")
  expect_output(print(m), "closed")
  m2 <- pat_load(fixture("model", "s.safetensors"))
  rm(m2)
  invisible(gc()) # the finalizer frees it
  expect_true(TRUE)
})

test_that("datasets: rows, labels and embeddings as the CLI gives them", {
  cli <- pat_cli()
  fixture("model")
  tmp <- tempfile()
  dir.create(tmp)
  on.exit(unlink(tmp, recursive = TRUE))
  run <- function(...) {
    st <- system2(cli, c(...), stdout = FALSE, stderr = FALSE)
    if (st != 0) stop("pat ", paste(c(...), collapse = " "), " failed")
  }
  days <- c("--length", "1440", "--nonwear-zeros", "600", "--min-day-minutes", "600",
            "--val", "0.3", "--test", "0", "--max-windows", "3", "-q")
  run("data", "synth", "--kind", "depresjon", "-o", file.path(tmp, "cohort"), "--n", "8",
      "--prevalence", "0.5", "--days", "8", "--seed", "3")
  run("data", "build", "--depresjon", file.path(tmp, "cohort"), days, "--scaler", "none",
      "-o", file.path(tmp, "raw.patd"))
  run("data", "build", "--depresjon", file.path(tmp, "cohort"), days, "--log1p",
      "-o", file.path(tmp, "log.patd"))
  model <- fixture("model", "s.safetensors")
  ds <- pat_read_dataset(file.path(tmp, "raw.patd"))
  expect_equal(ncol(ds$x), 1440L)
  expect_length(ds$labels, nrow(ds$x))
  expect_true(all(ds$splits %in% c("train", "val", "test", "none")))
  m <- pat_load(model)
  expect_identical(as_cli_lines(pat_embed(m, ds$x)),
                   cli_lines("embed", model, file.path(tmp, "raw.patd")))
  logds <- pat_read_dataset(file.path(tmp, "log.patd"))
  expect_identical(logds$transform, "log1p")
  expect_error(pat_embed(m, logds$x), "log1p", class = "pat_error")
  e <- tryCatch(pat_read_dataset(file.path(tmp, "none.patd")), pat_error = function(e) e)
  expect_s3_class(e, "pat_error")
  expect_match(conditionMessage(e), "none.patd", fixed = TRUE)
  pat_close(m)
})

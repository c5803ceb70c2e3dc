library(testthat)
library(pat)
test_check("pat")

# Reference values for tests/test_estimate_brr.py: BRR and Fay replicates built by R's
# as.svrepdesign (survey's default Hadamard matrix) on samples of sampling's MU284.
#
#   Rscript tests/reference/brr/make_brr_reference.R     (from the repository root)
#
# Two municipalities per cluster CL (random), for CL 1-8 (H = 8: R uses order 12), CL 1-20
# (H = 20: order 24, Paley), CL 1-50 (H = 50: order 56, the precooked 28 doubled). Writes
# mu284_brr_sample.csv (all 100 municipalities with CL) and brr_reference.csv.
suppressPackageStartupMessages({library(survey); library(sampling)})
data(MU284)
here <- "tests/reference/brr"
fmt <- function(x) sprintf("%.17g", as.numeric(x))
set.seed(50)
s <- unlist(lapply(split(seq_len(nrow(MU284)), MU284$CL), function(i) sample(i, 2)))
ms <- MU284[sort(s), ]
ms$N_h <- as.vector(table(MU284$CL)[as.character(ms$CL)])
ms$w <- ms$N_h / 2
write.csv(ms, file.path(here, "mu284_brr_sample.csv"), row.names = FALSE)
rows <- list()
emit <- function(case, variable, statistic, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, variable = variable, statistic = statistic,
                                          estimate = fmt(est), se = fmt(se))
}
for (h in c(8, 20, 50)) for (rho in c(0, 0.3)) {
  d <- svydesign(id = ~LABEL, strata = ~CL, weights = ~w, data = ms[ms$CL <= h, ])
  r <- if (rho == 0) as.svrepdesign(d, type = "BRR") else as.svrepdesign(d, type = "Fay", fay.rho = rho)
  case <- sprintf("h%d_rho%g", h, rho)
  m <- svymean(~RMT85, r); emit(case, "RMT85", "mean", coef(m), SE(m))
  m <- svytotal(~RMT85, r); emit(case, "RMT85", "total", coef(m), SE(m))
  m <- svyratio(~RMT85, ~P85, r); emit(case, "RMT85/P85", "ratio", coef(m), SE(m))
  q <- svyquantile(~RMT85, r, 0.5, ci = TRUE)[[1]]; emit(case, "RMT85", "quantile", q[1, 1], q[1, 4])
  emit(case, "replicates", "count", ncol(r$repweights$weights), NA)
}
# strata of 4 and 6 PSUs split into pairs (R's large = "split"): regions REG 1-8, with
# 2, 4 or 6 municipalities per region
set.seed(51)
k <- c(2, 4, 6, 2, 4, 2, 6, 2)
s2 <- unlist(lapply(1:8, function(r) sample(which(MU284$REG == r), k[r])))
mr <- MU284[sort(s2), ]
mr$w <- as.vector(table(MU284$REG)[as.character(mr$REG)]) / k[mr$REG]
write.csv(mr, file.path(here, "mu284_brr_split.csv"), row.names = FALSE)
for (rho in c(0, 0.3)) {
  d <- svydesign(id = ~LABEL, strata = ~REG, weights = ~w, data = mr)
  r <- if (rho == 0) as.svrepdesign(d, type = "BRR") else as.svrepdesign(d, type = "Fay", fay.rho = rho)
  case <- sprintf("split_rho%g", rho)
  m <- svymean(~RMT85, r); emit(case, "RMT85", "mean", coef(m), SE(m))
  m <- svytotal(~RMT85, r); emit(case, "RMT85", "total", coef(m), SE(m))
  m <- svyratio(~RMT85, ~P85, r); emit(case, "RMT85/P85", "ratio", coef(m), SE(m))
  q <- svyquantile(~RMT85, r, 0.5, ci = TRUE)[[1]]; emit(case, "RMT85", "quantile", q[1, 1], q[1, 4])
  emit(case, "replicates", "count", ncol(r$repweights$weights), NA)
}
write.csv(do.call(rbind, rows), file.path(here, "brr_reference.csv"), row.names = FALSE, na = "")

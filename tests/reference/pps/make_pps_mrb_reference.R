# Reference values for tests/test_estimate_pps_replicate.py: R's mrbbootstrap (Preston's
# multistage rescaled bootstrap, survey:::mrbweights) on the two-stage Brewer design of
# make_pps_multistage_reference.R. The replicates are random, so R's standard errors from
# 4,000 replicates (seed 19) are compared with fieldsurvey's from 4,000 of its own
# (Monte Carlo error about 1.5 % for a total).
#
#   Rscript tests/reference/pps/make_pps_mrb_reference.R     (from the repository root; minutes)
#
# Writes pps_mrb_reference.csv: case, variable, statistic, estimate, se, replicates.
suppressPackageStartupMessages(library(survey))
here <- "tests/reference/pps"
fmt <- function(x) sprintf("%.17g", as.numeric(x))
c2 <- read.csv(file.path(here, "apiclus2_pps.csv")); c2$half <- c2$dnum %% 2
B <- 4000
rows <- list()
for (case in c("twostage_brewer", "strat_twostage_brewer")) {
  d <- if (case == "twostage_brewer")
    svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = "brewer") else
    svydesign(id = ~dnum + snum, strata = ~half, fpc = ~pi1 + pi2, data = c2, pps = "brewer")
  set.seed(19)
  r <- as.svrepdesign(d, type = "mrbbootstrap", replicates = B)
  for (v in c("api00", "api.stu")) {
    m <- svytotal(as.formula(paste0("~", v)), r)
    rows[[length(rows) + 1]] <- data.frame(case = case, variable = v, statistic = "total",
      estimate = fmt(coef(m)), se = fmt(SE(m)), replicates = B)
    m <- svymean(as.formula(paste0("~", v)), r)
    rows[[length(rows) + 1]] <- data.frame(case = case, variable = v, statistic = "mean",
      estimate = fmt(coef(m)), se = fmt(SE(m)), replicates = B)
  }
}
write.csv(do.call(rbind, rows), file.path(here, "pps_mrb_reference.csv"), row.names = FALSE)

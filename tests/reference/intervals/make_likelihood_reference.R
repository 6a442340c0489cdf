# Reference values for tests/test_estimate_likelihood_ci.py: svyciprop(method = "likelihood")
# in R's survey (4.1.1), on the api data of tests/reference/estimate/ and the MU284 PPS sample
# of tests/reference/pps/.
#
#   Rscript tests/reference/intervals/make_likelihood_reference.R   (from the repository root)
#
# R profiles the quasi-binomial svyglm intercept (survey:::MASSprofile_glm: steps of a fifth
# of zmax standard errors, deviance scaled by the design-based dispersion) and reads the ends
# off an FMM spline of the profile at the design-effect-scaled cutoff (survey:::confint.svyglm,
# survey:::confint_profile). Writes likelihood_reference.csv: case, variable, level, domain,
# conf (the confidence level), estimate, ci_low, ci_high.
suppressPackageStartupMessages({library(survey); library(sampling)})
data(api)
here <- "tests/reference/intervals"
fmt <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
rows <- list()
emit <- function(case, variable, level, domain, conf, est, lo, hi) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, variable = variable, level = level,
    domain = domain, conf = conf, estimate = fmt(est), ci_low = fmt(lo), ci_high = fmt(hi),
    stringsAsFactors = FALSE)
}
props <- function(case, d, var = "sch.wide", levels = c("Yes", "No"), by = "stype",
                  confs = c(0.95, 0.9)) {
  for (conf in confs) {
    for (lev in levels) {
      f <- as.formula(sprintf("~I(%s == '%s')", var, lev))
      r <- svyciprop(f, d, method = "likelihood", level = conf)
      ci <- attr(r, "ci")
      emit(case, var, lev, "", conf, coef(r), ci[1], ci[2])
    }
    if (is.null(by)) next
    f <- as.formula(sprintf("~I(%s == '%s')", var, levels[1]))
    b <- svyby(f, as.formula(paste0("~", by)), d, svyciprop, method = "likelihood",
               vartype = "ci", level = conf)
    for (i in seq_len(nrow(b)))
      emit(case, var, levels[1], paste0(by, "=", b[i, 1]), conf, b[i, 2], b[i, 3], b[i, 4])
  }
}
clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
clus2 <- svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)
props("clus1", clus1); props("strat", strat); props("clus2", clus2)
props("clus1", clus1, var = "stype", levels = c("H", "M"), by = "sch.wide", confs = 0.95)
# calibrated: raked on the population's school types and sch.wide (domains keep zero weights)
pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_sw <- data.frame(sch.wide = c("No", "Yes"), Freq = as.vector(table(apipop$sch.wide)))
raked <- rake(clus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw))
props("clus1_raked", raked, var = "awards", levels = c("Yes", "No"), confs = 0.95)
# a variable with missing values (every third of the first rows): R keeps those rows in the
# subset design and in the mean weight that svyglm scales its weights by
s_na <- apistrat; s_na$aw <- as.character(s_na$awards); s_na$aw[seq(1, 90, by = 3)] <- NA
props("strat_na", svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = s_na),
      var = "aw", confs = 0.95)
c_na <- apiclus1; c_na$aw <- as.character(c_na$awards); c_na$aw[seq(1, 60, by = 3)] <- NA
raked_na <- rake(svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = c_na),
                 list(~stype, ~sch.wide), list(pop_stype, pop_sw))
props("clus1_raked_na", raked_na, var = "aw", confs = 0.95)
# replicate designs
props("clus1_jk1", as.svrepdesign(clus1, type = "JK1"), confs = 0.95)
props("strat_jkn", as.svrepdesign(strat, type = "JKn"), var = "awards", by = NULL, confs = 0.95)
# PPS without replacement (MU284 sample of tests/reference/pps)
ms <- read.csv("tests/reference/pps/mu284_pps.csv")
ms$big <- ifelse(ms$RMT85 > 200, "yes", "no"); ms$half <- ifelse(ms$REG <= 4, "a", "b")
props("mu284_brewer", svydesign(id = ~1, fpc = ~pi, data = ms, pps = "brewer"), var = "big",
      levels = "yes", by = "half", confs = 0.95)
props("mu284_overton", svydesign(id = ~1, fpc = ~pi, data = ms, pps = "overton"), var = "big",
      levels = "yes", by = "half", confs = 0.95)
write.csv(do.call(rbind, rows), file.path(here, "likelihood_reference.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))),
           file.path(here, "likelihood_reference_versions.txt"))

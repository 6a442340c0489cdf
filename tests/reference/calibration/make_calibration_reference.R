# Reference values for tests/test_estimate_calibration.py: calibrated designs in R's survey.
#
#   Rscript tests/reference/calibration/make_calibration_reference.R   (from the repository root)
#
# Reads R's api data (survey) and MU284 (sampling); writes beside this script:
#   mu284_sample.csv        a stratified sample of MU284 (2 municipalities per region, REG 1-8)
#                           with R's BRR and Fay (rho 0.3) replicate analysis weights (brr01..,
#                           fay01..), and the population totals in mu284_totals.csv
#   clus1_boot.csv          R's bootstrap replicate analysis weights for apiclus1 (bw01..bw50)
#   calibration_reference.csv   one row per estimate: case, variable, statistic, domain, level,
#                           estimate, se, ci_low, ci_high, deff
#   calibration_reference_versions.txt
# calibrate() on replicate designs is given compress = FALSE (survey 4.1.1's default NA fails).
# The api data themselves are the files of tests/reference/estimate/ (same R data set).
# Raking is run twice: with R's default control (maxit 10, epsilon 1: case *_rake) and to
# convergence (epsilon 1e-13 of the weight total: *_rake_tight).
suppressPackageStartupMessages({library(survey); library(sampling)})
data(api); data(MU284)
here <- "tests/reference/calibration"
source("tests/reference/survey_helpers.R")  # out_rows, emit, write_exact, z, do_mean, do_quant, do_by_*
# this script's own: proportions and ratios without a design effect, by-domains on one variable
do_prop <- function(case, d, v) {
  m <- svymean(as.formula(paste0("~factor(`", v, "`)")), d, na.rm = TRUE)
  levs <- sort(unique(na.omit(d$variables[[v]])))
  for (i in seq_along(levs)) {
    ci <- attr(svyciprop(as.formula(sprintf("~I(`%s` == '%s')", v, levs[i])), d,
                         method = "logit", na.rm = TRUE), "ci")
    emit(case, v, "prop", NA, as.character(levs[i]), coef(m)[i], SE(m)[i], ci[1], ci[2])
  }
}
do_ratio <- function(case, d, num, den) {
  r <- svyratio(as.formula(paste0("~`", num, "`")), as.formula(paste0("~`", den, "`")), d, na.rm = TRUE)
  est <- coef(r)[1]; se <- SE(r)[1]
  emit(case, paste0(num, "/", den), "ratio", NA, NA, est, se, est - z * se, est + z * se)
}
do_by <- function(case, d, v, by, fun, stat) {
  b <- svyby(as.formula(paste0("~`", v, "`")), as.formula(paste0("~", by)), d, fun, na.rm = TRUE,
             vartype = c("se", "ci"))
  for (i in seq_len(nrow(b)))
    emit(case, v, stat, paste0(by, "=", b[i, 1]), NA, b[i, 2], b[i, 3], b[i, 4], b[i, 5])
}
# every estimator on an api design (Taylor); by-domains on awards (not a calibration variable)
api_suite <- function(case, d) {
  do_mean(case, d, "api00"); do_mean(case, d, "enroll"); do_mean(case, d, "enroll", "total")
  do_mean(case, d, "api00", "total")
  do_prop(case, d, "stype"); do_prop(case, d, "sch.wide"); do_prop(case, d, "awards")
  do_ratio(case, d, "api.stu", "enroll")
  do_quant(case, d, "api00", c(0.25, 0.5, 0.9)); do_quant(case, d, "enroll", 0.5)
  do_by(case, d, "api00", "awards", svymean, "mean")
  do_by(case, d, "enroll", "awards", svytotal, "total")
  do_by(case, d, "api00", "stype", svymean, "mean")
  do_by_ratio(case, d, "api.stu", "enroll", "awards")
  do_by_quant(case, d, "api00", "awards", 0.5)
  do_by_prop(case, d, "sch.wide", "Yes", "awards")
}
rep_suite <- function(case, r) {
  do_mean(case, r, "api00"); do_mean(case, r, "enroll"); do_mean(case, r, "enroll", "total")
  do_prop(case, r, "stype"); do_prop(case, r, "awards")
  do_ratio(case, r, "api.stu", "enroll")
  do_quant(case, r, "api00", 0.5)
  do_by(case, r, "api00", "awards", svymean, "mean")
  do_by(case, r, "enroll", "awards", svytotal, "total")
}

do_cattotal <- function(case, d, v) {
  m <- svytotal(as.formula(paste0("~`", v, "`")), d, na.rm = TRUE, deff = TRUE)
  ci <- confint(m)
  levs <- sort(unique(na.omit(as.character(d$variables[[v]]))))
  for (i in seq_along(levs))
    emit(case, v, "total", NA, levs[i], coef(m)[i], SE(m)[i], ci[i, 1], ci[i, 2], deff(m)[i])
}

# ---- population margins ---------------------------------------------------------------------
pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_sw <- data.frame(sch.wide = c("No", "Yes"), Freq = as.vector(table(apipop$sch.wide)))
pop_aw <- data.frame(awards = c("No", "Yes"), Freq = as.vector(table(apipop$awards)))
api99_total <- sum(apipop$api99)
greg_totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = api99_total)
tight <- list(maxit = 100, epsilon = 1e-13)

clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
clus2 <- svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)

# ---- Taylor: raked, post-stratified, GREG, bounded --------------------------------------------
api_suite("clus1_rake", rake(clus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw)))
api_suite("clus1_rake_tight", rake(clus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = tight))
api_suite("clus1_ps", postStratify(clus1, ~stype, pop_stype))
api_suite("clus1_greg", calibrate(clus1, ~stype + api99, greg_totals))
api_suite("clus1_bounded", calibrate(clus1, ~stype + api99, greg_totals, bounds = c(0.7, 1.7)))
api_suite("clus1_logit", calibrate(clus1, ~stype + api99, greg_totals, calfun = "logit", bounds = c(0.7, 1.7)))
api_suite("clus1_rakingfun", calibrate(clus1, ~stype + api99, greg_totals, calfun = "raking"))
api_suite("strat_rake_tight", rake(strat, list(~sch.wide, ~awards), list(pop_sw, pop_aw), control = tight))
api_suite("strat_ps", postStratify(strat, ~sch.wide, pop_sw))
api_suite("strat_greg", calibrate(strat, ~sch.wide + api99,
                                  c(`(Intercept)` = 6194, sch.wideYes = pop_sw$Freq[2], api99 = api99_total)))
api_suite("clus2_rake_tight", rake(clus2, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = tight))
api_suite("clus2_greg", calibrate(clus2, ~stype + api99, greg_totals))
# trimWeights on the raked design: one pass (R's default) and strict
rk <- rake(clus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = tight)
api_suite("clus1_rake_trim", trimWeights(rk, lower = 30, upper = 40))
api_suite("clus1_rake_trim_strict", trimWeights(rk, lower = 30, upper = 40, strict = TRUE))
# two calibrations in sequence: post-stratify on stype, then GREG on api99
api_suite("clus1_ps_greg", calibrate(postStratify(clus1, ~stype, pop_stype), ~api99,
                                     c(`(Intercept)` = 6194, api99 = api99_total)))

# totals of a categorical variable (svytotal(~stype)): plain, raked, JK1
do_cattotal("cattotal_clus1", clus1, "stype"); do_cattotal("cattotal_clus1", clus1, "awards")
do_cattotal("cattotal_rake", rake(clus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = tight), "awards")
do_cattotal("cattotal_jk1", as.svrepdesign(clus1, type = "JK1"), "stype")

# ---- replicate designs: re-calibrated replicates --------------------------------------------
jk1 <- as.svrepdesign(clus1, type = "JK1")
rep_suite("clus1_jk1_rake_tight", rake(jk1, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = tight))
rep_suite("clus1_jk1_rake", rake(jk1, list(~stype, ~sch.wide), list(pop_stype, pop_sw)))
rep_suite("clus1_jk1_ps", postStratify(jk1, ~stype, pop_stype))
rep_suite("clus1_jk1_greg", calibrate(jk1, ~stype + api99, greg_totals, compress = FALSE))
rep_suite("clus1_jk1_logit", calibrate(jk1, ~stype + api99, greg_totals, calfun = "logit", bounds = c(0.2, 5), compress = FALSE))
jkn <- as.svrepdesign(strat, type = "JKn")
rep_suite("strat_jkn_rake_tight", rake(jkn, list(~sch.wide, ~awards), list(pop_sw, pop_aw), control = tight))
rep_suite("strat_jkn_greg", calibrate(jkn, ~sch.wide + api99,
                                      c(`(Intercept)` = 6194, sch.wideYes = pop_sw$Freq[2], api99 = api99_total), compress = FALSE))
set.seed(20261202)
bs <- as.svrepdesign(clus1, type = "bootstrap", replicates = 50)
aw <- weights(bs, "analysis"); colnames(aw) <- sprintf("bw%02d", seq_len(ncol(aw)))
write_exact(cbind(data.frame(cds = apiclus1$cds), as.data.frame(aw)), file.path(here, "clus1_boot.csv"))
bsc <- svrepdesign(data = cbind(apiclus1, as.data.frame(aw)), repweights = "bw[0-9]+", weights = ~pw,
                   type = "bootstrap", combined.weights = TRUE, scale = bs$scale, rscales = bs$rscales)
emit("meta", "clus1_boot", "scale", NA, NA, bs$scale, NA)
rep_suite("clus1_boot_rake_tight", rake(bsc, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = tight))
rep_suite("clus1_boot_greg", calibrate(bsc, ~stype + api99, greg_totals, compress = FALSE))

# ---- MU284: stratified by region, 2 per region; BRR and Fay; GREG on P75 and CL size -------
set.seed(284)
mu <- MU284
s <- unlist(lapply(split(seq_len(nrow(mu)), mu$REG), function(i) sample(i, 2)))
ms <- mu[sort(s), ]
ms$N_h <- as.vector(table(mu$REG)[as.character(ms$REG)])
ms$w <- ms$N_h / 2
ms$big <- ifelse(ms$P75 > 20, "big", "small")
mu$big <- ifelse(mu$P75 > 20, "big", "small")
md <- svydesign(id = ~1, strata = ~REG, weights = ~w, data = ms)
brr <- as.svrepdesign(md, type = "BRR")
fay <- as.svrepdesign(md, type = "Fay", fay.rho = 0.3)
bw <- weights(brr, "analysis"); colnames(bw) <- sprintf("brr%02d", seq_len(ncol(bw)))
fw <- weights(fay, "analysis"); colnames(fw) <- sprintf("fay%02d", seq_len(ncol(fw)))
write_exact(cbind(ms, as.data.frame(bw), as.data.frame(fw)), file.path(here, "mu284_sample.csv"))
mu_tot <- c(`(Intercept)` = nrow(mu), P75 = sum(mu$P75))
write.csv(data.frame(variable = c("P75", "big", "big"), level = c("(total)", "big", "small"),
                     total = c(sum(mu$P75), sum(mu$big == "big"), sum(mu$big == "small"))),
          file.path(here, "mu284_totals.csv"), row.names = FALSE)
mu_suite <- function(case, d) {
  do_mean(case, d, "RMT85", "total"); do_mean(case, d, "RMT85"); do_mean(case, d, "ME84", "total")
  do_ratio(case, d, "RMT85", "P85")
  do_quant(case, d, "RMT85", 0.5)
  do_by(case, d, "RMT85", "CL", svytotal, "total")
}
mu_suite("mu_greg", calibrate(md, ~P75, mu_tot))
mu_suite("mu_ps", postStratify(md, ~big, data.frame(big = c("big", "small"), Freq = as.vector(table(mu$big)))))
mu_suite("mu_brr_greg", calibrate(brr, ~P75, mu_tot, compress = FALSE))
mu_suite("mu_fay_greg", calibrate(fay, ~P75, mu_tot, compress = FALSE))
mu_suite("mu_brr_ps", postStratify(brr, ~big, data.frame(big = c("big", "small"), Freq = as.vector(table(mu$big)))))
emit("meta", "mu_fay", "scale", NA, NA, fay$scale, NA)

out <- do.call(rbind, out_rows)
write.csv(out, file.path(here, "calibration_reference.csv"), row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("survey", packageVersion("survey")),
             paste("sampling", packageVersion("sampling"))),
           file.path(here, "calibration_reference_versions.txt"))

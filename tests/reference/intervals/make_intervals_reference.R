# Reference values for tests/test_estimate_intervals.py: svyciprop methods and svyquantile
# rules / interval types in R's survey (4.1.1), on the api data of tests/reference/estimate/.
#
#   Rscript tests/reference/intervals/make_intervals_reference.R   (from the repository root)
#
# Writes intervals_reference.csv: case, kind, variable, level, domain, estimate, ci_low,
# ci_high, se (kind: prop:<method> or quantile:<qrule>:<interval.type>).
suppressPackageStartupMessages(library(survey))
data(api)
here <- "tests/reference/intervals"
fmt <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
rows <- list()
emit <- function(case, kind, variable, level, domain, est, lo, hi, se = NA) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, kind = kind, variable = variable,
    level = level, domain = domain, estimate = fmt(est), ci_low = fmt(lo), ci_high = fmt(hi),
    se = fmt(se), stringsAsFactors = FALSE)
}
props <- function(case, d) {
  for (m in c("logit", "xlogit", "mean", "asin", "beta")) {
    for (lev in c("Yes", "No")) {
      r <- svyciprop(as.formula(sprintf("~I(sch.wide == '%s')", lev)), d, method = m)
      ci <- attr(r, "ci")
      emit(case, paste0("prop:", m), "sch.wide", lev, "", coef(r), ci[1], ci[2])
    }
    b <- svyby(~I(sch.wide == "Yes"), ~stype, d, svyciprop, method = m, vartype = "ci")
    for (i in seq_len(nrow(b)))
      emit(case, paste0("prop:", m), "sch.wide", "Yes", paste0("stype=", b[i, 1]), b[i, 2], b[i, 3], b[i, 4])
  }
}
quants <- function(case, d, rules = c("math", "school", "shahvaish", paste0("hf", 1:9)),
                   types = c("mean", "beta", "xlogit", "asin")) {
  for (rule in rules) for (it in types) {
    if (rule != "math" && it != "mean") next  # every rule with mean; every type with math
    q <- svyquantile(~api00, d, c(0.1, 0.25, 0.5, 0.9), ci = TRUE, qrule = rule, interval.type = it)[[1]]
    for (i in seq_len(nrow(q)))
      emit(case, paste0("quantile:", rule, ":", it), "api00", rownames(q)[i], "", q[i, 1], q[i, 2], q[i, 3], q[i, 4])
    b <- svyby(~api00, ~stype, d, svyquantile, quantiles = 0.5, ci = TRUE, qrule = rule,
               interval.type = it, vartype = c("se", "ci"))
    for (i in seq_len(nrow(b)))
      emit(case, paste0("quantile:", rule, ":", it), "api00", "0.5", paste0("stype=", b[i, 1]),
           b[i, 2], b[i, 4], b[i, 5], b[i, 3])
  }
}
clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
clus2 <- svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)
for (nm in c("clus1", "strat", "clus2")) { d <- get(nm); props(nm, d); quants(nm, d) }
jk <- as.svrepdesign(clus1, type = "JK1")
# survey 4.1.1's svyquantile.svyrep.design calls woodruffCI without its method, so every
# interval.type is "mean" there: only "mean" is compared for replicate designs
props("clus1_jk1", jk); quants("clus1_jk1", jk, rules = c("math", "hf7"), types = "mean")
write.csv(do.call(rbind, rows), file.path(here, "intervals_reference.csv"), row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))),
           file.path(here, "intervals_reference_versions.txt"))

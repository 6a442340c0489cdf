# Reference values for tests/test_analysis_real_rates.py: AAPOR outcome rates from
# ropensci/outcomerate (CC0) on its per-case example data `middleearth` (1,691 cases coded with
# the AAPOR outcome groups I, P, R, NC, O, UO, NE and a survey weight), overall and by region,
# unweighted and weighted, with e estimated from the cases of known eligibility and given.
#
#   Rscript tests/reference/rates/make_outcomerate_reference.R OUTCOMERATE_DIR
#
# OUTCOMERATE_DIR is a checkout of github.com/ropensci/outcomerate (98c74a8 or later): its
# R/*.R files and its data are sourced; the package itself need not be installed. Writes,
# beside this script:
#   middleearth_counts.csv      region, code, cases and the sum of svywt per region x code
#                               (the rates depend on nothing else; the test rebuilds a case
#                               file from these)
#   outcomerate_reference.csv   case, group, rate, value
args <- commandArgs(trailingOnly = TRUE)
src <- args[1]
here <- "tests/reference/rates"
fmat <- NULL
load(file.path(src, "R", "sysdata.rda"))          # fmat
for (f in c("helpers.R", "asserters.R", "eligibility_rate.R", "outcomerate.R"))
  source(file.path(src, "R", f))
load(file.path(src, "data", "middleearth.rda"))
me <- as.data.frame(middleearth)
me$code <- as.character(me$code); me$region <- as.character(me$region)
fmt <- function(x) sprintf("%.17g", x)
counts <- aggregate(cbind(cases = 1, weight = me$svywt) ~ region + code, data = me, FUN = sum)
write.csv(counts[order(counts$region, counts$code), ], file.path(here, "middleearth_counts.csv"),
          row.names = FALSE)
rows <- list()
add <- function(case, group, r) rows[[length(rows) + 1]] <<- data.frame(
  case = case, group = group, rate = sub("w$", "", names(r)), value = fmt(r))
one <- function(case, d, group, e_given = NULL, weighted = FALSE) {
  w <- if (weighted) d$svywt else NULL
  e <- if (is.null(e_given)) eligibility_rate(d$code, weight = w) else e_given
  add(case, group, c(e = unname(e)))
  add(case, group, outcomerate(d$code, e = e, weight = w))
}
for (wt in c(FALSE, TRUE)) {
  k <- if (wt) "weighted" else "unweighted"
  one(k, me, "overall", weighted = wt)
  one(paste0(k, "_e0.8"), me, "overall", e_given = 0.8, weighted = wt)
  # by region with e estimated within each region (fieldsurvey --e-by-group)
  for (g in sort(unique(me$region))) one(paste0(k, "_by_region"), me[me$region == g, ], g,
                                         weighted = wt)
}
write.csv(do.call(rbind, rows), file.path(here, "outcomerate_reference.csv"), row.names = FALSE)

# Reference values for tests/test_estimate_pps_replicate.py: as.svrepdesign on PPS designs in
# R's survey (4.1.1).
#
#   Rscript tests/reference/pps/make_pps_replicate_reference.R     (from the repository root)
#
# What R does (survey:::as.svrepdesign.default): for pps = "brewer" designs the FPC is the
# population size n_h / pi of the first stage, so JK1 needs one pi for all PSUs ("More than
# one fpc value given"), JKn and the bootstrap one pi per stratum ("More distinct fpc values
# than strata", "More than one fpc in stratum"); subbootstrap ignores the FPC (the same
# replicate weights as the design with weights 1/pi), BRR and Fay drop it. For pps =
# "overton", HR() and ppsmat() designs (class "pps") every type stops. Writes beside this
# script:
#   mu284_pps_pairs.csv              MU284, two municipalities per region (REG) by PPS
#   pps_replicate_reference.csv      case, variable, statistic, domain, estimate, se
#   pps_replicate_errors.csv         case, type, message (R's conditionMessage)
#   pps_replicate_versions.txt
suppressPackageStartupMessages({library(survey); library(sampling)})
data(MU284)
here <- "tests/reference/pps"
fmt <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
rows <- list()
emit <- function(case, variable, statistic, domain, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, variable = variable,
    statistic = statistic, domain = domain, estimate = fmt(as.numeric(est)[1]),
    se = fmt(as.numeric(se)[1]), stringsAsFactors = FALSE)
}
suite <- function(case, d, y, by) {
  m <- svytotal(as.formula(paste0("~", y)), d); emit(case, y, "total", "", coef(m), SE(m))
  m <- svymean(as.formula(paste0("~", y)), d); emit(case, y, "mean", "", coef(m), SE(m))
  b <- svyby(as.formula(paste0("~", y)), as.formula(paste0("~", by)), d, svymean)
  for (i in seq_len(nrow(b))) emit(case, y, "mean", paste0(by, "=", b[i, 1]), b[i, 2], b[i, 3])
}
api <- "tests/reference/estimate"
clus1 <- read.csv(file.path(api, "apiclus1.csv")); clus1$pi <- 15 / 757
strat <- read.csv(file.path(api, "apistrat.csv")); strat$pi <- 1 / strat$pw
clus2 <- read.csv(file.path(here, "apiclus2_pps.csv")); clus2$pi1c <- 40 / 757

# one pi for all PSUs (JK1, bootstrap), one per stratum (JKn): R's FPC is n / pi
suite("clus1_brewer_jk1", as.svrepdesign(svydesign(id = ~dnum, fpc = ~pi, data = clus1,
      pps = "brewer"), type = "JK1"), "api00", "stype")
suite("strat_brewer_jkn", as.svrepdesign(svydesign(id = ~1, strata = ~stype, fpc = ~pi,
      data = strat, pps = "brewer"), type = "JKn"), "api00", "sch.wide")
d2 <- suppressWarnings(as.svrepdesign(svydesign(id = ~dnum + snum, fpc = ~pi1c + pi2,
      data = clus2, pps = "brewer"), type = "JK1"))   # FPC after stage 1 dropped (warning)
suite("clus2_brewer_jk1", d2, "api00", "stype")

# BRR / Fay on a Brewer sample of two PSUs per stratum (FPC dropped, as R warns)
set.seed(1919)
pairs <- do.call(rbind, lapply(sort(unique(MU284$REG)), function(r) {
  sub <- MU284[MU284$REG == r, ]; p <- inclusionprobabilities(sub$P75, 2)
  sub$pi <- p; sub[UPmaxentropy(p) == 1, ]
}))
write.csv(transform(pairs, pi = fmt(pi)), file.path(here, "mu284_pps_pairs.csv"),
          row.names = FALSE)
bp <- svydesign(id = ~1, strata = ~REG, fpc = ~pi, data = pairs, pps = "brewer")
suite("pairs_brewer_brr", suppressWarnings(as.svrepdesign(bp, type = "BRR")), "RMT85", "CL")
suite("pairs_brewer_fay", suppressWarnings(as.svrepdesign(bp, type = "Fay", fay.rho = 0.3)),
      "RMT85", "CL")
write.csv(do.call(rbind, rows), file.path(here, "pps_replicate_reference.csv"), row.names = FALSE)

# subbootstrap ignores pi: the same replicate weights as the design with weights 1/pi
ms <- read.csv(file.path(here, "mu284_pps.csv"))
set.seed(7); a <- as.svrepdesign(svydesign(id = ~1, fpc = ~pi, data = ms, pps = "brewer"),
                                 type = "subbootstrap")
set.seed(7); b <- as.svrepdesign(svydesign(id = ~1, weights = ~I(1 / pi), data = ms),
                                 type = "subbootstrap")
stopifnot(isTRUE(all.equal(weights(a, "analysis"), weights(b, "analysis"))))

# refusals
err <- function(expr) tryCatch({ suppressWarnings(force(expr)); "" },
                               error = function(e) conditionMessage(e))
ss <- read.csv(file.path(here, "mu284_pps_strat.csv"))
pij <- as.matrix(read.csv(file.path(here, "mu284_pps_joint.csv")))
des <- list(
  brewer = svydesign(id = ~1, fpc = ~pi, data = ms, pps = "brewer"),
  strat_brewer = svydesign(id = ~1, strata = ~half, fpc = ~pi, data = ss, pps = "brewer"),
  overton = svydesign(id = ~1, fpc = ~pi, data = ms, pps = "overton"),
  hr = svydesign(id = ~1, fpc = ~pi, data = ms, pps = HR()),
  ppsmat = svydesign(id = ~1, fpc = ~pi, data = ms, pps = ppsmat(pij)),
  strat_overton = svydesign(id = ~1, strata = ~half, fpc = ~pi, data = ss, pps = "overton"))
errs <- list()
for (nm in names(des)) for (ty in c("JK1", "JKn", "bootstrap", "subbootstrap", "BRR")) {
  errs[[length(errs) + 1]] <- data.frame(case = nm, type = ty,
    message = err(as.svrepdesign(des[[nm]], type = ty)), stringsAsFactors = FALSE)
}
write.csv(do.call(rbind, errs), file.path(here, "pps_replicate_errors.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey")),
             paste("sampling", packageVersion("sampling"))),
           file.path(here, "pps_replicate_versions.txt"))

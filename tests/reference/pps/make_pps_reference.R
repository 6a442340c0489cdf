# Reference values for tests/test_estimate_pps.py: PPS without replacement in R's survey.
#
#   Rscript tests/reference/pps/make_pps_reference.R     (from the repository root)
#
# Draws from sampling's MU284 (size P75): 20 municipalities by maximum-entropy (conditional
# Poisson) PPS sampling, and a stratified sample (REG 1-4 / 5-8, 10 each). Writes beside
# this script:
#   mu284_pps.csv, mu284_pps_strat.csv   the samples with pi (and stratum)
#   mu284_pps_joint.csv                  the sample's exact joint inclusion probabilities
#                                        (sampling::UPmaxentropypi2), rows in sample order
#   pps_reference.csv                    case, variable, statistic, domain, level, estimate, se
#   pps_reference_versions.txt
suppressPackageStartupMessages({library(survey); library(sampling)})
data(MU284)
here <- "tests/reference/pps"
fmt <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
rows <- list()
emit <- function(case, variable, statistic, domain, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, variable = variable, statistic = statistic,
    domain = ifelse(is.na(domain), "", domain), estimate = fmt(as.numeric(est)[1]), se = fmt(as.numeric(se)[1]), stringsAsFactors = FALSE)
}
suite <- function(case, d) {
  for (v in c("RMT85", "ME84")) {
    m <- svytotal(as.formula(paste0("~", v)), d); emit(case, v, "total", NA, coef(m), SE(m))
    m <- svymean(as.formula(paste0("~", v)), d); emit(case, v, "mean", NA, coef(m), SE(m))
  }
  r <- svyratio(~RMT85, ~P85, d); emit(case, "RMT85/P85", "ratio", NA, coef(r), SE(r))
  b <- svyby(~RMT85, ~CL, d, svytotal)
  for (i in seq_len(nrow(b))) emit(case, "RMT85", "total", paste0("CL=", b[i, 1]), b[i, 2], b[i, 3])
  b <- svyby(~RMT85, ~CL, d, svymean)
  for (i in seq_len(nrow(b))) emit(case, "RMT85", "mean", paste0("CL=", b[i, 1]), b[i, 2], b[i, 3])
}
write_exact <- function(d, path) {
  for (n in names(d)) if (is.double(d[[n]])) d[[n]] <- fmt(d[[n]])
  write.csv(d, path, row.names = FALSE, na = "")
}

set.seed(19)
pik <- inclusionprobabilities(MU284$P75, 20)
s <- UPmaxentropy(pik)
ms <- MU284[s == 1, ]; ms$pi <- pik[s == 1]
pi2 <- UPmaxentropypi2(pik)[s == 1, s == 1]
write_exact(ms, file.path(here, "mu284_pps.csv"))
write.csv(matrix(fmt(pi2), nrow(pi2)), file.path(here, "mu284_pps_joint.csv"), row.names = FALSE)
p2bar <- sum(pik^2) / 20
emit("meta", "p2bar", "value", NA, p2bar, NA)
suite("brewer", svydesign(id = ~1, fpc = ~pi, data = ms, pps = "brewer"))
suite("overton", svydesign(id = ~1, fpc = ~pi, data = ms, pps = "overton"))
suite("hr", svydesign(id = ~1, fpc = ~pi, data = ms, pps = HR(p2bar)))
suite("hr_default", svydesign(id = ~1, fpc = ~pi, data = ms, pps = HR()))
suite("ppsmat_ht", svydesign(id = ~1, fpc = ~pi, data = ms, pps = ppsmat(pi2)))
suite("ppsmat_yg", svydesign(id = ~1, fpc = ~pi, data = ms, pps = ppsmat(pi2), variance = "YG"))
suite("overton_yg", svydesign(id = ~1, fpc = ~pi, data = ms, pps = "overton", variance = "YG"))
suite("wr", svydesign(id = ~1, weights = ~I(1 / pi), data = ms))

mu <- MU284; mu$half <- ifelse(mu$REG <= 4, 1, 2)
ss <- do.call(rbind, lapply(1:2, function(h) {
  sub <- mu[mu$half == h, ]; p <- inclusionprobabilities(sub$P75, 10)
  sub$pi <- p; sub[UPmaxentropy(p) == 1, ]
}))
write_exact(ss, file.path(here, "mu284_pps_strat.csv"))
suite("strat_brewer", svydesign(id = ~1, strata = ~half, fpc = ~pi, data = ss, pps = "brewer"))
suite("strat_overton", svydesign(id = ~1, strata = ~half, fpc = ~pi, data = ss, pps = "overton"))
suite("strat_hr_default", svydesign(id = ~1, strata = ~half, fpc = ~pi, data = ss, pps = HR()))

write.csv(do.call(rbind, rows), file.path(here, "pps_reference.csv"), row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("survey", packageVersion("survey")),
             paste("sampling", packageVersion("sampling"))), file.path(here, "pps_reference_versions.txt"))

# two-stage Brewer (R: per-row FPC as probabilities at both stages): apiclus2 with pi1 from
# enrollment-like sizes of the districts and pi2 = schools sampled / schools in the district
data(api)
c2 <- apiclus2
c2$pi1 <- 40 / 757                     # stage 1 as drawn (SRS of 40 of 757 districts)
c2$pi1 <- ave(c2$pi1 * (0.5 + c2$dnum / max(c2$dnum)), c2$dnum)  # made unequal per district
c2$pi2 <- as.vector(ave(rep(1, nrow(c2)), c2$dnum, FUN = sum) / c2$fpc2)
write_exact(c2[, c("dnum", "snum", "stype", "api00", "enroll", "api.stu", "pi1", "pi2")],
            file.path(here, "apiclus2_pps.csv"))
d2 <- svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = "brewer")
for (v in c("api00", "enroll")) {
  m <- svytotal(as.formula(paste0("~", v)), d2); emit("twostage_brewer", v, "total", NA, coef(m), SE(m))
  m <- svymean(as.formula(paste0("~", v)), d2); emit("twostage_brewer", v, "mean", NA, coef(m), SE(m))
}
b <- svyby(~api00, ~stype, d2, svymean)
for (i in seq_len(nrow(b))) emit("twostage_brewer", "api00", "mean", paste0("stype=", b[i, 1]), b[i, 2], b[i, 3])
write.csv(do.call(rbind, rows), file.path(here, "pps_reference.csv"), row.names = FALSE, na = "")

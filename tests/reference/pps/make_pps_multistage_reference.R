# Reference values for tests/test_estimate_pps_multistage.py: what R's survey does with PPS
# designs of several stages (issue 19).
#
#   Rscript tests/reference/pps/make_pps_multistage_reference.R     (from the repository root)
#
# R's svydesign takes several stages of ids only with pps = "brewer" (per-row FPC as
# probabilities at every stage); pps = "overton", HR() and ppsmat() stop with "Multistage PPS
# sampling not supported[ with this method]" (survey:::pps_design.*). One-stage Overton and HR
# designs of clusters (several rows per PSU) give totals, means and ratios (R 4.1.1's svyby on
# them stops in Matrix subsetting, so no domains there). Writes beside this script:
#   pps_multistage_reference.csv   case, variable, statistic, domain, estimate, se
#   pps_multistage_errors.csv      case, message (R's error message, conditionMessage)
#   pps_multistage_versions.txt
suppressPackageStartupMessages(library(survey))
here <- "tests/reference/pps"
fmt <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
rows <- list()
emit <- function(case, variable, statistic, domain, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, variable = variable,
    statistic = statistic, domain = domain, estimate = fmt(as.numeric(est)[1]),
    se = fmt(as.numeric(se)[1]),
    stringsAsFactors = FALSE)
}
suite <- function(case, d, domains = TRUE) {
  for (v in c("api00", "api.stu")) {
    m <- svytotal(as.formula(paste0("~", v)), d); emit(case, v, "total", "", coef(m), SE(m))
    m <- svymean(as.formula(paste0("~", v)), d); emit(case, v, "mean", "", coef(m), SE(m))
  }
  r <- svyratio(~api00, ~api.stu, d); emit(case, "api00/api.stu", "ratio", "", coef(r), SE(r))
  if (!domains) return(invisible())
  b <- svyby(~api00, ~stype, d, svymean)
  for (i in seq_len(nrow(b))) emit(case, "api00", "mean", paste0("stype=", b[i, 1]), b[i, 2], b[i, 3])
  b <- svyby(~api.stu, ~stype, d, svytotal)
  for (i in seq_len(nrow(b))) emit(case, "api.stu", "total", paste0("stype=", b[i, 1]), b[i, 2], b[i, 3])
}
c2 <- read.csv(file.path(here, "apiclus2_pps.csv"))
c2$half <- c2$dnum %% 2          # two strata of districts, for a stratified two-stage design
# accepted: Brewer at both stages, unstratified and stratified; one-stage designs of clusters
suite("twostage_brewer", svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = "brewer"))
suite("strat_twostage_brewer", svydesign(id = ~dnum + snum, strata = ~half, fpc = ~pi1 + pi2,
                                         data = c2, pps = "brewer"))
suite("cluster_brewer", svydesign(id = ~dnum, fpc = ~pi1, data = c2, pps = "brewer"))
suite("cluster_overton", svydesign(id = ~dnum, fpc = ~pi1, data = c2, pps = "overton"), FALSE)
suite("cluster_hr", svydesign(id = ~dnum, fpc = ~pi1, data = c2, pps = HR()), FALSE)
suite("strat_cluster_overton", svydesign(id = ~dnum, strata = ~half, fpc = ~pi1, data = c2,
                                         pps = "overton"), FALSE)
suite("strat_cluster_hr_yg", svydesign(id = ~dnum, strata = ~half, fpc = ~pi1, data = c2,
                                       pps = HR(), variance = "YG"), FALSE)
write.csv(do.call(rbind, rows), file.path(here, "pps_multistage_reference.csv"), row.names = FALSE)

# refused: R's messages
err <- function(expr) tryCatch({ force(expr); NA_character_ }, error = function(e) conditionMessage(e))
pij <- diag(nrow(c2))
errors <- data.frame(case = c("overton", "hr", "hr_psum", "ppsmat", "brewer_yg", "brewer_popsize"),
  message = c(
    err(svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = "overton")),
    err(svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = HR())),
    err(svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = HR(0.1))),
    err(svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = ppsmat(pij))),
    err(svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = c2, pps = "brewer", variance = "YG")),
    err(svydesign(id = ~dnum + snum, fpc = ~I(pi1 * 0 + 757) + I(pi2 * 0 + 100),
                  data = c2, pps = "brewer"))),
  stringsAsFactors = FALSE)
write.csv(errors, file.path(here, "pps_multistage_errors.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))),
           file.path(here, "pps_multistage_versions.txt"))

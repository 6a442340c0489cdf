# Reference values for tests/test_estimate_pps_multistage.py: Hartley-Rao with the population's
# sum(pi^2)/n given per stratum, R's HR(psum, strata) (survey 4.1.1).
#
#   Rscript tests/reference/pps/make_pps_hr_reference.R     (from the repository root)
#
# On the stratified MU284 sample of make_pps_reference.R (strata half = 1, 2; 10 PSUs each).
# R looks psum up by the stratum's value (survey:::multi.HRDcheck), so a single number for a
# stratified design gives NA standard errors in R; a list of one value per stratum is R's form.
# Writes pps_hr_reference.csv: case, variable, statistic, domain, estimate, se (and the p2bar).
suppressPackageStartupMessages({library(survey); library(sampling)})
data(MU284)
here <- "tests/reference/pps"
fmt <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
ss <- read.csv(file.path(here, "mu284_pps_strat.csv"))
mu <- MU284; mu$half <- ifelse(mu$REG <= 4, 1, 2)
p2 <- sapply(1:2, function(h) { p <- inclusionprobabilities(mu$P75[mu$half == h], 10); sum(p^2) / 10 })
rows <- data.frame(case = "meta", variable = c("p2bar_1", "p2bar_2"), statistic = "value",
                   domain = "", estimate = fmt(p2), se = NA, stringsAsFactors = FALSE)
for (case in c("strat_hr_psum", "strat_hr_psum_yg")) {
  d <- svydesign(id = ~1, strata = ~half, fpc = ~pi, data = ss,
                 pps = HR(list(p2), strata = list(1:2)),
                 variance = if (case == "strat_hr_psum") "HT" else "YG")
  for (v in c("RMT85", "ME84")) {
    m <- svytotal(as.formula(paste0("~", v)), d)
    rows <- rbind(rows, data.frame(case = case, variable = v, statistic = "total", domain = "",
                                   estimate = fmt(coef(m)), se = fmt(SE(m))))
    m <- svymean(as.formula(paste0("~", v)), d)
    rows <- rbind(rows, data.frame(case = case, variable = v, statistic = "mean", domain = "",
                                   estimate = fmt(coef(m)), se = fmt(SE(m))))
  }
}
one <- svytotal(~RMT85, svydesign(id = ~1, strata = ~half, fpc = ~pi, data = ss, pps = HR(p2[1])))
rows <- rbind(rows, data.frame(case = "strat_hr_single_psum", variable = "RMT85",
                               statistic = "total", domain = "", estimate = fmt(coef(one)),
                               se = fmt(SE(one))))
write.csv(rows, file.path(here, "pps_hr_reference.csv"), row.names = FALSE)

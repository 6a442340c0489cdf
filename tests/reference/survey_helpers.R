# Shared by the R scripts that write reference values from R's survey package
# (estimate/make_estimate_reference.R, calibration/make_calibration_reference.R):
# one way to write numbers exactly and one row layout for every estimate, so the Python
# tests read every reference file alike.
#
#   source("tests/reference/survey_helpers.R")        (the scripts run from the repository root)
#
# emit() collects rows in out_rows (case, variable, statistic, domain, level, estimate, se,
# ci_low, ci_high, deff); the caller writes them with write.csv at the end. The estimators
# here are the ones both scripts run the same way; a script keeps its own where it differs
# (whether a design effect is asked for).
out_rows <- list()
fmt <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
emit <- function(case, variable, statistic, domain, level, est, se, lo = NA, hi = NA, deff = NA) {
  out_rows[[length(out_rows) + 1]] <<- data.frame(
    case = case, variable = variable, statistic = statistic,
    domain = ifelse(is.na(domain), "", domain), level = ifelse(is.na(level), "", level),
    estimate = fmt(est), se = fmt(se), ci_low = fmt(lo), ci_high = fmt(hi), deff = fmt(deff),
    stringsAsFactors = FALSE)
}
write_exact <- function(d, path) {
  for (n in names(d)) if (is.double(d[[n]])) d[[n]] <- fmt(d[[n]])
  write.csv(d, path, row.names = FALSE, na = "")
}
z <- qnorm(0.975)

# ---- estimators (mean/total with deff, quantiles, and by-domain ratio, quantile, proportion) ----
do_mean <- function(case, d, v, stat = "mean", domain = NA) {
  f <- if (stat == "mean") svymean else svytotal
  m <- f(as.formula(paste0("~`", v, "`")), d, na.rm = TRUE, deff = TRUE)
  ci <- confint(m)
  emit(case, v, stat, domain, NA, coef(m)[1], SE(m)[1], ci[1, 1], ci[1, 2], deff(m)[1])
}
do_quant <- function(case, d, v, ps) {
  q <- svyquantile(as.formula(paste0("~`", v, "`")), d, ps, ci = TRUE, na.rm = TRUE)[[1]]
  for (i in seq_along(ps)) emit(case, v, "quantile", NA, format(ps[i]), q[i, 1], q[i, 4], q[i, 2], q[i, 3])
}
do_by_ratio <- function(case, d, num, den, by) {
  b <- svyby(as.formula(paste0("~`", num, "`")), as.formula(paste0("~", by)), d, svyratio,
             denominator = as.formula(paste0("~`", den, "`")), na.rm = TRUE, vartype = c("se", "ci"))
  for (i in seq_len(nrow(b)))
    emit(case, paste0(num, "/", den), "ratio", paste0(by, "=", b[i, 1]), NA, b[i, 2], b[i, 3], b[i, 4], b[i, 5])
}
do_by_quant <- function(case, d, v, by, p) {
  b <- svyby(as.formula(paste0("~`", v, "`")), as.formula(paste0("~", by)), d, svyquantile,
             quantiles = p, ci = TRUE, na.rm = TRUE, vartype = c("se", "ci"))
  for (i in seq_len(nrow(b)))
    emit(case, v, "quantile", paste0(by, "=", b[i, 1]), format(p), b[i, 2], b[i, 3], b[i, 4], b[i, 5])
}
do_by_prop <- function(case, d, v, lev, by) {
  b <- svyby(as.formula(sprintf("~I(`%s` == '%s')", v, lev)), as.formula(paste0("~", by)), d,
             svyciprop, method = "logit", vartype = c("se", "ci"), na.rm = TRUE)
  for (i in seq_len(nrow(b)))
    emit(case, v, "prop", paste0(by, "=", b[i, 1]), lev, b[i, 2], b[i, 3], b[i, 4], b[i, 5])
}

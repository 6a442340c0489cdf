# Reference values for tests/test_estimate_*.py, made with R's survey package.
#
#   Rscript tests/reference/estimate/make_estimate_reference.R     (from the repository root)
#
# Writes, beside this script:
#   apistrat.csv, apiclus1.csv, apiclus2.csv   R's api data (all columns, doubles at 17 digits),
#                                              with two extra columns for the lonely-PSU cases:
#                                              apiclus1$lstr (stratum 3 holds one district) and
#                                              apiclus2$fpc2l (fpc2 with single-school districts
#                                              made non-certainty, so they are lonely at stage 2)
#   boot_strat_repweights.csv                  R's bootstrap analysis weights for apistrat
#   estimate_reference.csv                     one row per estimate: case, variable, statistic,
#                                              domain, level, estimate, se, ci_low, ci_high, deff
#   estimate_reference_versions.txt            R and survey versions
# and, when ../shared/data/frames/nhanes2.csv exists, the NHANES II rows (case "nhanes*").
suppressPackageStartupMessages(library(survey))
data(api)
here <- "tests/reference/estimate"
source("tests/reference/survey_helpers.R")  # out_rows, emit, write_exact, z, do_mean, do_quant, do_by_*

# ---- data -------------------------------------------------------------------------------------
dn <- sort(unique(apiclus1$dnum))
apiclus1$lstr <- ifelse(apiclus1$dnum %in% dn[1:7], 1L, ifelse(apiclus1$dnum %in% dn[8:14], 2L, 3L))
apiclus2$fpc2 <- as.vector(apiclus2$fpc2)
apiclus2$fpc2l <- ifelse(apiclus2$fpc2 == 1, 4, apiclus2$fpc2)
# two 5-point "satisfaction" items with missing codes (8 = 不了解, -8 = 不知道) for the
# satisfaction statistics: s1 from api00, s2 from api99
apiclus2$s1 <- pmin(5, pmax(1, apiclus2$api00 %/% 100 - 3))
apiclus2$s1[apiclus2$meals > 90] <- 8
apiclus2$s2 <- pmin(5, pmax(1, apiclus2$api99 %/% 100 - 3))
apiclus2$s2[apiclus2$ell > 50] <- -8
write_exact(apistrat, file.path(here, "apistrat.csv"))
write_exact(apiclus1, file.path(here, "apiclus1.csv"))
write_exact(apiclus2, file.path(here, "apiclus2.csv"))

# ---- estimate helpers -------------------------------------------------------------------------
# (the shared ones are in survey_helpers.R; these ask for design effects, do_by on crossed domains)
do_prop <- function(case, d, v) {
  m <- svymean(as.formula(paste0("~factor(`", v, "`)")), d, na.rm = TRUE, deff = TRUE)
  levs <- sort(unique(na.omit(d$variables[[v]])))
  for (i in seq_along(levs)) {
    ci <- attr(svyciprop(as.formula(sprintf("~I(`%s` == '%s')", v, levs[i])), d,
                         method = "logit", na.rm = TRUE), "ci")
    emit(case, v, "prop", NA, as.character(levs[i]), coef(m)[i], SE(m)[i], ci[1], ci[2], deff(m)[i])
  }
}
do_ratio <- function(case, d, num, den) {
  # svyratio.svyrep.design fails with deff=TRUE in survey 4.1 (rval[i, j] on a list): no deff there
  isrep <- inherits(d, "svyrep.design")
  r <- svyratio(as.formula(paste0("~`", num, "`")), as.formula(paste0("~`", den, "`")), d,
                na.rm = TRUE, deff = !isrep)
  est <- coef(r)[1]; se <- SE(r)[1]
  emit(case, paste0(num, "/", den), "ratio", NA, NA, est, se, est - z * se, est + z * se,
       if (isrep) NA else attr(r, "deff")[1, 1])
}
do_by <- function(case, d, v, by, fun, stat, ...) {
  f <- as.formula(paste0("~`", v, "`"))
  b <- svyby(f, as.formula(paste0("~", by)), d, fun, na.rm = TRUE, deff = (stat %in% c("mean", "total")),
             vartype = c("se", "ci"), ...)
  bys <- strsplit(by, "\\+")[[1]]
  for (i in seq_len(nrow(b))) {
    dom <- paste(paste0(bys, "=", sapply(bys, function(k) as.character(b[i, k]))), collapse = ", ")
    k <- length(bys)
    deffv <- if (stat %in% c("mean", "total")) b[i, k + 5] else NA
    emit(case, v, stat, dom, NA, b[i, k + 1], b[i, k + 2], b[i, k + 3], b[i, k + 4], deffv)
  }
}
api_suite <- function(case, d, enroll_ok = TRUE) {
  do_mean(case, d, "api00"); do_mean(case, d, "enroll"); do_mean(case, d, "api.stu")
  do_mean(case, d, "enroll", "total"); do_mean(case, d, "api00", "total")
  do_prop(case, d, "stype"); do_prop(case, d, "sch.wide")
  do_ratio(case, d, "api.stu", "enroll")
  do_quant(case, d, "api00", c(0.25, 0.5, 0.9)); do_quant(case, d, "enroll", c(0.5))
  do_by(case, d, "api00", "stype", svymean, "mean")
  do_by(case, d, "enroll", "stype", svytotal, "total")
  do_by(case, d, "api00", "stype+sch.wide", svymean, "mean")
  do_by_ratio(case, d, "api.stu", "enroll", "stype")
  do_by_quant(case, d, "api00", "stype", 0.5)
  do_by_prop(case, d, "sch.wide", "Yes", "stype")
}

rep_suite <- function(case, r) {
  do_mean(case, r, "api00"); do_mean(case, r, "enroll"); do_mean(case, r, "enroll", "total")
  do_prop(case, r, "stype")
  do_ratio(case, r, "api.stu", "enroll")
  do_quant(case, r, "api00", c(0.5))
  do_by(case, r, "api00", "stype", svymean, "mean")
  do_by(case, r, "enroll", "stype", svytotal, "total")
}

# ---- Taylor designs ---------------------------------------------------------------------------
strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
clus1frac <- svydesign(id = ~dnum, weights = ~pw, fpc = ~I(15 / fpc), data = apiclus1)
clus1nofpc <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
clus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
clus2w <- svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)
clus2uc <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
api_suite("strat", strat); api_suite("clus1", clus1); api_suite("clus1frac", clus1frac)
api_suite("clus1nofpc", clus1nofpc); api_suite("clus2", clus2); api_suite("clus2w", clus2w)
api_suite("clus2uc", clus2uc)

# ---- replicate designs ------------------------------------------------------------------------
rep_suite("strat_jkn", as.svrepdesign(strat, type = "JKn"))
rep_suite("clus1_jk1", as.svrepdesign(clus1, type = "JK1"))
rep_suite("clus1nofpc_jk1", as.svrepdesign(clus1nofpc, type = "JK1"))
rep_suite("clus2_jk1", suppressWarnings(as.svrepdesign(clus2w, type = "JK1")))
set.seed(20261121)
bs <- as.svrepdesign(strat, type = "subbootstrap", replicates = 60)
aw <- weights(bs, "analysis")
colnames(aw) <- sprintf("rw%02d", seq_len(ncol(aw)))
write_exact(cbind(data.frame(cds = apistrat$cds), as.data.frame(aw)), file.path(here, "boot_strat_repweights.csv"))
bsc <- svrepdesign(data = cbind(apistrat, as.data.frame(aw)), repweights = "rw[0-9]+", weights = ~pw,
                   type = "bootstrap", combined.weights = TRUE, scale = bs$scale, rscales = bs$rscales)
rep_suite("strat_boot_columns", bsc)
emit("meta", "strat_boot_columns", "scale", NA, NA, bs$scale, NA)

# ---- satisfaction items (Likert 1-5) ---------------------------------------------------------
sat <- apiclus2
sat$x1 <- ifelse(sat$s1 %in% c(8, -8, -9), NA, sat$s1)
sat$x2 <- ifelse(sat$s2 %in% c(8, -8, -9), NA, sat$s2)
sc <- cbind(25 * (sat$x1 - 1), 25 * (sat$x2 - 1))
sat$score <- ifelse(rowSums(!is.na(sc)) >= 1, rowMeans(sc, na.rm = TRUE), NA)
sat$t1 <- as.numeric(sat$x1 >= 4); sat$t2 <- as.numeric(sat$x2 >= 4)
sd <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = sat)
for (v in c("x1", "x2", "score", "t1", "t2")) { do_mean("satis", sd, v); do_by("satis", sd, v, "stype", svymean, "mean") }
for (v in c("x1", "x2")) {
  ci <- attr(svyciprop(as.formula(sprintf("~I(%s >= 4)", v)), sd, method = "logit", na.rm = TRUE), "ci")
  emit("satis", v, "top2ci", NA, NA, NA, NA, ci[1], ci[2])
  b <- svyby(as.formula(sprintf("~I(%s >= 4)", v)), ~stype, sd, svyciprop, method = "logit",
             vartype = "ci", na.rm = TRUE)
  for (i in seq_len(nrow(b))) emit("satis", v, "top2ci", paste0("stype=", b[i, 1]), NA, NA, NA, b[i, 3], b[i, 4])
}

# ---- lonely PSUs ------------------------------------------------------------------------------
for (rule in c("fail", "remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = rule)
  for (withfpc in c(FALSE, TRUE)) {
    case <- paste0("lonely1_", rule, if (withfpc) "_fpc" else "")
    d <- if (withfpc) svydesign(id = ~dnum, strata = ~lstr, weights = ~pw, fpc = ~fpc, data = apiclus1)
         else svydesign(id = ~dnum, strata = ~lstr, weights = ~pw, data = apiclus1)
    res <- try({
      do_mean(case, d, "api00"); do_mean(case, d, "enroll", "total")
      do_ratio(case, d, "api.stu", "enroll")
      do_by(case, d, "api00", "stype", svymean, "mean")
    }, silent = TRUE)
    if (inherits(res, "try-error")) emit(case, "api00", "error", NA, NA, NA, NA)
  }
  case <- paste0("lonely2_", rule)
  d <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2l, data = apiclus2)
  res <- try({ do_mean(case, d, "api00"); do_mean(case, d, "enroll", "total")
               do_by(case, d, "api00", "stype", svymean, "mean") }, silent = TRUE)
  if (inherits(res, "try-error")) emit(case, "api00", "error", NA, NA, NA, NA)
  if (rule != "fail") {
    case <- paste0("lonely1_jkn_", rule)
    r <- as.svrepdesign(svydesign(id = ~dnum, strata = ~lstr, weights = ~pw, data = apiclus1), type = "JKn")
    do_mean(case, r, "api00"); do_mean(case, r, "enroll", "total")
  }
}
options(survey.lonely.psu = "fail")

# ---- NHANES II (shared data) --------------------------------------------------------------------
nh_path <- "../shared/data/frames/nhanes2.csv"
if (file.exists(nh_path)) {
  nh <- read.csv(nh_path)
  nhd <- svydesign(id = ~psuid, strata = ~stratid, weights = ~finalwgt, nest = TRUE, data = nh)
  for (v in c("highbp", "zinc", "highlead", "diabetes")) do_mean("nhanes", nhd, v)
  do_mean("nhanes", nhd, "highbp", "total")
  do_prop("nhanes", nhd, "race"); do_prop("nhanes", nhd, "region")
  do_ratio("nhanes", nhd, "highbp", "diabetes")
  do_quant("nhanes", nhd, "zinc", c(0.1, 0.5, 0.75))
  do_by("nhanes", nhd, "zinc", "region", svymean, "mean")
  do_by("nhanes", nhd, "highbp", "region+race", svymean, "mean")
  do_by_quant("nhanes", nhd, "zinc", "region", 0.5)
  nhr <- as.svrepdesign(nhd, type = "JKn")
  do_mean("nhanes_jkn", nhr, "zinc"); do_mean("nhanes_jkn", nhr, "highbp", "total")
  do_by("nhanes_jkn", nhr, "zinc", "region", svymean, "mean")
  nhb <- as.svrepdesign(nhd, type = "BRR")
  do_mean("nhanes_brr", nhb, "highbp", "total"); do_mean("nhanes_brr", nhb, "zinc", "total")
}

out <- do.call(rbind, out_rows)
write.csv(out, file.path(here, "estimate_reference.csv"), row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))),
           file.path(here, "estimate_reference_versions.txt"))

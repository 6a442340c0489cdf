# Reference values for R's options(survey.adjust.domain.lonely = TRUE) (tests/test_estimate_domains.py).
#
#   Rscript tests/reference/domains/make_domain_lonely_reference.R   (from the repository root)
#
# apiclus1 with three pseudo-strata of districts (lstr, as tests/reference/estimate/apiclus1.csv)
# and domains by stype and by awards: some domains fall in one PSU of a stratum. Every lonely
# rule with the option TRUE (and FALSE for comparison). Writes domain_lonely_reference.csv.
suppressPackageStartupMessages(library(survey))
here <- "tests/reference/domains"
fmt <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
d1 <- read.csv("tests/reference/estimate/apiclus1.csv")
rows <- list()
for (adj in c(TRUE, FALSE)) for (rule in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = rule, survey.adjust.domain.lonely = adj)
  d <- svydesign(id = ~dnum, strata = ~lstr, weights = ~pw, fpc = ~fpc, data = d1)
  for (by in c("stype", "awards")) for (stat in c("mean", "total")) {
    f <- if (stat == "mean") svymean else svytotal
    b <- suppressWarnings(svyby(~api00, as.formula(paste0("~", by)), d, f))
    for (i in seq_len(nrow(b)))
      rows[[length(rows) + 1]] <- data.frame(rule = rule, adjust = adj, variable = "api00",
        statistic = stat, domain = paste0(by, "=", b[i, 1]), estimate = fmt(b[i, 2]),
        se = fmt(b[i, 3]))
  }
}
write.csv(do.call(rbind, rows), file.path(here, "domain_lonely_reference.csv"), row.names = FALSE, na = "")

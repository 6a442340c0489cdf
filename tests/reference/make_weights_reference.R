# Reference weights for tests/test_weights_reference.py, made with R's survey package.
#
#   cd tests/reference && Rscript make_weights_reference.R
#
# Writes the api data sets the tests need (api/*.csv, so the tests do not need R) and
# weights_reference.csv: one row per (case, school) with the weight R computed.
# Raking runs to epsilon = 1e-13 (relative to the weight total) so the weights are exact
# to far better than the 1e-8 the tests ask for.
suppressPackageStartupMessages(library(survey))
data(api)
options(digits = 17)

cols <- c("cds", "stype", "sch.wide", "awards", "pw", "fpc", "api00")
exact <- function(d) { d$pw <- sprintf("%.17g", d$pw); d }
write.csv(exact(apiclus1[, c(cols, "dnum")]), "api/apiclus1.csv", row.names = FALSE)
write.csv(exact(apistrat[, cols]), "api/apistrat.csv", row.names = FALSE)
write.csv(apipop[, c("stype", "sch.wide", "awards")], "api/apipop.csv", row.names = FALSE)

ctrl <- list(maxit = 1000, epsilon = 1e-13)
pop_stype <- as.data.frame(table(stype = apipop$stype))
pop_sw <- as.data.frame(table(sch.wide = apipop$sch.wide))
pop_aw <- as.data.frame(table(awards = apipop$awards))
pop_cross <- as.data.frame(table(stype = apipop$stype, sch.wide = apipop$sch.wide))

out <- list()
add <- function(case, data, w) {
  out[[case]] <<- data.frame(case = case, cds = data$cds, weight = sprintf("%.17g", w))
}

# 1. apiclus1 raked on stype and sch.wide
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
r1 <- rake(dclus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control = ctrl)
add("apiclus1_rake_stype_schwide", apiclus1, weights(r1))

# 2. apiclus1 post-stratified on stype
p1 <- postStratify(dclus1, ~stype, pop_stype)
add("apiclus1_poststratify_stype", apiclus1, weights(p1))

# 3. apistrat (unequal weights) raked on three margins: stype, sch.wide, awards
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
r3 <- rake(dstrat, list(~stype, ~sch.wide, ~awards), list(pop_stype, pop_sw, pop_aw), control = ctrl)
add("apistrat_rake_stype_schwide_awards", apistrat, weights(r3))

# 4. apistrat post-stratified on the cross-classification stype x sch.wide
p4 <- postStratify(dstrat, ~stype + sch.wide, pop_cross)
add("apistrat_poststratify_stype_x_schwide", apistrat, weights(p4))

# 5. apiclus1 raked (case 1) then trimmed at 40 with trimWeights(strict = TRUE):
#    the amount cut is shared equally among the untrimmed cases, repeated until none is above.
t5 <- trimWeights(r1, upper = 40, strict = TRUE)
add("apiclus1_rake_trim40_strict", apiclus1, weights(t5))

ref <- do.call(rbind, out)
write.csv(ref, "weights_reference.csv", row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))), "weights_reference_versions.txt")

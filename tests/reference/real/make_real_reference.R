# Reference values for tests/test_analysis_real_*.py: R's survey package on the real public
# datasets of R's survey and sampling packages, as an analyst would give them to fieldsurvey
# (CSV, SPSS .sav and Stata .dta with value labels and missing codes, Chinese column names,
# strata with one PSU, FPC as population sizes or as fractions, PPS, replicate weights,
# raking / post-stratification / GREG).
#
#   Rscript tests/reference/real/make_real_reference.R [DATA_DIR]     (from the repository root)
#
# Writes the data files into DATA_DIR (default /tmp/fieldsurvey-real; they are R's own data,
# not committed) and, beside this script:
#   real_reference.csv        one row per estimate: case, variable, statistic, domain, level,
#                             estimate, se, ci_low, ci_high, deff
#   real_cases.csv            case, the data file and the fieldsurvey estimate arguments
#   real_versions.txt         R, survey and sampling versions
#   data/                     the small data files (all but NHANES and YRBS), for the tests
# The data are deterministic (R's data sets; samples drawn with set.seed in this script).
suppressPackageStartupMessages({library(survey); library(sampling); library(haven)})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "/tmp/fieldsurvey-real"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
here <- "tests/reference/real"
source("tests/reference/survey_helpers.R")
cases <- list()
case_args <- function(case, file, cli) {
  cases[[length(cases) + 1]] <<- data.frame(case = case, file = file, args = cli,
                                            stringsAsFactors = FALSE)
}
wcsv <- function(d, name) { write_exact(d, file.path(out, name)); name }

# ---- estimators -------------------------------------------------------------------------------
f1 <- function(v) as.formula(paste0("~`", v, "`"))
m_mean <- function(case, d, v, stat = "mean") {
  f <- if (stat == "mean") svymean else svytotal
  isrep <- inherits(d, "svyrep.design")
  m <- f(f1(v), d, na.rm = TRUE, deff = !isrep)
  ci <- confint(m)
  # survey 4.1's svytotal.pps leaves out the 1/n of the SRS variance (and applies the FPC
  # only for deff = "replace"), so its design effect of a total under Overton or ppsmat is
  # n times too small: no reference deff there (Brewer designs take the general path)
  nodeff <- isrep || (inherits(d, "pps") && stat == "total")
  emit(case, v, stat, NA, NA, coef(m)[1], SE(m)[1], ci[1, 1], ci[1, 2],
       if (nodeff) NA else deff(m)[1])
}
m_prop <- function(case, d, v, ci = TRUE) {
  isrep <- inherits(d, "svyrep.design")
  m <- svymean(as.formula(paste0("~factor(`", v, "`)")), d, na.rm = TRUE, deff = !isrep)
  levs <- sort(unique(na.omit(d$variables[[v]])))
  for (i in seq_along(levs)) {
    lo <- hi <- NA
    if (ci) {
      cc <- attr(svyciprop(as.formula(sprintf("~I(`%s` == '%s')", v, levs[i])), d,
                           method = "logit", na.rm = TRUE), "ci")
      lo <- cc[1]; hi <- cc[2]
    }
    emit(case, v, "prop", NA, as.character(levs[i]), coef(m)[i], SE(m)[i], lo, hi,
         if (isrep) NA else deff(m)[i])
  }
}
m_ratio <- function(case, d, num, den) {
  r <- svyratio(f1(num), f1(den), d, na.rm = TRUE)
  est <- coef(r)[1]; se <- SE(r)[1]
  emit(case, paste0(num, "/", den), "ratio", NA, NA, est, se, est - z * se, est + z * se)
}
m_by <- function(case, d, v, by, fun, stat) {
  b <- svyby(f1(v), as.formula(paste0("~`", by, "`")), d, fun, na.rm = TRUE,
             vartype = c("se", "ci"))
  for (i in seq_len(nrow(b)))
    emit(case, v, stat, paste0(by, "=", as.character(b[i, 1])), NA, b[i, 2], b[i, 3], b[i, 4],
         b[i, 5])
}
m_quant <- function(case, d, v, ps) {
  q <- svyquantile(f1(v), d, ps, ci = TRUE, na.rm = TRUE)[[1]]
  for (i in seq_along(ps)) emit(case, v, "quantile", NA, format(ps[i]), q[i, 1], q[i, 4], q[i, 2],
                                 q[i, 3])
}

# ---- NHANES 2009-10 subset (survey::nhanes): CSV, and .sav / .dta with Chinese names,
# value labels and a missing code for HI_CHOL -----------------------------------------------
data(nhanes)
nh <- nhanes
nh$agecat <- as.character(nh$agecat)
f <- wcsv(nh, "nhanes.csv")
des <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh)
nh_suite <- function(case, d, chol, race, age, sex) {
  m_mean(case, d, chol); m_mean(case, d, chol, "total")
  m_prop(case, d, race); m_prop(case, d, age); m_prop(case, d, chol)
  m_by(case, d, chol, sex, svymean, "mean")
  m_by(case, d, chol, race, svytotal, "total")
  m_ratio(case, d, chol, sex)
}
nh_suite("nhanes", des, "HI_CHOL", "race", "agecat", "RIAGENDR")
case_args("nhanes", f, paste("--psu SDMVPSU --strata SDMVSTRA --weights WTMEC2YR --nest",
                              "--mean HI_CHOL --total HI_CHOL --prop race,agecat,HI_CHOL",
                              "| --mean HI_CHOL --by RIAGENDR | --total HI_CHOL --by race",
                              "| --ratio HI_CHOL/RIAGENDR"))
# JKn replicates built from the design (deterministic)
rdes <- as.svrepdesign(des, type = "JKn")
m_mean("nhanes_jkn", rdes, "HI_CHOL"); m_mean("nhanes_jkn", rdes, "HI_CHOL", "total")
m_prop("nhanes_jkn", rdes, "race", ci = FALSE); m_ratio("nhanes_jkn", rdes, "HI_CHOL", "RIAGENDR")
m_by("nhanes_jkn", rdes, "HI_CHOL", "race", svymean, "mean")
case_args("nhanes_jkn", f, paste("--psu SDMVPSU --strata SDMVSTRA --weights WTMEC2YR --nest",
                                  "--replicates jkn --mean HI_CHOL --total HI_CHOL --prop race",
                                  "--ratio HI_CHOL/RIAGENDR | --mean HI_CHOL --by race"))

zh <- data.frame(层 = nh$SDMVSTRA, 初级单位 = nh$SDMVPSU, 体检权重 = nh$WTMEC2YR,
                 高胆固醇 = ifelse(is.na(nh$HI_CHOL), 9, nh$HI_CHOL),
                 种族 = nh$race, 年龄组 = as.integer(factor(nh$agecat)), 性别 = nh$RIAGENDR,
                 check.names = FALSE)
sav <- zh
sav$高胆固醇 <- labelled_spss(zh$高胆固醇, c(否 = 0, 是 = 1, 未测 = 9), na_values = 9,
                           label = "总胆固醇偏高")
sav$种族 <- labelled(zh$种族, c(墨西哥裔 = 1, 其他西班牙裔 = 2, 非西班牙裔白人 = 3, 非西班牙裔黑人 = 4),
                   label = "种族")
sav$性别 <- labelled(zh$性别, c(男 = 1, 女 = 2), label = "性别")
sav$年龄组 <- labelled(zh$年龄组, c("0-19岁" = 1, "20-39岁" = 2, "40-59岁" = 3, "60岁以上" = 4))
write_sav(sav, file.path(out, "nhanes_zh.sav"))
dta <- zh
dta$高胆固醇 <- labelled(ifelse(zh$高胆固醇 == 9, tagged_na("a"), zh$高胆固醇),
                     c(否 = 0, 是 = 1, 未测 = tagged_na("a")))
dta$种族 <- sav$种族; dta$性别 <- sav$性别
write_dta(dta, file.path(out, "nhanes_zh.dta"), version = 15)
zr <- zh; zr$高胆固醇[zr$高胆固醇 == 9] <- NA
dz <- svydesign(id = ~初级单位, strata = ~层, weights = ~体检权重, nest = TRUE, data = zr)
for (k in c("nhanes_sav", "nhanes_dta")) {
  nh_suite(k, dz, "高胆固醇", "种族", "年龄组", "性别")
  case_args(k, if (k == "nhanes_sav") "nhanes_zh.sav" else "nhanes_zh.dta",
            paste("--psu 初级单位 --strata 层 --weights 体检权重 --nest --codes",
                  "--mean 高胆固醇 --total 高胆固醇 --prop 种族,年龄组,高胆固醇",
                  "| --mean 高胆固醇 --by 性别 | --total 高胆固醇 --by 种族",
                  "| --ratio 高胆固醇/性别"))
}

# ---- YRBS 2015 (survey::yrbs): 15,624 students, qn8 missing for some ------------------------
data(yrbs)
f <- wcsv(yrbs, "yrbs.csv")
dy <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = yrbs)
m_mean("yrbs", dy, "qn8"); m_prop("yrbs", dy, "qn8")
case_args("yrbs", f, "--psu psu --strata stratum --weights weight --nest --mean qn8 --prop qn8")

# ---- fpc (Stata's fpc example): FPC as population sizes, as fractions, and no weights -------
data(fpc)
fp <- as.data.frame(fpc); attr(fp, "label.table") <- NULL
fp$frac <- fp$nh / fp$Nh
f <- wcsv(fp, "fpc.csv")
for (k in c("Nh", "frac")) {
  d <- svydesign(weights = ~weight, ids = ~psuid, strata = ~stratid,
                 fpc = as.formula(paste0("~", k)), nest = TRUE, data = fp)
  cs <- paste0("fpc_", k)
  m_mean(cs, d, "x"); m_mean(cs, d, "x", "total"); m_quant(cs, d, "x", c(0.5))
  case_args(cs, f, paste("--psu psuid --strata stratid --weights weight --nest --fpc", k,
                         "--mean x --total x --quantile x:0.5"))
}
d <- svydesign(ids = ~psuid, strata = ~stratid, fpc = ~Nh, nest = TRUE, data = fp)
m_mean("fpc_noweights", d, "x"); m_mean("fpc_noweights", d, "x", "total")
m_quant("fpc_noweights", d, "x", c(0.5, 0.9))
case_args("fpc_noweights", f, paste("--psu psuid --strata stratid --nest --fpc Nh --mean x --total x",
                                     "--quantile x:0.5,x:0.9"))
write_dta(fp, file.path(out, "fpc.dta"))

# ---- hospital (survey::hospital): stratified, FPC by stratum ------------------------------
data(hospital)
hp <- as.data.frame(hospital)
f <- wcsv(hp, "hospital.csv")
d <- svydesign(ids = ~1, strata = ~oblevel, weights = ~weighta, fpc = ~tothosp, data = hp)
m_mean("hospital", d, "births"); m_mean("hospital", d, "births", "total")
m_quant("hospital", d, "births", c(0.25, 0.5))
case_args("hospital", f, paste("--strata oblevel --weights weighta --fpc tothosp",
                                "--mean births --total births --quantile births:0.25,births:0.5"))

# ---- mu284 (survey::mu284): two-stage cluster sample with FPC at both stages -------------
data(mu284)
mu <- as.data.frame(mu284); attr(mu, "reshapeLong") <- NULL
f <- wcsv(mu, "mu284.csv")
d <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mu)
m_mean("mu284", d, "y1"); m_mean("mu284", d, "y1", "total"); m_quant("mu284", d, "y1", 0.5)
case_args("mu284", f, "--psu id1,id2 --fpc n1,n2 --mean y1 --total y1 --quantile y1:0.5")

# ---- election_pps (survey::election): PPS without replacement, Brewer, Overton, ppsmat ----
data(election)
ep <- election_pps; ep$County <- as.character(ep$County)
f <- wcsv(ep, "election_pps.csv")
jf <- file.path(out, "election_joint.csv")
write.table(matrix(sprintf("%.17g", election_jointprob), 40), jf, sep = ",", row.names = FALSE,
            col.names = FALSE, quote = FALSE)
for (k in c("brewer", "overton", "ppsmat")) {
  pp <- if (k == "ppsmat") ppsmat(election_jointprob) else k
  d <- svydesign(id = ~1, fpc = ~p, data = ep, pps = pp)
  cs <- paste0("election_", k)
  m_mean(cs, d, "Bush", "total"); m_mean(cs, d, "Kerry", "total"); m_mean(cs, d, "Kerry")
  m_ratio(cs, d, "Kerry", "votes")
  case_args(cs, f, paste("--fpc p --pps", k, if (k == "ppsmat") "--joint election_joint.csv",
                         "--total Bush,Kerry --mean Kerry --ratio Kerry/votes"))
}

# ---- scd (survey::scd): BRR replicate columns as in ?svrepdesign, and the Taylor design ----
data(scd)
rw <- 2 * cbind(c(1, 0, 1, 0, 1, 0), c(1, 0, 0, 1, 0, 1), c(0, 1, 1, 0, 0, 1), c(0, 1, 0, 1, 1, 0))
sc <- scd; for (j in 1:4) sc[[paste0("rep", j)]] <- rw[, j]
sc$w <- 1; sc$N5 <- 5
f <- wcsv(sc, "scd.csv")
d <- svrepdesign(data = scd, type = "BRR", repweights = rw, combined.weights = FALSE)
m_mean("scd_brr", d, "arrests", "total"); m_mean("scd_brr", d, "alive")
m_ratio("scd_brr", d, "alive", "arrests")
case_args("scd_brr", f, paste("--repweights rep* --weights w --rep-type brr",
                               "--total arrests --mean alive --ratio alive/arrests"))
d <- svydesign(data = sc, prob = ~1, id = ~ambulance, strata = ~ESA, nest = TRUE, fpc = ~N5)
m_mean("scd", d, "arrests", "total"); m_mean("scd", d, "alive")
m_ratio("scd", d, "alive", "arrests")
case_args("scd", f, paste("--psu ambulance --strata ESA --nest --fpc N5 --weights w",
                           "--total arrests --mean alive --ratio alive/arrests"))

# ---- MU284 (sampling::MU284): stratified SRS by region with a one-unit stratum, lonely-PSU
# rules, and raking / post-stratification / GREG to the population's margins --------------
data(MU284)
MU <- MU284
MU$size <- cut(MU$P75, c(-Inf, 10, 20, Inf), labels = c("small", "medium", "large"))
MU$size <- as.character(MU$size)
set.seed(20261202)
nh_reg <- c(5, 6, 5, 5, 6, 5, 1, 5)
Nh <- as.vector(table(MU$REG))
s <- sampling::strata(MU[order(MU$REG), ], "REG", nh_reg, method = "srswor")
ms <- getdata(MU[order(MU$REG), ], s)
ms$N_h <- Nh[ms$REG]; ms$w <- ms$N_h / nh_reg[ms$REG]
ms$ID_unit <- NULL; ms$Stratum <- NULL; ms$Prob <- NULL
f <- wcsv(ms, "mu284_strat.csv")
for (rule in c("remove", "adjust", "average", "certainty")) {
  options(survey.lonely.psu = rule)
  d <- svydesign(ids = ~1, strata = ~REG, weights = ~w, fpc = ~N_h, data = ms)
  cs <- paste0("mu284_lonely_", rule)
  m_mean(cs, d, "RMT85"); m_mean(cs, d, "RMT85", "total"); m_ratio(cs, d, "RMT85", "P85")
  m_by(cs, d, "RMT85", "size", svymean, "mean")
  case_args(cs, f, paste("--strata REG --weights w --fpc N_h --lonely-psu", rule,
                         "--mean RMT85 --total RMT85 --ratio RMT85/P85 | --mean RMT85 --by size"))
}
options(survey.lonely.psu = "adjust")
d <- svydesign(ids = ~1, strata = ~REG, weights = ~w, fpc = ~N_h, data = ms)
pop_reg <- data.frame(REG = as.integer(names(table(MU$REG))), Freq = as.vector(table(MU$REG)))
pop_size <- data.frame(size = names(table(MU$size)), Freq = as.vector(table(MU$size)))
margins <- rbind(data.frame(variable = "REG", level = pop_reg$REG, total = pop_reg$Freq),
                 data.frame(variable = "size", level = pop_size$size, total = pop_size$Freq))
write.csv(margins, file.path(out, "mu284_margins.csv"), row.names = FALSE)
dr <- rake(d, list(~REG, ~size), list(pop_reg, pop_size), control = list(maxit = 1000, epsilon = 1e-13))
m_mean("mu284_rake", dr, "RMT85"); m_mean("mu284_rake", dr, "RMT85", "total")
m_prop("mu284_rake", dr, "CL", ci = FALSE); m_ratio("mu284_rake", dr, "RMT85", "P85")
m_quant("mu284_rake", dr, "RMT85", c(0.25, 0.5))
m_by("mu284_rake", dr, "RMT85", "size", svymean, "mean")
case_args("mu284_rake", f, paste("--strata REG --weights w --fpc N_h --lonely-psu adjust",
                                  "--rake mu284_margins.csv --mean RMT85 --total RMT85",
                                  "--prop CL --ratio RMT85/P85 --quantile RMT85:0.25,RMT85:0.5",
                                  "| --strata REG --weights w --fpc N_h --lonely-psu adjust",
                                  "--rake mu284_margins.csv --mean RMT85 --by size"))
dp <- postStratify(d, ~size, pop_size)
m_mean("mu284_post", dp, "RMT85"); m_mean("mu284_post", dp, "RMT85", "total")
case_args("mu284_post", f, paste("--strata REG --weights w --fpc N_h --lonely-psu adjust",
                                  "--poststratify mu284_margins.csv --cal-vars size",
                                  "--mean RMT85 --total RMT85"))
tot <- c("(Intercept)" = nrow(MU), P75 = sum(MU$P75))
dg <- calibrate(d, ~P75, tot)
m_mean("mu284_greg", dg, "RMT85"); m_mean("mu284_greg", dg, "RMT85", "total")
m_ratio("mu284_greg", dg, "RMT85", "P85")
gm <- data.frame(variable = c("(Intercept)", "P75"), level = "(total)",
                 total = c(nrow(MU), sum(MU$P75)))
write.csv(gm, file.path(out, "mu284_p75.csv"), row.names = FALSE)
case_args("mu284_greg", f, paste("--strata REG --weights w --fpc N_h --lonely-psu adjust",
                                  "--calibrate mu284_p75.csv --mean RMT85 --total RMT85",
                                  "--ratio RMT85/P85"))
options(survey.lonely.psu = "fail")

# ---- MU284 as a cluster sample: municipalities clustered (CL), clusters drawn by region, one
# cluster only in region 7 (a lonely PSU of a cluster design), FPC as cluster counts ---------
set.seed(11)
# (a few clusters straddle regions: a PSU is a cluster within a region, so --nest)
ncl <- tapply(MU$CL, MU$REG, function(x) length(unique(x)))
take <- c(3, 3, 3, 3, 3, 3, 1, 3)
key <- paste(MU$REG, MU$CL)
cl <- unlist(lapply(1:8, function(h) { u <- sort(unique(key[MU$REG == h]))
                                        u[sort(sample(length(u), take[h]))] }))
mc <- MU[key %in% cl, ]
mc$NCL <- as.vector(ncl[mc$REG]); mc$wt <- mc$NCL / take[mc$REG]
f <- wcsv(mc, "mu284_clus.csv")
for (rule in c("adjust", "average", "certainty", "remove")) {
  for (dl in c(FALSE, TRUE)) {
    if (dl && rule %in% c("certainty", "remove")) next
    options(survey.lonely.psu = rule, survey.adjust.domain.lonely = dl)
    d <- svydesign(ids = ~CL, strata = ~REG, weights = ~wt, fpc = ~NCL, nest = TRUE, data = mc)
    cs <- paste0("mu284_clus_", rule, if (dl) "_domlonely" else "")
    m_mean(cs, d, "RMT85"); m_mean(cs, d, "ME84", "total"); m_ratio(cs, d, "RMT85", "P85")
    m_prop(cs, d, "size")
    m_by(cs, d, "RMT85", "size", svymean, "mean"); m_by(cs, d, "RMT85", "size", svytotal, "total")
    case_args(cs, f, paste("--psu CL --strata REG --nest --weights wt --fpc NCL --lonely-psu", rule,
                           if (dl) "--domain-lonely",
                           "--mean RMT85 --total ME84 --ratio RMT85/P85 --prop size",
                           "| --mean RMT85 --by size | --total RMT85 --by size"))
  }
}
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

# ---- belgianmunicipalities (sampling): Chinese column names, FPC as fractions, quantiles,
# domains, bootstrap replicate columns named 复制权重1..50, GREG on a continuous total ----
data(belgianmunicipalities)
be <- belgianmunicipalities
bz <- data.frame(市镇 = as.character(be$Commune), 省份 = be$Province, 专区 = be$Arrondiss,
                 总人口 = be$Tot04, 男性 = be$Men04, 应税收入 = be$TaxableIncome,
                 平均收入 = be$averageincome, 收入中位数 = be$medianincome,
                 check.names = FALSE)
bz$地区 <- ifelse(bz$省份 %in% c(1, 3, 4, 5, 7), "佛兰德", ifelse(bz$省份 == 2, "布拉班特", "瓦隆"))
set.seed(4)
nb <- rep(8, 9)
s <- sampling::strata(bz[order(bz$省份), ], "省份", nb, method = "srswor")
bs <- getdata(bz[order(bz$省份), ], s)
bs$ID_unit <- NULL; bs$Stratum <- NULL
bs$抽样比 <- bs$Prob; bs$Prob <- NULL
bs$权重 <- 1 / bs$抽样比
db <- svydesign(ids = ~1, strata = ~省份, weights = ~权重, fpc = ~抽样比, data = bs)
set.seed(5)
rwb <- weights(as.svrepdesign(db, type = "bootstrap", replicates = 50), "analysis")
for (j in 1:50) bs[[paste0("复制权重", j)]] <- rwb[, j]
f <- wcsv(bs, "belgium.csv")
# as an analyst reads a file with bootstrap replicate columns (R's default scale 1 / (B - 1))
rb <- svrepdesign(data = bs, repweights = "复制权重[0-9]+", weights = ~权重, type = "bootstrap",
                  combined.weights = TRUE, compress = FALSE)
m_mean("belgium", db, "平均收入"); m_mean("belgium", db, "应税收入", "total")
m_ratio("belgium", db, "应税收入", "总人口"); m_quant("belgium", db, "平均收入", c(0.25, 0.5, 0.75))
m_by("belgium", db, "平均收入", "地区", svymean, "mean"); m_prop("belgium", db, "地区")
case_args("belgium", f, paste("--strata 省份 --weights 权重 --fpc 抽样比 --mean 平均收入",
                               "--total 应税收入 --ratio 应税收入/总人口",
                               "--quantile 平均收入:0.25,平均收入:0.5,平均收入:0.75 --prop 地区",
                               "| --mean 平均收入 --by 地区"))
m_mean("belgium_boot", rb, "平均收入"); m_mean("belgium_boot", rb, "应税收入", "total")
m_ratio("belgium_boot", rb, "应税收入", "总人口")
m_by("belgium_boot", rb, "平均收入", "地区", svymean, "mean")
m_quant("belgium_boot", rb, "平均收入", c(0.5)); m_prop("belgium_boot", rb, "地区", ci = FALSE)
case_args("belgium_boot", f, paste("--repweights 复制权重* --weights 权重 --rep-type bootstrap",
                                    "--mean 平均收入 --total 应税收入 --ratio 应税收入/总人口",
                                    "--quantile 平均收入:0.5 --prop 地区",
                                    "| --repweights 复制权重* --weights 权重 --rep-type bootstrap",
                                    "--mean 平均收入 --by 地区"))
# the same columns read as successive-difference replicates (R's scale 4/R), and as bootstrap
# replicates with variances around the full-sample estimate (mse = TRUE)
for (k in c("sdr", "sdr_mse", "boot_mse")) {
  rk <- svrepdesign(data = bs, repweights = "复制权重[0-9]+", weights = ~权重,
                    type = if (k == "boot_mse") "bootstrap" else "successive-difference",
                    mse = k != "sdr", combined.weights = TRUE, compress = FALSE)
  cs <- paste0("belgium_", k)
  m_mean(cs, rk, "平均收入"); m_ratio(cs, rk, "应税收入", "总人口"); m_quant(cs, rk, "平均收入", 0.5)
  m_by(cs, rk, "平均收入", "地区", svymean, "mean")
  case_args(cs, f, paste("--repweights 复制权重* --weights 权重 --rep-type",
                         if (k == "boot_mse") "bootstrap" else "successive-difference",
                         if (k != "sdr") "--mse",
                         "--mean 平均收入 --ratio 应税收入/总人口 --quantile 平均收入:0.5",
                         "| --repweights 复制权重* --weights 权重 --rep-type",
                         if (k == "boot_mse") "bootstrap" else "successive-difference",
                         if (k != "sdr") "--mse", "--mean 平均收入 --by 地区"))
}
bm <- data.frame(variable = c("总人口", rep("地区", 3)), level = c("(total)", "佛兰德", "布拉班特", "瓦隆"),
                 total = c(sum(bz$总人口), sum(bz$地区 == "佛兰德"), sum(bz$地区 == "布拉班特"),
                           sum(bz$地区 == "瓦隆")))
write.csv(bm, file.path(out, "belgium_margins.csv"), row.names = FALSE, fileEncoding = "UTF-8")
tb <- c("(Intercept)" = nrow(bz), "地区布拉班特" = sum(bz$地区 == "布拉班特"),
        "地区瓦隆" = sum(bz$地区 == "瓦隆"), "总人口" = sum(bz$总人口))
dg <- calibrate(db, ~地区 + 总人口, tb)
m_mean("belgium_greg", dg, "平均收入"); m_mean("belgium_greg", dg, "应税收入", "total")
m_by("belgium_greg", dg, "平均收入", "地区", svymean, "mean")
case_args("belgium_greg", f, paste("--strata 省份 --weights 权重 --fpc 抽样比",
                                    "--calibrate belgium_margins.csv --mean 平均收入 --total 应税收入",
                                    "| --strata 省份 --weights 权重 --fpc 抽样比",
                                    "--calibrate belgium_margins.csv --mean 平均收入 --by 地区"))
rg <- calibrate(rb, ~地区 + 总人口, tb, compress = FALSE)
m_mean("belgium_boot_greg", rg, "平均收入"); m_mean("belgium_boot_greg", rg, "应税收入", "total")
case_args("belgium_boot_greg", f, paste("--repweights 复制权重* --weights 权重 --rep-type bootstrap",
                                         "--calibrate belgium_margins.csv --mean 平均收入",
                                         "--total 应税收入"))

# ---- swissmunicipalities (sampling): stratified PPS (Brewer) by population ----------------
data(swissmunicipalities)
sw <- swissmunicipalities; sw$Nom <- as.character(sw$Nom)
set.seed(7)
sw <- sw[order(sw$REG), ]
nsw <- c(6, 6, 5, 4, 5, 4, 5)
pik <- unlist(lapply(1:7, function(h) inclusionprobabilities(sw$POPTOT[sw$REG == h], nsw[h])))
sel <- unlist(lapply(1:7, function(h) UPbrewer(pik[sw$REG == h]))) == 1
ss <- sw[sel, ]; ss$pik <- pik[sel]
f <- wcsv(ss, "swiss_pps.csv")
d <- svydesign(ids = ~1, strata = ~REG, fpc = ~pik, pps = "brewer", data = ss)
m_mean("swiss_brewer", d, "H00PTOT", "total"); m_mean("swiss_brewer", d, "Pop65P", "total")
m_ratio("swiss_brewer", d, "Pop65P", "POPTOT"); m_mean("swiss_brewer", d, "Airbat")
case_args("swiss_brewer", f, paste("--strata REG --fpc pik --pps brewer --total H00PTOT,Pop65P",
                                    "--ratio Pop65P/POPTOT --mean Airbat"))

# ---- write ------------------------------------------------------------------------------------
# the small data files are committed beside the values (R's data, a few KB each); NHANES and
# YRBS (0.4-0.6 MB) are not: their cases run when FIELDSURVEY_REAL_DATA names DATA_DIR
small <- setdiff(list.files(out), c("nhanes.csv", "nhanes_zh.sav", "nhanes_zh.dta", "yrbs.csv"))
dir.create(file.path(here, "data"), showWarnings = FALSE)
file.copy(file.path(out, small), file.path(here, "data"), overwrite = TRUE)
write.csv(do.call(rbind, out_rows), file.path(here, "real_reference.csv"), row.names = FALSE,
          na = "", fileEncoding = "UTF-8")
write.csv(do.call(rbind, cases), file.path(here, "real_cases.csv"), row.names = FALSE,
          fileEncoding = "UTF-8")
writeLines(c(R.version.string, paste("survey", packageVersion("survey")),
             paste("sampling", packageVersion("sampling")), paste("haven", packageVersion("haven"))),
           file.path(here, "real_versions.txt"))

# Reference stage-1 PPS inclusion probabilities on real public frames, for
# tests/test_sampling_real_frames.py. R is not a test dependency: the values are committed.
# Made with R sampling::inclusionprobabilities (iterated certainty units), per stratum.
# Frames: sampling::MU284 (Swedish municipalities, P85 population 1985, strata REG),
# sampling::swissmunicipalities (POPTOT, strata REG), sampling::belgianmunicipalities
# (Tot04, strata Province), survey::apipop (California schools, id snum, size enroll; the 37 schools
# without enroll are left out, as a design with stage1 zero_size = "exclude" cannot take
# them either).
# Run from this directory:  Rscript real_frames.R  -> real_frames.json
suppressPackageStartupMessages({library(sampling); library(survey)})
data(MU284); data(swissmunicipalities); data(belgianmunicipalities); data(api)

by_stratum <- function(ids, sizes, strata, n_h) {
  out <- list()
  for (h in names(n_h)) {
    keep <- as.character(strata) == h
    pik <- suppressWarnings(inclusionprobabilities(sizes[keep], n_h[[h]]))
    out[[h]] <- list(n = n_h[[h]], pik = pik, certainty = sum(pik >= 1))
  }
  out
}
frame <- function(ids, sizes, strata) list(id = ids, size = sizes, stratum = as.character(strata))

cases <- list()
# MU284: unstratified, n large enough that Stockholm, Goteborg, Malmo ... become certain
# and the rescaling makes more certain in later rounds
for (n in c(10, 30, 60, 120)) {
  cases[[length(cases) + 1]] <- list(
    name = paste0("MU284_P85_n", n), frame = "MU284",
    strata = by_stratum(MU284$LABEL, MU284$P85, rep("all", 284), list(all = n)))
}
cases[[length(cases) + 1]] <- list(
  name = "MU284_P85_by_REG", frame = "MU284",
  strata = by_stratum(MU284$LABEL, MU284$P85, MU284$REG,
                      list(`1` = 6, `2` = 8, `3` = 5, `4` = 6, `5` = 9, `6` = 6, `7` = 3,
                           `8` = 5)))
sw <- swissmunicipalities
cases[[length(cases) + 1]] <- list(
  name = "swiss_POPTOT_by_REG", frame = "swissmunicipalities",
  strata = by_stratum(sw$COM, sw$POPTOT, sw$REG,
                      list(`1` = 40, `2` = 60, `3` = 30, `4` = 50, `5` = 35, `6` = 25,
                           `7` = 20)))
be <- belgianmunicipalities
cases[[length(cases) + 1]] <- list(
  name = "belgian_Tot04_by_Province", frame = "belgianmunicipalities",
  strata = by_stratum(be$INS, be$Tot04, be$Province,
                      setNames(as.list(rep(12, 9)), as.character(1:9))))
ap <- apipop[!is.na(apipop$enroll), ]
cases[[length(cases) + 1]] <- list(
  name = "apipop_enroll_by_stype", frame = "apipop",
  strata = by_stratum(ap$snum, ap$enroll, ap$stype, list(E = 100, H = 60, M = 40)))

frames <- list(
  MU284 = frame(MU284$LABEL, MU284$P85, MU284$REG),
  swissmunicipalities = frame(sw$COM, sw$POPTOT, sw$REG),
  belgianmunicipalities = frame(be$INS, be$Tot04, be$Province),
  apipop = frame(ap$snum, ap$enroll, ap$stype))
out <- list(
  r_version = R.version.string,
  sampling_version = as.character(packageVersion("sampling")),
  survey_version = as.character(packageVersion("survey")),
  call = "sampling::inclusionprobabilities(size[stratum == h], n_h)",
  frames = frames, cases = cases)
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE),
           "real_frames.json")

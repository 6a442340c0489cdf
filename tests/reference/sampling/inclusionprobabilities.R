# Reference stage-1 inclusion probabilities for fieldsurvey's tests (tests/test_select_reference.py).
# Made with R sampling::inclusionprobabilities (iterative certainty units).
# Run from this directory:  Rscript inclusionprobabilities.R  -> inclusionprobabilities.json
suppressPackageStartupMessages(library(sampling))
# A reference population of 40 communities (households), with a few very large ones so
# that certainty units appear (and appear again after rescaling) for larger n.
sizes <- c(120, 85, 4300, 230, 95, 310, 1500, 60, 45, 780,
           150, 220, 90, 2600, 175, 65, 330, 410, 55, 980,
           140, 100, 75, 260, 3100, 115, 205, 88, 47, 630,
           190, 72, 510, 160, 99, 1250, 58, 240, 135, 81)
cases <- list()
for (n in c(1, 3, 5, 8, 12, 20, 39)) {
  cases[[length(cases) + 1]] <- list(n = n, pik = inclusionprobabilities(sizes, n))
}
# The published example frame (samplics psu_frame.csv), per region, zero sizes included.
frame <- read.csv("../../../../shared/data/frames/psu_frame.csv", fileEncoding = "UTF-8-BOM")
n_h <- c(North = 2, South = 3, East = 3, West = 2)
strata <- list()
for (h in names(n_h)) {
  part <- frame[frame$region == h, ]
  pik <- suppressWarnings(inclusionprobabilities(part$number_households_census, n_h[[h]]))
  strata[[h]] <- list(cluster = part$cluster, n = n_h[[h]], pik = pik)
}
out <- list(
  r_version = R.version.string,
  sampling_version = as.character(packageVersion("sampling")),
  call = "sampling::inclusionprobabilities(sizes, n)",
  sizes = sizes, cases = cases, psu_frame = strata
)
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "inclusionprobabilities.json")

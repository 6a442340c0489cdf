# Writes src/fieldsurvey/estimate/_hadamard.py: R survey's precooked Hadamard matrices
# (survey:::hadamard.list, orders 4, 16, 28, 36), from which survey's hadamard(n) builds BRR
# designs (with Paley's construction and doubling, which fieldsurvey implements itself).
#
#   Rscript tests/reference/estimate/make_hadamard_table.R    (from the repository root)
suppressPackageStartupMessages(library(survey))
L <- survey:::hadamard.list
lines <- c('"""R survey\'s precooked Hadamard matrices (0/1), rows as strings of 0 and 1.',
           '',
           'Written by tests/reference/estimate/make_hadamard_table.R from',
           paste0('``survey:::hadamard.list`` (survey ', packageVersion("survey"), ').'),
           '"""',
           '', 'from __future__ import annotations', '',
           '__all__ = ["PRECOOKED"]', '',
           'PRECOOKED: dict[int, tuple[str, ...]] = {')
for (H in L) {
  lines <- c(lines, sprintf("    %d: (", nrow(H)))
  for (i in seq_len(nrow(H))) lines <- c(lines, sprintf('        "%s",', paste(H[i, ], collapse = "")))
  lines <- c(lines, "    ),")
}
lines <- c(lines, "}")
writeLines(lines, "src/fieldsurvey/estimate/_hadamard.py")
cat(survey:::hadamard.sizes, "\n")

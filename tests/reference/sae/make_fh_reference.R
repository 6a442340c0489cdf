# Reference values for tests/test_estimate_sae.py: the Fay-Herriot EBLUP and its Prasad-Rao MSE
# with REML, written out from the formulas (R's sae package is not in Debian), the REML
# maximised with optimize() on the restricted log-likelihood (an independent route from
# fieldsurvey's Fisher scoring).
#
#   Rscript tests/reference/sae/make_fh_reference.R     (from the repository root)
#
# Writes fh_areas.csv (simulated area data: direct estimate y, its variance psi, auxiliaries
# x1, x2; and proportions p with variance vp for the arcsine case) and fh_reference.csv
# (case, area, eblup, mse, sigma2_u, beta0, beta1, beta2).
here <- "tests/reference/sae"
fmt <- function(x) sprintf("%.17g", x)
set.seed(2026)
m <- 30
x1 <- runif(m, 0, 10); x2 <- rbinom(m, 1, 0.4)
psi <- runif(m, 0.5, 4)
theta <- 5 + 0.8 * x1 - 1.5 * x2 + rnorm(m, 0, sqrt(2))
y <- theta + rnorm(m, 0, sqrt(psi))
n <- sample(15:40, m, replace = TRUE)
ptrue <- plogis(-0.5 + 0.15 * x1 + rnorm(m, 0, 0.4))
p <- rbinom(m, n, ptrue) / n
deff <- runif(m, 1, 2)
vp <- p * (1 - p) / n * deff
d <- data.frame(area = sprintf("A%02d", 1:m), y = y, psi = psi, x1 = x1, x2 = x2, p = p, vp = vp)
out <- d; for (k in c("y", "psi", "x1", "p", "vp")) out[[k]] <- fmt(out[[k]])
write.csv(out, file.path(here, "fh_areas.csv"), row.names = FALSE)

fh <- function(y, psi, X) {
  reml <- function(s2) {
    V <- s2 + psi; Vi <- diag(1 / V)
    A <- t(X) %*% Vi %*% X
    P <- Vi - Vi %*% X %*% solve(A) %*% t(X) %*% Vi
    -0.5 * sum(log(V)) - 0.5 * as.numeric(determinant(A)$modulus) - 0.5 * drop(t(y) %*% P %*% y)
  }
  s2 <- optimize(reml, c(0, 10 * max(var(y), max(psi))), maximum = TRUE, tol = 1e-12)$maximum
  if (reml(0) >= reml(s2)) s2 <- 0
  V <- s2 + psi; Vi <- diag(1 / V)
  Ainv <- solve(t(X) %*% Vi %*% X)
  beta <- drop(Ainv %*% t(X) %*% Vi %*% y)
  gamma <- s2 / V
  synth <- drop(X %*% beta)
  eblup <- gamma * y + (1 - gamma) * synth
  g1 <- gamma * psi
  g2 <- (1 - gamma)^2 * rowSums((X %*% Ainv) * X)
  g3 <- psi^2 / V^3 * 2 / sum(1 / V^2)
  list(eblup = eblup, mse = g1 + g2 + 2 * g3, s2 = s2, beta = beta, theta = eblup)
}
X <- cbind(1, x1, x2)
rows <- list()
r <- fh(y, psi, X)
rows[[1]] <- data.frame(case = "linear", area = d$area, eblup = fmt(r$eblup), mse = fmt(r$mse),
                        sigma2_u = fmt(r$s2), beta0 = fmt(r$beta[1]), beta1 = fmt(r$beta[2]),
                        beta2 = fmt(r$beta[3]))
# arcsine transform of proportions: theta = asin(sqrt(p)), psi = 1 / (4 n_eff)
neff <- p * (1 - p) / vp
ok <- p > 0 & p < 1
ra <- fh(asin(sqrt(p[ok])), 1 / (4 * neff[ok]), X[ok, ])
rows[[2]] <- data.frame(case = "arcsin", area = d$area[ok], eblup = fmt(sin(ra$theta)^2),
                        mse = fmt(sin(2 * ra$theta)^2 * ra$mse), sigma2_u = fmt(ra$s2),
                        beta0 = fmt(ra$beta[1]), beta1 = fmt(ra$beta[2]), beta2 = fmt(ra$beta[3]))
write.csv(do.call(rbind, rows), file.path(here, "fh_reference.csv"), row.names = FALSE)
writeLines(R.version.string, file.path(here, "fh_reference_versions.txt"))

#!/usr/bin/env Rscript
# Simulate the three datasets of the Bayesian-engine contract (issue 5) once, with a
# fixed seed, and write them as CSV plus a JSON of factor levels and true values.
#
# Run from this folder:  Rscript make_data.R
# Outputs: data/<case>.csv and data/levels.json
#
# Latent-variable form used for simulation (the contract's parameterisation):
#   y* = eta + e,  e ~ logistic (logit) or N(0, 1) (probit)
#   y  = 1 + #{k : y* > theta_k}        so  P(Y <= k | eta) = F(theta_k - eta)
# Monotonic effect (brms convention): b * D * sum_{j <= rank} zeta[j], rank = x - 1, D = 4.

suppressPackageStartupMessages(library(jsonlite))

here <- local({
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(arg)) dirname(normalizePath(sub("^--file=", "", arg))) else getwd()
})
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE)

SEED <- 20250501L
N <- 300L
set.seed(SEED)

# y from the latent variable: count thresholds below y*.
cut_latent <- function(ystar, theta) {
  as.integer(1L + rowSums(outer(ystar, theta, ">")))
}

# Case 1: cumulative logit, y ~ mo(x) + z ------------------------------------------
truth1 <- list(
  thresholds = c(-2, -0.5, 0.5, 2),
  b_z = 0.8,
  bsp_mox = 0.5,                      # average effect of one step of x
  simo_mox1 = c(0.1, 0.5, 0.2, 0.2)   # share of the total effect b * D in each step
)
x1 <- sample.int(5L, N, replace = TRUE)
z1 <- rbinom(N, 1L, 0.5)
mo1 <- truth1$bsp_mox * 4 * c(0, cumsum(truth1$simo_mox1))[x1]
eta1 <- mo1 + truth1$b_z * z1
y1 <- cut_latent(eta1 + rlogis(N), truth1$thresholds)
case1 <- data.frame(y = y1, x = x1, z = z1)

# Case 2: cumulative logit, y ~ z + (1 | g) with 6 balanced groups ---------------------
g_levels <- paste0("g", 1:6)
truth2 <- list(
  thresholds = c(-2, -0.5, 0.5, 2),
  b_z = 0.8,
  sd_g__Intercept = 0.8
)
u2 <- rnorm(6L, 0, truth2$sd_g__Intercept)
truth2$r_g <- setNames(as.list(u2), g_levels)  # the realised group effects
g2 <- sample(rep(g_levels, each = N / 6L))
z2 <- rbinom(N, 1L, 0.5)
eta2 <- truth2$b_z * z2 + u2[match(g2, g_levels)]
y2 <- cut_latent(eta2 + rlogis(N), truth2$thresholds)
case2 <- data.frame(y = y2, z = z2, g = g2)

# Case 3: cumulative probit, y ~ z + w, K = 4 ----------------------------------------
truth3 <- list(
  thresholds = c(-1, 0, 1),
  b_z = 0.5,
  b_w = 0.7
)
z3 <- rbinom(N, 1L, 0.5)
w3 <- round(rnorm(N), 4)  # rounded so the CSV holds exactly the values that were used
eta3 <- truth3$b_z * z3 + truth3$b_w * w3
y3 <- cut_latent(eta3 + rnorm(N), truth3$thresholds)
case3 <- data.frame(y = y3, z = z3, w = w3)

cases <- list(
  cumulative_logit_mo = list(data = case1, truth = truth1, K = 5L, link = "logit",
                             formula = "y ~ mo(x) + z"),
  cumulative_logit_group = list(data = case2, truth = truth2, K = 5L, link = "logit",
                                formula = "y ~ z + (1 | g)"),
  cumulative_probit = list(data = case3, truth = truth3, K = 4L, link = "probit",
                           formula = "y ~ z + w")
)

levels_json <- list(seed = SEED, n = N, r_version = R.version.string, cases = list())
for (name in names(cases)) {
  cs <- cases[[name]]
  counts <- tabulate(cs$data$y, nbins = cs$K)
  if (any(counts == 0L)) stop("case ", name, ": empty response category; change the truth")
  write.csv(cs$data, file.path(data_dir, paste0(name, ".csv")), row.names = FALSE)
  lev <- list(y = seq_len(cs$K), z = c(0L, 1L))
  if ("x" %in% names(cs$data)) lev$x <- 1:5
  if ("g" %in% names(cs$data)) lev$g <- g_levels
  levels_json$cases[[name]] <- list(
    data = paste0(name, ".csv"),
    formula = cs$formula,
    family = "cumulative",
    link = cs$link,
    levels = lev,
    ordered = I(intersect(c("y", "x"), names(cs$data))),
    y_counts = counts,
    truth = cs$truth
  )
  cat(name, ": y counts =", counts, "\n")
}
write_json(levels_json, file.path(data_dir, "levels.json"),
           auto_unbox = TRUE, pretty = TRUE, digits = NA)

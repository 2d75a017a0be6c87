# The article model in brms, timed: the peer of benchmarks/bench_bayes.py (run by it when R
# and brms are installed).  Usage: Rscript brms_article.R DATA.csv OUT.json
#
# DATA.csv: quality (1..5), partner (state/business), rank (0..4, the position of the contact
# frequency on that partner's own scale), region.  Model and priors as interactmodel's
# defaults: quality ~ partner + mo(rank):partner + (1 | region), cumulative logit, center =
# FALSE, thresholds and b normal(0, 2.5), simplexes dirichlet(1), region sd half-normal(0, 1);
# 4 chains x 1,000 draws after 1,000 warm-up, chains on 2 cores.
suppressMessages({
  library(brms)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$quality <- factor(d$quality, levels = 1:5, ordered = TRUE)
d$partner <- factor(d$partner, levels = c("state", "business"))
form <- bf(quality ~ partner + mo(rank):partner + (1 | region), center = FALSE)
priors <- c(
  prior(normal(0, 2.5), class = Intercept),
  prior(normal(0, 2.5), class = b),
  prior(dirichlet(1), class = simo, coef = "partnerstate:morank1"),
  prior(dirichlet(1), class = simo, coef = "partnerbusiness:morank1"),
  prior(normal(0, 1), class = sd)
)
t0 <- Sys.time()
fit <- brm(
  form, data = d, family = cumulative("logit"), prior = priors,
  chains = 4L, iter = 2000L, warmup = 1000L, cores = 2L, seed = 1L,
  control = list(adapt_delta = 0.9), refresh = 0, silent = 2
)
total <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
chain_times <- rstan::get_elapsed_time(fit$fit)
write_json(list(
  total_seconds = total,
  chain_seconds_sum = sum(chain_times),
  chain_seconds_max = max(rowSums(chain_times)),
  divergences = rstan::get_num_divergent(fit$fit),
  max_rhat = max(rhat(fit), na.rm = TRUE),
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  brms_version = as.character(packageVersion("brms")),
  rstan_version = as.character(packageVersion("rstan"))
), args[2], auto_unbox = TRUE, digits = NA)

#!/usr/bin/env Rscript
# Fit the three contract cases (issue 5) with brms and write reference posteriors.
#
# Run from anywhere (after make_data.R):  Rscript make_reference.R [case ...]
# Outputs per case: outputs/<case>.json (contract keys) and outputs/<case>.stan (the exact
# Stan program brms generated, kept so the no-centring claim can be checked by eye).
#
# Chains run sequentially (cores = 1) so the summed per-chain times that rstan reports are
# the sampling wall time; compile + brms overhead is the rest of the brm() wall time.

suppressPackageStartupMessages({
  library(brms)
  library(posterior)
  library(jsonlite)
})

here <- local({
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(arg)) dirname(normalizePath(sub("^--file=", "", arg))) else getwd()
})
data_dir <- file.path(here, "data")
out_dir <- file.path(here, "outputs")
dir.create(out_dir, showWarnings = FALSE)
meta <- read_json(file.path(data_dir, "levels.json"))

CHAINS <- 4L
ITER <- 2000L
WARMUP <- 1000L
ADAPT_DELTA <- 0.95

# The contract's default priors, as brms prior strings (parsed with eval(parse())).
PRIOR_THRESHOLDS <- "prior(normal(0, 2.5), class = Intercept)"
PRIOR_B <- "prior(normal(0, 2.5), class = b)"
PRIOR_SIMO <- "prior(dirichlet(1), class = simo, coef = mox1)"
PRIOR_SD <- "prior(normal(0, 1), class = sd)"

cases <- list(
  cumulative_logit_mo = list(
    formula = "y ~ mo(x) + z", link = "logit", seed = 5101L,
    priors = c(PRIOR_THRESHOLDS, PRIOR_B, PRIOR_SIMO),
    newdata = expand.grid(x = 1:5, z = 0:1)
  ),
  cumulative_logit_group = list(
    formula = "y ~ z + (1 | g)", link = "logit", seed = 5102L,
    priors = c(PRIOR_THRESHOLDS, PRIOR_B, PRIOR_SD),
    newdata = expand.grid(g = paste0("g", 1:6), z = 0:1, stringsAsFactors = FALSE)
  ),
  cumulative_probit = list(
    formula = "y ~ z + w", link = "probit", seed = 5103L,
    priors = c(PRIOR_THRESHOLDS, PRIOR_B),
    newdata = expand.grid(w = c(-1, 0, 1), z = 0:1)
  )
)

# Read a case's CSV with y and x as ordered factors in the levels recorded by make_data.R.
read_case <- function(name) {
  lev <- meta$cases[[name]]$levels
  d <- read.csv(file.path(data_dir, meta$cases[[name]]$data), stringsAsFactors = FALSE)
  encode(d, lev)
}

encode <- function(d, lev) {
  if ("y" %in% names(d)) d$y <- factor(d$y, levels = unlist(lev$y), ordered = TRUE)
  if ("x" %in% names(d)) d$x <- factor(d$x, levels = unlist(lev$x), ordered = TRUE)
  d
}

parse_priors <- function(strings) {
  do.call(c, lapply(strings, function(s) eval(parse(text = s))))
}

# Stop if brms centred the design: thresholds must be the plain ordered parameter.
check_stancode <- function(code, name) {
  if (grepl("means_X", code, fixed = TRUE) || grepl("Xc", code, fixed = TRUE)) {
    stop(name, ": brms centred the design matrix despite center = FALSE")
  }
  if (!grepl("b_Intercept = Intercept;", code, fixed = TRUE)) {
    stop(name, ": thresholds are not reported as the plain Intercept parameter")
  }
  invisible(TRUE)
}

KEEP <- "^(b_|bsp_|simo_|sd_|cor_|r_)"

summarise_parameters <- function(fit) {
  draws <- as_draws_array(fit)
  draws <- subset_draws(draws, variable = grep(KEEP, variables(draws), value = TRUE))
  s <- summarise_draws(
    draws, "mean", "sd", "mcse_mean", "mcse_sd", "rhat", "ess_bulk", "ess_tail",
    ~quantile(.x, probs = c(0.05, 0.95))
  )
  # as.numeric drops posterior's pillar display classes (they print with 3 significant digits).
  list(
    names = s$variable, mean = as.numeric(s$mean), sd = as.numeric(s$sd),
    mcse_mean = as.numeric(s$mcse_mean), mcse_sd = as.numeric(s$mcse_sd),
    rhat = as.numeric(s$rhat), ess_bulk = as.numeric(s$ess_bulk),
    ess_tail = as.numeric(s$ess_tail), q5 = as.numeric(s$`5%`), q95 = as.numeric(s$`95%`)
  )
}

# posterior_epred gives draws x rows x categories with chains stacked in order, so each
# (row, category) column reshapes to an iterations x chains matrix for the MCSE.
summarise_epred <- function(fit, newdata, lev) {
  nd <- encode(newdata, lev)
  ep <- posterior_epred(fit, newdata = nd)
  n_iter <- dim(ep)[1] / CHAINS
  stat <- function(f) {
    apply(ep, c(2, 3), function(v) f(matrix(v, nrow = n_iter, ncol = CHAINS)))
  }
  list(
    newdata = as.list(newdata),
    categories = unlist(lev$y),
    mean = stat(mean), sd = stat(sd), mcse_mean = stat(mcse_mean)
  )
}

diagnostics <- function(fit) {
  sf <- fit$fit
  sp <- rstan::get_sampler_params(sf, inc_warmup = FALSE)
  list(
    divergent = rstan::get_num_divergent(sf),
    max_treedepth_hits = rstan::get_num_max_treedepth(sf),
    bfmi = rstan::get_bfmi(sf),
    mean_accept_stat = vapply(sp, function(m) mean(m[, "accept_stat__"]), numeric(1)),
    step_size = vapply(sp, function(m) m[1, "stepsize__"], numeric(1))
  )
}

fit_case <- function(name) {
  cs <- cases[[name]]
  d <- read_case(name)
  priors <- parse_priors(cs$priors)
  form <- bf(as.formula(cs$formula), center = FALSE)
  fam <- cumulative(link = cs$link)

  code <- make_stancode(form, data = d, family = fam, prior = priors)
  check_stancode(code, name)
  writeLines(code, file.path(out_dir, paste0(name, ".stan")))

  t0 <- Sys.time()
  fit <- brm(
    form, data = d, family = fam, prior = priors,
    chains = CHAINS, iter = ITER, warmup = WARMUP, cores = 1L, seed = cs$seed,
    control = list(adapt_delta = ADAPT_DELTA), refresh = 0, silent = 2
  )
  total <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
  chain_times <- rstan::get_elapsed_time(fit$fit)
  sampling <- sum(chain_times)
  if (!identical(stancode(fit), code)) stop(name, ": fitted Stan code differs from make_stancode")

  params <- summarise_parameters(fit)
  diag <- diagnostics(fit)
  lev <- meta$cases[[name]]$levels
  out <- list(
    case = name,
    formula = cs$formula,
    family = "cumulative",
    link = cs$link,
    center = FALSE,
    priors = cs$priors,
    prior_summary = as.list(as.data.frame(prior_summary(fit))[
      , c("prior", "class", "coef", "group", "source")]),
    data = meta$cases[[name]]$data,
    levels = lev,
    chains = CHAINS, iter = ITER, warmup = WARMUP, seed = cs$seed,
    adapt_delta = ADAPT_DELTA,
    r_version = paste(R.version$major, R.version$minor, sep = "."),
    brms_version = as.character(packageVersion("brms")),
    rstan_version = as.character(packageVersion("rstan")),
    posterior_version = as.character(packageVersion("posterior")),
    date = format(Sys.Date()),
    elapsed_seconds = list(
      total = total,
      sampling = sampling,
      compile_and_overhead = total - sampling,
      chain_warmup = unname(chain_times[, "warmup"]),
      chain_sample = unname(chain_times[, "sample"])
    ),
    stancode = paste0(name, ".stan"),
    diagnostics = diag,
    truth = meta$cases[[name]]$truth,
    parameters = params,
    epred = summarise_epred(fit, cs$newdata, lev)
  )
  write_json(out, file.path(out_dir, paste0(name, ".json")),
             auto_unbox = TRUE, pretty = TRUE, digits = NA)

  cat(sprintf("\n== %s: total %.1f s, sampling %.1f s, divergent %d, max rhat %.4f, min ess_bulk %.0f\n",
              name, total, sampling, diag$divergent, max(params$rhat), min(params$ess_bulk)))
  print(data.frame(name = params$names, mean = round(params$mean, 3), sd = round(params$sd, 3),
                   mcse = round(params$mcse_mean, 4), rhat = round(params$rhat, 4),
                   ess_bulk = round(params$ess_bulk)), row.names = FALSE)
  if (diag$divergent > 0 || max(params$rhat) >= 1.01) {
    warning(name, ": not converged (divergent = ", diag$divergent,
            ", max rhat = ", max(params$rhat), ")")
  }
  invisible(out)
}

args <- commandArgs(trailingOnly = TRUE)
todo <- if (length(args)) args else names(cases)
unknown <- setdiff(todo, names(cases))
if (length(unknown)) stop("unknown case(s): ", paste(unknown, collapse = ", "),
                          "; available: ", paste(names(cases), collapse = ", "))
for (name in todo) fit_case(name)

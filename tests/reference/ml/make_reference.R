# Reference outputs for the maximum-likelihood cumulative-link engine (issue 4).
#
# Run from anywhere:  Rscript tests/reference/ml/make_reference.R
# Writes tests/reference/ml/data/*.csv, data/*_levels.json and outputs/*.json.
# Deterministic: no random numbers are drawn; only the "date" field changes between runs.
# See README.md in this directory for the meaning of every key.

suppressPackageStartupMessages({
  library(ordinal)
  library(MASS)
  library(car)
  library(emmeans)
})

# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------
script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg) == 1) dirname(normalizePath(sub("^--file=", "", file_arg))) else getwd()
})
data_dir <- file.path(script_dir, "data")
out_dir <- file.path(script_dir, "outputs")
dir.create(data_dir, showWarnings = FALSE)
dir.create(out_dir, showWarnings = FALSE)

# ---------------------------------------------------------------------------------------------
# A small JSON writer. jsonlite caps numbers at 15 significant digits and auto_unbox would turn
# a one-element vector (e.g. a single coefficient name) into a scalar; here every atomic vector is
# an array unless wrapped in S(), and doubles are written with 17 significant digits so that they
# round-trip exactly to IEEE doubles in Python.
# ---------------------------------------------------------------------------------------------
S <- function(x) structure(list(x), class = "json_scalar")

json_atom <- function(v) {
  if (is.factor(v)) v <- as.character(v)
  if (length(v) != 1) stop("json_atom needs length 1")
  if (is.na(v)) return("null")
  if (is.logical(v)) return(if (v) "true" else "false")
  if (is.integer(v)) return(as.character(v))
  if (is.numeric(v)) return(if (is.finite(v)) sprintf("%.17g", v) else "null")
  s <- gsub("\\\\", "\\\\\\\\", as.character(v))
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  s <- gsub("\t", "\\\\t", s)
  paste0("\"", s, "\"")
}

to_json <- function(x, ind = "") {
  ind2 <- paste0(ind, "  ")
  if (is.null(x)) return("null")
  if (inherits(x, "json_scalar")) return(json_atom(x[[1]]))
  if (is.data.frame(x)) {
    rows <- lapply(seq_len(nrow(x)), function(i) {
      cells <- vapply(names(x), function(nm) {
        paste0(json_atom(nm), ": ", json_atom(x[[nm]][i]))
      }, character(1))
      paste0("{", paste(cells, collapse = ", "), "}")
    })
    if (length(rows) == 0) return("[]")
    return(paste0("[\n", ind2, paste(rows, collapse = paste0(",\n", ind2)), "\n", ind, "]"))
  }
  if (is.matrix(x)) {
    rows <- lapply(seq_len(nrow(x)), function(i) {
      paste0("[", paste(vapply(x[i, ], json_atom, character(1)), collapse = ", "), "]")
    })
    if (length(rows) == 0) return("[]")
    return(paste0("[\n", ind2, paste(rows, collapse = paste0(",\n", ind2)), "\n", ind, "]"))
  }
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    parts <- vapply(seq_along(x), function(i) to_json(x[[i]], ind2), character(1))
    if (!is.null(names(x))) {
      parts <- paste0(vapply(names(x), json_atom, character(1)), ": ", parts)
      return(paste0("{\n", ind2, paste(parts, collapse = paste0(",\n", ind2)), "\n", ind, "}"))
    }
    return(paste0("[\n", ind2, paste(parts, collapse = paste0(",\n", ind2)), "\n", ind, "]"))
  }
  x <- unname(x)
  paste0("[", paste(vapply(seq_along(x), function(i) json_atom(x[i]), character(1)),
                    collapse = ", "), "]")
}

write_json_file <- function(obj, name) {
  path <- file.path(out_dir, paste0(name, ".json"))
  writeLines(to_json(obj), path, useBytes = TRUE)
  invisible(path)
}

# ---------------------------------------------------------------------------------------------
# Metadata shared by every output
# ---------------------------------------------------------------------------------------------
pkgs <- c("ordinal", "MASS", "car", "carData", "emmeans", "ucminf", "numDeriv")
package_versions <- setNames(lapply(pkgs, function(p) S(as.character(packageVersion(p)))), pkgs)
r_version <- paste(R.version$major, R.version$minor, sep = ".")
run_date <- format(Sys.Date())
meta <- function() {
  list(r_version = S(r_version), package_versions = package_versions, date = S(run_date))
}

# ---------------------------------------------------------------------------------------------
# Datasets: exported exactly as fitted (factor levels in R's order go to <name>_levels.json)
# ---------------------------------------------------------------------------------------------
wine <- ordinal::wine
housing <- MASS::housing
soup <- ordinal::soup
wvs <- carData::WVS
datasets <- list(wine = wine, housing = housing, soup = soup, wvs = wvs)

for (nm in names(datasets)) {
  d <- datasets[[nm]]
  write.csv(d, file.path(data_dir, paste0(nm, ".csv")), row.names = FALSE)
  lev <- list()
  for (col in names(d)) if (is.factor(d[[col]])) lev[[col]] <- levels(d[[col]])
  writeLines(to_json(lev), file.path(data_dir, paste0(nm, "_levels.json")))
}
# Check the CSV round trip: numbers and labels come back unchanged.
for (nm in names(datasets)) {
  back <- read.csv(file.path(data_dir, paste0(nm, ".csv")), stringsAsFactors = FALSE,
                   check.names = FALSE, colClasses = "character")
  orig <- datasets[[nm]]
  for (col in names(orig)) {
    if (is.factor(orig[[col]])) {
      stopifnot(identical(back[[col]], as.character(orig[[col]])))
    } else {
      stopifnot(isTRUE(all.equal(as.numeric(back[[col]]), as.numeric(orig[[col]]),
                                 tolerance = 0)))
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
`%||%` <- function(a, b) if (is.null(a)) b else a

link_cdf <- list(
  logit = plogis,
  probit = pnorm,
  cloglog = function(x) -expm1(-exp(x)),   # complementary log-log: 1 - exp(-exp(x))
  loglog = function(x) exp(-exp(-x)),      # log-log: exp(-exp(-x))
  cauchit = pcauchy
)
polr_method <- c(logit = "logistic", probit = "probit", cloglog = "cloglog",
                 loglog = "loglog", cauchit = "cauchit")

est_block <- function(names_, est, se) {
  list(names = names_, estimate = unname(est), se = unname(se))
}
ci_block <- function(ci) {
  if (is.null(ci)) return(NULL)
  ci <- as.matrix(ci)
  list(names = rownames(ci), lower = unname(ci[, 1]), upper = unname(ci[, 2]))
}

# Every combination of the covariates' levels (first variable varies fastest, as expand.grid);
# numeric covariates take the values given in `numeric_values`.
make_newdata <- function(data, vars, numeric_values = list()) {
  grid <- lapply(vars, function(v) {
    if (v %in% names(numeric_values)) numeric_values[[v]] else levels(data[[v]])
  })
  names(grid) <- vars
  nd <- expand.grid(grid, KEEP.OUT.ATTRS = FALSE, stringsAsFactors = FALSE)
  for (v in vars) if (is.factor(data[[v]])) nd[[v]] <- factor(nd[[v]], levels = levels(data[[v]]))
  nd
}

# Probabilities rebuilt by hand from the published coefficients: pins the sign conventions
# (location: theta_k - x'beta; nominal: theta_k + n'alpha_k) that README.md documents.
# `outer` is the value standing in for theta_0 = -Inf and theta_J = +Inf: clm uses -/+1e5
# (ordinal:::getB), which matters only for the heavy-tailed cauchit link; polr uses -/+Inf.
manual_probs <- function(thresholds, nominal, beta, X, N, link, outer = Inf) {
  J1 <- length(thresholds)
  eta_loc <- if (length(beta)) drop(X[, names(beta), drop = FALSE] %*% beta) else rep(0, nrow(X))
  theta <- matrix(thresholds, nrow = nrow(X), ncol = J1, byrow = TRUE)
  if (!is.null(nominal)) theta <- theta + N %*% nominal
  theta <- cbind(-outer, theta, outer)
  cum <- link_cdf[[link]](theta - eta_loc)
  cum[, -1, drop = FALSE] - cum[, -ncol(cum), drop = FALSE]
}
CLM_INF <- 1e5

cases <- list()        # case name -> fitted object (for cross-checks below)
sanity <- list()       # numbers reported in README.md

# ---------------------------------------------------------------------------------------------
# clm cases
# ---------------------------------------------------------------------------------------------
fit_clm <- function(formula, dataset, link, weights = NULL, nominal = NULL) {
  cl <- call("clm", formula = as.formula(formula), data = as.name(dataset), link = link)
  if (!is.null(weights)) cl$weights <- as.name(weights)
  if (!is.null(nominal)) cl$nominal <- as.formula(nominal)
  eval(cl, globalenv())
}

clm_case <- function(case, dataset, formula, link, weights = NULL, nominal = NULL,
                     numeric_values = list()) {
  fit <- fit_clm(formula, dataset, link, weights, nominal)
  data <- get(dataset, envir = globalenv())
  stopifnot(fit$convergence$code == 0)
  ylev <- levels(fit$y)
  J1 <- length(ylev) - 1
  th_names <- names(fit$alpha)[seq_len(J1)]
  V <- vcov(fit)
  se <- sqrt(diag(V))
  beta_names <- names(fit$beta)
  nom_names <- if (is.null(nominal)) character(0) else names(fit$alpha)[-seq_len(J1)]

  vars <- unique(c(all.vars(as.formula(formula))[-1],
                   if (is.null(nominal)) character(0) else all.vars(as.formula(nominal))))
  nd <- make_newdata(data, vars, numeric_values)
  pr <- predict(fit, newdata = nd, type = "prob", se.fit = TRUE)

  # Sign-convention check against predict().
  X <- model.matrix(delete.response(terms(as.formula(formula))), nd)
  N <- NULL
  nom_mat <- NULL
  if (!is.null(nominal)) {
    N <- model.matrix(as.formula(nominal), nd)
    # alpha is ordered threshold-fastest within each nominal column: "1|2.(Intercept)", ...
    nom_mat <- matrix(fit$alpha, nrow = ncol(N), ncol = J1, byrow = TRUE)
    thr <- nom_mat[1, ]
    nom_mat[1, ] <- 0
  } else {
    thr <- fit$alpha
  }
  manual <- manual_probs(thr, nom_mat, fit$beta, X, N, link, outer = CLM_INF)
  stopifnot(max(abs(manual - pr$fit)) < 1e-10)

  ci_prof <- tryCatch(confint(fit), error = function(e) {
    message(case, ": profile confint failed: ", conditionMessage(e)); NULL
  })
  nobs <- nobs(fit)  # clm: sum of the case weights
  obj <- c(list(
    case = S(case), dataset = S(dataset), formula = S(formula), link = S(link),
    weights = S(if (is.null(weights)) NA else weights),
    nominal = S(if (is.null(nominal)) NA else nominal),
    engine = S("clm")), meta(), list(
    nobs = S(nobs), loglik = S(as.numeric(logLik(fit))), aic = S(AIC(fit)),
    bic = S(as.numeric(-2 * logLik(fit) + length(coef(fit)) * log(nobs))),
    thresholds = est_block(th_names, fit$alpha[th_names], se[th_names]),
    coefficients = est_block(beta_names, fit$beta, se[beta_names]),
    nominal_coefficients = if (is.null(nominal)) NULL else
      est_block(nom_names, fit$alpha[nom_names], se[nom_names]),
    vcov = unname(V), vcov_names = colnames(V),
    confint_wald = ci_block(confint.default(fit, parm = beta_names)),
    confint_profile = ci_block(ci_prof),
    newdata = nd,
    predicted_probabilities = unname(pr$fit),
    predicted_se = unname(pr$se.fit),
    gradient_max_abs = S(fit$maxGradient), condition_number = S(fit$cond.H),
    outcome_levels = ylev))
  stopifnot(abs(BIC(fit) - obj$bic[[1]][[1]]) < 1e-8)
  write_json_file(obj, case)
  cases[[case]] <<- fit
  invisible(fit)
}

links <- c("logit", "probit", "cloglog", "loglog", "cauchit")
for (lk in links) {
  clm_case(paste0("wine_", lk), "wine", "rating ~ temp + contact", lk)
  clm_case(paste0("housing_", lk), "housing", "Sat ~ Infl + Type + Cont", lk, weights = "Freq")
}
clm_case("wine_interaction_logit", "wine", "rating ~ temp * contact", "logit")
clm_case("wine_nominal_logit", "wine", "rating ~ temp", "logit", nominal = "~ contact")
clm_case("housing_nominal_logit", "housing", "Sat ~ Infl + Type", "logit", weights = "Freq",
         nominal = "~ Cont")
clm_case("soup_logit", "soup", "SURENESS ~ PROD + DAY", "logit")
# Numeric covariate (age); newdata ages are a stated grid, not data rows.
clm_case("wvs_logit", "wvs", "poverty ~ gender + religion + degree + country + age", "logit",
         numeric_values = list(age = c(20, 40, 60, 80)))

# ---------------------------------------------------------------------------------------------
# polr cases (housing, all five links) -- to show polr and clm agree
# ---------------------------------------------------------------------------------------------
polr_case <- function(case, dataset, formula, link, weights = NULL) {
  cl <- call("polr", formula = as.formula(formula), data = as.name(dataset),
             method = unname(polr_method[link]), Hess = TRUE)
  if (!is.null(weights)) cl$weights <- as.name(weights)
  fit <- eval(cl, globalenv())
  stopifnot(fit$convergence == 0)
  data <- get(dataset, envir = globalenv())
  V <- vcov(fit)
  se <- sqrt(diag(V))
  vars <- all.vars(as.formula(formula))[-1]
  nd <- make_newdata(data, vars)
  pp <- predict(fit, newdata = nd, type = "probs")
  X <- model.matrix(delete.response(terms(as.formula(formula))), nd)
  stopifnot(max(abs(manual_probs(fit$zeta, NULL, coef(fit), X, NULL, link) - pp)) < 1e-10)
  ll <- as.numeric(logLik(fit))
  k <- length(fit$zeta) + length(coef(fit))
  nobs <- sum(fit$model[["(weights)"]] %||% rep(1, nrow(fit$model)))
  ci_prof <- tryCatch(suppressMessages(confint(fit)), error = function(e) {
    message(case, ": profile confint failed: ", conditionMessage(e)); NULL
  })
  if (!is.null(ci_prof) && is.null(dim(ci_prof))) {
    ci_prof <- matrix(ci_prof, nrow = 1, dimnames = list(names(coef(fit)), names(ci_prof)))
  }
  obj <- c(list(
    case = S(case), dataset = S(dataset), formula = S(formula), link = S(link),
    weights = S(if (is.null(weights)) NA else weights), nominal = S(NA),
    engine = S("polr")), meta(), list(
    nobs = S(nobs), loglik = S(ll), aic = S(-2 * ll + 2 * k), bic = S(-2 * ll + k * log(nobs)),
    thresholds = est_block(names(fit$zeta), fit$zeta, se[names(fit$zeta)]),
    coefficients = est_block(names(coef(fit)), coef(fit), se[names(coef(fit))]),
    nominal_coefficients = NULL,
    vcov = unname(V), vcov_names = colnames(V),
    confint_wald = ci_block(confint.default(fit)),
    confint_profile = ci_block(ci_prof),
    newdata = nd,
    predicted_probabilities = unname(pp),
    predicted_se = NULL,
    gradient_max_abs = NULL, condition_number = NULL,
    outcome_levels = fit$lev))
  stopifnot(abs(AIC(fit) - obj$aic[[1]][[1]]) < 1e-8)
  write_json_file(obj, case)
  cases[[case]] <<- fit
  invisible(fit)
}

# No cauchit polr case: polr.fit clamps the linear predictor to [-100, 100] before applying the
# cdf (MASS 7.3-58), harmless for the light-tailed links but pcauchy(-100) = 0.0032, so polr's
# cauchit likelihood, estimates and logLik are wrong (see cauchit_exact below and README).
polr_links <- c("logit", "probit", "cloglog", "loglog")
for (lk in polr_links) {
  polr_case(paste0("housing_polr_", lk), "housing", "Sat ~ Infl + Type + Cont", lk,
            weights = "Freq")
}

# polr vs clm agreement on housing (README quotes these).
polr_vs_clm <- list()
for (lk in polr_links) {
  f_clm <- cases[[paste0("housing_", lk)]]
  f_polr <- cases[[paste0("housing_polr_", lk)]]
  d_est <- max(abs(c(f_clm$alpha - f_polr$zeta, f_clm$beta - coef(f_polr))))
  se_clm <- sqrt(diag(vcov(f_clm)))
  se_polr <- sqrt(diag(vcov(f_polr)))[names(se_clm)]
  polr_vs_clm[[lk]] <- list(
    max_abs_diff_estimates = S(d_est),
    max_abs_diff_se = S(max(abs(se_clm - se_polr))),
    abs_diff_loglik = S(abs(as.numeric(logLik(f_clm)) - as.numeric(logLik(f_polr)))))
  if (lk == "logit") stopifnot(d_est < 1e-6)
}
sanity$housing_polr_vs_clm <- polr_vs_clm

# ---------------------------------------------------------------------------------------------
# Exact cauchit maximum likelihood. clm stands in +/-1e5 for the infinite outer thresholds, so for
# the heavy-tailed cauchit link its P(Y = 1) and P(Y = J) carry an extra F(-1e5 - eta) ~ 3.2e-6
# and its fitted probabilities sum to 1 - 6.4e-6: clm maximises a slightly different likelihood.
# Here the exact likelihood (outer thresholds +/-Inf) is maximised by Newton's method on
# numDeriv's Richardson gradient and Hessian, starting from clm's estimates.
# ---------------------------------------------------------------------------------------------
exact_nll <- function(par, X, y, w, J1, link) {
  th <- par[seq_len(J1)]
  eta <- if (ncol(X)) drop(X %*% par[-seq_len(J1)]) else rep(0, length(y))
  cu <- link_cdf[[link]](cbind(-Inf, outer(-eta, th, "+"), Inf))
  p <- cu[cbind(seq_along(y), y + 1)] - cu[cbind(seq_along(y), y)]
  -sum(w * log(p))
}
exact_mle <- function(fit) {
  mf <- model.frame(fit)
  y <- as.integer(model.response(mf))
  w <- mf[["(weights)"]] %||% rep(1, nrow(mf))
  X <- model.matrix(fit$terms, mf)[, -1, drop = FALSE]
  J1 <- length(fit$alpha)
  f <- function(par) exact_nll(par, X, y, w, J1, fit$link)
  par <- c(fit$alpha, fit$beta)
  for (it in 1:50) {
    g <- numDeriv::grad(f, par)
    if (max(abs(g)) < 1e-9) break
    par <- par - solve(numDeriv::hessian(f, par), g)
  }
  H <- numDeriv::hessian(f, par)
  list(par = par, se = sqrt(diag(solve(H))), loglik = -f(par), grad = max(abs(g)),
       loglik_clm_convention = as.numeric(logLik(fit)), J1 = J1,
       loglik_exact_at_clm = -f(c(fit$alpha, fit$beta)))
}
cauchit_exact <- list()
for (case in c("wine_cauchit", "housing_cauchit")) {
  fit <- cases[[case]]
  ex <- exact_mle(fit)
  th <- seq_len(ex$J1)
  cauchit_exact[[case]] <- list(
    loglik = S(ex$loglik), gradient_max_abs = S(ex$grad),
    loglik_clm = S(ex$loglik_clm_convention), loglik_exact_at_clm_estimates = S(ex$loglik_exact_at_clm),
    thresholds = est_block(names(fit$alpha), ex$par[th], ex$se[th]),
    coefficients = est_block(names(fit$beta), ex$par[-th], ex$se[-th]),
    max_abs_diff_vs_clm_estimates = S(max(abs(ex$par - c(fit$alpha, fit$beta)))))
}
write_json_file(c(list(note = S(paste(
  "Cauchit MLE of the exact likelihood (outer thresholds -Inf/+Inf), Newton on numDeriv",
  "Richardson derivatives; SEs from the inverse numerical Hessian. clm uses -/+1e5 instead."))),
  meta(), list(cases = cauchit_exact)), "cauchit_exact")
sanity$cauchit_exact_vs_clm_max_abs_estimates <- lapply(cauchit_exact, function(x)
  x$max_abs_diff_vs_clm_estimates)
# What polr's clamping does to the cauchit fit (not written as a case).
p_c <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, method = "cauchit",
            start = c(coef(cases[["housing_polr_logit"]]), cases[["housing_polr_logit"]]$zeta))
sanity$polr_cauchit_housing <- list(
  reported_loglik = S(as.numeric(logLik(p_c))),
  exact_loglik_at_polr_estimates = S(exact_nll(
    c(p_c$zeta, coef(p_c)), model.matrix(~ Infl + Type + Cont, housing)[, -1],
    as.integer(housing$Sat), housing$Freq, 2, "cauchit") * -1),
  max_abs_diff_vs_exact_estimates = S(max(abs(
    c(p_c$zeta, coef(p_c)) - c(cauchit_exact$housing_cauchit$thresholds$estimate,
                               cauchit_exact$housing_cauchit$coefficients$estimate)))))

# ---------------------------------------------------------------------------------------------
# Exact profile-likelihood intervals (root finding on the profile deviance), to measure how far
# confint.clm's spline interpolation is from the exact bounds. Location coefficients of the
# non-nominal clm cases only.
# ---------------------------------------------------------------------------------------------
profile_exact <- function(fit, level = 0.95) {
  mf <- model.frame(fit)
  y <- model.response(mf)
  w <- mf[["(weights)"]] %||% rep(1, nrow(mf))
  X <- model.matrix(fit$terms, mf)[, -1, drop = FALSE]
  ll_hat <- as.numeric(logLik(fit))
  crit <- qchisq(level, 1)
  se <- sqrt(diag(vcov(fit)))
  out <- matrix(NA_real_, length(fit$beta), 2, dimnames = list(names(fit$beta), c("lower", "upper")))
  for (j in names(fit$beta)) {
    Xr <- X[, colnames(X) != j, drop = FALSE]
    dev_at <- function(b) {
      d <- data.frame(y = y, w = w, off = b * X[, j])
      f <- if (ncol(Xr)) {
        d$Xr <- Xr
        clm(y ~ Xr + offset(off), data = d, weights = w, link = fit$link)
      } else {
        clm(y ~ 1 + offset(off), data = d, weights = w, link = fit$link)
      }
      2 * (ll_hat - as.numeric(logLik(f))) - crit
    }
    b0 <- fit$beta[[j]]
    for (side in c(-1, 1)) {
      step <- 2 * se[[j]]
      while (dev_at(b0 + side * step) < 0) step <- step * 2
      r <- uniroot(dev_at, sort(c(b0, b0 + side * step)), tol = 1e-10)$root
      out[j, if (side < 0) "lower" else "upper"] <- r
    }
  }
  out
}

exact <- list()
ci_gap <- list()
for (case in names(cases)) {
  fit <- cases[[case]]
  if (!inherits(fit, "clm") || !is.null(fit$nom.terms)) next
  ex <- profile_exact(fit)
  exact[[case]] <- ci_block(ex)
  ci <- tryCatch(confint(fit), error = function(e) NULL)
  if (!is.null(ci)) ci_gap[[case]] <- S(max(abs(ci - ex)))
}
write_json_file(c(list(note = S(paste(
  "Exact 95% profile-likelihood bounds for the location coefficients, found by root finding",
  "(uniroot tol 1e-10) on 2*(loglik_hat - profile loglik) = qchisq(0.95, 1) with clm refits",
  "using an offset. confint.clm interpolates a spline through 8 profile steps instead."))),
  meta(), list(cases = exact)), "confint_profile_exact")
sanity$confint_profile_spline_vs_exact_max_abs <- ci_gap

# ---------------------------------------------------------------------------------------------
# nominal_test (likelihood-ratio tests of proportional odds per term)
# ---------------------------------------------------------------------------------------------
nominal_test_case <- function(case, fit_case, dataset, formula, weights) {
  nt <- nominal_test(cases[[fit_case]])
  tab <- data.frame(term = rownames(nt), df = as.integer(nt$Df), logLik = nt$logLik,
                    AIC = nt$AIC, LRT = nt$LRT, p_value = nt[["Pr(>Chi)"]],
                    stringsAsFactors = FALSE)
  write_json_file(c(list(case = S(case), dataset = S(dataset), formula = S(formula),
                         link = S("logit"), weights = S(if (is.null(weights)) NA else weights),
                         engine = S("clm")),
                    meta(), list(table = tab)), case)
  tab
}
nominal_test_case("nominal_test_wine", "wine_logit", "wine", "rating ~ temp + contact", NULL)
nominal_test_case("nominal_test_housing", "housing_logit", "housing",
                  "Sat ~ Infl + Type + Cont", "Freq")

# ---------------------------------------------------------------------------------------------
# Brant (1990) test, implemented from its definition.
#   For each cut k = 1..J-1 fit the binary logit of z_k = I(Y > k) on X (with intercept).
#   Var(beta_k) = (X'W_k X)^{-1},        W_k  = diag(w * pi_k (1 - pi_k))
#   Cov(beta_k, beta_l) = (X'W_k X)^{-1} (X'W_kl X) (X'W_l X)^{-1},  k < l,
#                         W_kl = diag(w * (pi_l - pi_k pi_l))   [P(Y>k, Y>l) = pi_l]
#   with pi_k the fitted P(Y > k). The Wald statistic tests beta_1 = beta_k (k = 2..J-1) for the
#   slopes (intercepts excluded): omnibus ((J-2) K df), per model term and per coefficient.
# w are case weights; on frequency-weighted data this equals the expanded-data computation
# (checked below).
# package_convention = TRUE reproduces CRAN brant 0.3-0 and car::poTest, which store the block
# (k, l) = A_k^-1 B_kl A_l^-1 in BOTH the (k, l) and (l, k) positions instead of its transpose in
# (l, k); the joint covariance is then not symmetric. Single-coefficient tests are unaffected (1x1
# blocks); the omnibus and multi-coefficient term tests change slightly.
# ---------------------------------------------------------------------------------------------
brant_test <- function(formula, data, weights = NULL, package_convention = FALSE) {
  mf <- model.frame(as.formula(formula), data)
  y <- as.integer(model.response(mf))
  X <- model.matrix(terms(mf), mf)
  assign <- attr(X, "assign")
  term_labels <- attr(terms(mf), "term.labels")
  w <- if (is.null(weights)) rep(1, nrow(X)) else data[[weights]]
  J <- max(y)
  K <- ncol(X) - 1
  slopes <- colnames(X)[-1]
  B <- matrix(NA_real_, J - 1, K + 1, dimnames = list(paste0("Y>", seq_len(J - 1)), colnames(X)))
  P <- matrix(NA_real_, nrow(X), J - 1)
  Ainv <- vector("list", J - 1)
  for (k in seq_len(J - 1)) {
    z <- as.numeric(y > k)
    g <- suppressWarnings(glm.fit(X, z, weights = w, family = binomial(),
                                  control = glm.control(epsilon = 1e-12, maxit = 100)))
    B[k, ] <- g$coefficients
    P[, k] <- g$fitted.values
    Ainv[[k]] <- solve(crossprod(X, X * (w * P[, k] * (1 - P[, k]))))
  }
  idx <- function(k) (k - 1) * K + seq_len(K)
  V <- matrix(0, (J - 1) * K, (J - 1) * K)
  for (k in seq_len(J - 1)) {
    V[idx(k), idx(k)] <- Ainv[[k]][-1, -1]
    if (k < J - 1) for (l in (k + 1):(J - 1)) {
      C <- (Ainv[[k]] %*% crossprod(X, X * (w * (P[, l] - P[, k] * P[, l]))) %*% Ainv[[l]])
      V[idx(k), idx(l)] <- C[-1, -1]
      V[idx(l), idx(k)] <- if (package_convention) C[-1, -1] else t(C[-1, -1])
    }
  }
  bstar <- as.vector(t(B[, -1, drop = FALSE]))
  wald <- function(cols) {
    # contrasts beta_1[c] - beta_k[c] for k = 2..J-1 and c in cols
    rows <- list()
    for (k in 2:(J - 1)) for (c in cols) {
      r <- numeric((J - 1) * K)
      r[idx(1)[c]] <- 1
      r[idx(k)[c]] <- -1
      rows[[length(rows) + 1]] <- r
    }
    D <- do.call(rbind, rows)
    d <- D %*% bstar
    chi2 <- drop(t(d) %*% solve(D %*% V %*% t(D), d))
    c(chi2 = chi2, df = nrow(D), p_value = pchisq(chi2, nrow(D), lower.tail = FALSE))
  }
  by_term <- rbind(Omnibus = wald(seq_len(K)),
                   t(sapply(seq_along(term_labels), function(t) wald(which(assign[-1] == t)))))
  rownames(by_term) <- c("Omnibus", term_labels)
  by_coef <- rbind(Omnibus = wald(seq_len(K)), t(sapply(seq_len(K), wald)))
  rownames(by_coef) <- c("Omnibus", slopes)
  as_rows <- function(m) data.frame(test = rownames(m), chi2 = m[, "chi2"],
                                    df = as.integer(m[, "df"]), p_value = m[, "p_value"],
                                    stringsAsFactors = FALSE)
  list(by_term = as_rows(by_term), by_coef = as_rows(by_coef), B = B, V = V)
}

housing_expanded <- housing[rep(seq_len(nrow(housing)), housing$Freq), ]
rownames(housing_expanded) <- NULL
stopifnot(nrow(housing_expanded) == 1681)

brant_case <- function(case, dataset, formula, data, weights_note, expanded) {
  bt <- brant_test(formula, data)
  bp <- brant_test(formula, data, package_convention = TRUE)
  write_json_file(c(
    list(case = S(case), dataset = S(dataset), formula = S(formula), link = S("logit"),
         weights = S(weights_note), expanded = S(expanded), nobs = S(nrow(data))),
    meta(),
    list(tests = bt$by_term, tests_by_coefficient = bt$by_coef,
         tests_package_convention = bp$by_term,
         tests_by_coefficient_package_convention = bp$by_coef,
         binary_logits = list(cuts = rownames(bt$B), names = colnames(bt$B),
                              estimate = unname(bt$B)))), case)
  list(correct = bt, package = bp)
}
br_wine <- brant_case("brant_wine", "wine", "rating ~ temp + contact", wine, NA, FALSE)
br_housing <- brant_case("brant_housing", "housing", "Sat ~ Infl + Type + Cont",
                         housing_expanded, "Freq", TRUE)
br_wvs <- brant_case("brant_wvs", "wvs", "poverty ~ gender + religion + degree + country + age",
                     wvs, NA, FALSE)
# Frequency weights on the 72 cells give the same test as the 1681 expanded rows.
br_housing_w <- brant_test("Sat ~ Infl + Type + Cont", housing, weights = "Freq")
sanity$brant_housing_weighted_vs_expanded_max_abs_chi2 <-
  S(max(abs(br_housing_w$by_coef$chi2 - br_housing$correct$by_coef$chi2)))
stopifnot(sanity$brant_housing_weighted_vs_expanded_max_abs_chi2[[1]] < 1e-6)

# ---------------------------------------------------------------------------------------------
# car::poTest cross-check (unweighted polr only; it ignores polr's weights)
# ---------------------------------------------------------------------------------------------
potest_case <- function(case, dataset, formula, data, brant) {
  assign("potest_data", data, envir = globalenv())
  fit <- eval(call("polr", as.formula(formula), data = as.name("potest_data"), Hess = TRUE),
              globalenv())
  pt <- poTest(fit)
  tab <- data.frame(test = c("Overall", pt$coef.names), chi2 = c(pt$chisq, pt$chisq.p),
                    df = as.integer(c(pt$df, rep(pt$df.p, length(pt$chisq.p)))),
                    stringsAsFactors = FALSE)
  tab$p_value <- pchisq(tab$chi2, tab$df, lower.tail = FALSE)
  per <- -1  # drop the omnibus row
  diff <- list(
    omnibus_vs_package_convention = S(abs(tab$chi2[1] - brant$package$by_coef$chi2[1])),
    omnibus_vs_correct_symmetric = S(abs(tab$chi2[1] - brant$correct$by_coef$chi2[1])),
    per_coefficient = S(max(abs(tab$chi2[per] - brant$correct$by_coef$chi2[per]))))
  write_json_file(c(
    list(case = S(case), dataset = S(dataset), formula = S(formula), link = S("logit"),
         engine = S("car::poTest"), nobs = S(nrow(data))),
    meta(),
    list(tests = tab,
         binary_logits = list(cuts = colnames(pt$b)[-1], names = pt$coef.names,
                              estimate_polr = unname(pt$b[, 1]),
                              estimate = unname(t(pt$b[, -1, drop = FALSE]))),
         max_abs_diff_chi2_vs_brant = diff)), case)
  diff
}
sanity$potest_vs_brant_max_abs_chi2 <- list(
  wine = potest_case("potest_wine", "wine", "rating ~ temp + contact", wine, br_wine),
  housing_expanded = potest_case("potest_housing", "housing", "Sat ~ Infl + Type + Cont",
                                 housing_expanded, br_housing),
  wvs = potest_case("potest_wvs", "wvs",
                    "poverty ~ gender + religion + degree + country + age", wvs, br_wvs))
# poTest on a frequency-weighted polr (72 cells) -- documents why the expanded data are used.
pw <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
sanity$potest_weighted_polr_chi2 <- tryCatch({
  pt <- poTest(pw)
  list(overall = S(pt$chisq), per_coefficient = unname(pt$chisq.p))
}, error = function(e) S(paste("error:", conditionMessage(e))))

# ---------------------------------------------------------------------------------------------
# emmeans on the wine logit clm (not critical; later issue)
# ---------------------------------------------------------------------------------------------
em_rows <- function(em) {
  s <- as.data.frame(summary(em))
  names(s)[names(s) %in% c("asymp.LCL", "lower.CL")] <- "lower"
  names(s)[names(s) %in% c("asymp.UCL", "upper.CL")] <- "upper"
  for (v in names(s)) if (is.factor(s[[v]])) s[[v]] <- as.character(s[[v]])
  s$df <- NULL
  s
}
emm <- tryCatch({
  fit <- cases[["wine_logit"]]
  list(prob = em_rows(emmeans(fit, ~ rating | temp, mode = "prob")),
       mean_class = em_rows(emmeans(fit, ~ temp, mode = "mean.class")))
}, error = function(e) { message("emmeans failed: ", conditionMessage(e)); NULL })
if (!is.null(emm)) {
  # emmeans averages the predicted probabilities over contact with equal weights.
  pw_ <- predict(cases[["wine_logit"]], newdata = make_newdata(wine, c("temp", "contact")),
                 type = "prob")$fit
  avg <- rbind(colMeans(pw_[c(1, 3), ]), colMeans(pw_[c(2, 4), ]))
  stopifnot(max(abs(as.vector(t(avg)) - emm$prob$prob)) < 1e-12,
            max(abs(drop(avg %*% 1:5) - emm$mean_class$mean.class)) < 1e-12)
  write_json_file(c(list(
    case = S("emmeans_wine"), dataset = S("wine"), formula = S("rating ~ temp + contact"),
    link = S("logit"), engine = S("clm"),
    calls = list(prob = S("emmeans(fit, ~ rating | temp, mode = \"prob\")"),
                 mean_class = S("emmeans(fit, ~ temp, mode = \"mean.class\")")),
    note = S(paste("contact is averaged over with equal weights (emmeans default);",
                   "SEs are delta-method from vcov(fit); intervals are asymptotic 95%."))),
    meta(), emm), "emmeans_wine")
}

write_json_file(c(meta(), sanity), "sanity_checks")
cat(to_json(sanity), "\n")
cat("cases written:", length(list.files(out_dir, pattern = "\\.json$")), "\n")

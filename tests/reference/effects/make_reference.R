#!/usr/bin/env Rscript
# emmeans contrasts on a clm fit: the R reference of interactmodel.effects.comparisons (ML).
#
#   Rscript tests/reference/effects/make_reference.R      # from the repository root; ~5 s
#
# Data: tests/reference/ml/data/wine.csv (ordinal::wine, levels in wine_levels.json).
# Model: clm(rating ~ temp + contact, link = "logit").  wine is balanced (18 ratings in each
# temp x contact cell), so emmeans' equal-weight average over temp equals the average over the
# 72 rows: the contrast "yes - no" averaged over temp is the average marginal effect of contact.
# Writes outputs/emmeans_contrasts_wine.json (jsonlite, digits = NA: 15 significant digits).
suppressPackageStartupMessages({
  library(ordinal)
  library(emmeans)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/effects"
data_dir <- file.path(here, "..", "ml", "data")

levels_json <- fromJSON(file.path(data_dir, "wine_levels.json"))
wine <- read.csv(file.path(data_dir, "wine.csv"), colClasses = "character")
for (col in c("rating", "temp", "contact")) {
  wine[[col]] <- factor(wine[[col]], levels = levels_json[[col]], ordered = col == "rating")
}
fit <- clm(rating ~ temp + contact, data = wine, link = "logit")

tidy <- function(x) {
  frame <- as.data.frame(summary(x, infer = c(TRUE, FALSE), level = 0.95))
  names(frame)[names(frame) %in% c("estimate", "prob", "exc.prob", "mean.class")] <- "estimate"
  names(frame)[names(frame) %in% c("lower.CL", "asymp.LCL")] <- "lower"
  names(frame)[names(frame) %in% c("upper.CL", "asymp.UCL")] <- "upper"
  names(frame)[names(frame) == "SE"] <- "std_error"
  frame[] <- lapply(frame, function(v) if (is.factor(v)) as.character(v) else v)
  frame
}

calls <- list(
  exc_prob_at_temp = paste(
    'contrast(emmeans(fit, ~ contact | temp * cut, mode = "exc.prob"), "revpairwise",',
    'by = c("temp", "cut"))'
  ),
  prob_at_temp = paste(
    'contrast(emmeans(fit, ~ contact | temp * rating, mode = "prob"), "revpairwise",',
    'by = c("temp", "rating"))'
  ),
  mean_class_at_temp = 'contrast(emmeans(fit, ~ contact | temp, mode = "mean.class"), "revpairwise")',
  exc_prob_average = 'contrast(emmeans(fit, ~ contact | cut, mode = "exc.prob"), "revpairwise")',
  mean_class_average = 'contrast(emmeans(fit, ~ contact, mode = "mean.class"), "revpairwise")'
)
results <- lapply(calls, function(call) tidy(eval(parse(text = call))))

out <- c(
  list(
    case = "emmeans_contrasts_wine",
    dataset = "wine",
    formula = "rating ~ temp + contact",
    link = "logit",
    engine = "clm",
    calls = calls,
    note = paste(
      "exc.prob is P(rating > cut) for cut '1|2'..'4|5', i.e. P(rating >= 2..5);",
      "contrasts are yes - no ('revpairwise'); SEs are emmeans' delta method from vcov(fit);",
      "intervals asymptotic 95% Wald. The *_average calls average over temp with equal",
      "weights, which on the balanced wine data is the average over the 72 rows."
    ),
    r_version = paste(R.version$major, R.version$minor, sep = "."),
    package_versions = list(
      ordinal = as.character(packageVersion("ordinal")),
      emmeans = as.character(packageVersion("emmeans")),
      jsonlite = as.character(packageVersion("jsonlite"))
    ),
    date = as.character(Sys.Date())
  ),
  results
)
path <- file.path(here, "outputs", "emmeans_contrasts_wine.json")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, dataframe = "rows"), path)
cat("wrote", path, "\n")

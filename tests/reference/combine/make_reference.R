# Reference for interactmodel.combine.pool_ml: Rubin's rules from mice::pool.scalar.
# Run: Rscript make_reference.R   (writes rubin.json next to this script)
suppressPackageStartupMessages({library(mice); library(jsonlite)})
cases <- list(
  list(q = c(1.20, 1.45, 0.98, 1.31), u = c(0.040, 0.052, 0.035, 0.047)),
  list(q = c(-0.5, -0.7, -0.2), u = c(0.10, 0.12, 0.09)),
  list(q = c(2.5, 2.5), u = c(0.3, 0.5))
)
out <- lapply(cases, function(cs) {
  p <- pool.scalar(cs$q, cs$u, n = Inf, rule = "rubin1987")
  list(q = cs$q, u = cs$u, qbar = p$qbar, ubar = p$ubar, b = p$b, t = p$t, df = p$df)
})
meta <- list(r_version = R.version.string, mice_version = as.character(packageVersion("mice")),
             date = format(Sys.Date()), cases = out)
writeLines(toJSON(meta, auto_unbox = TRUE, digits = NA, pretty = TRUE), "rubin.json")

"""Pictures people would rather look at than numbers, as PNGs (matplotlib, no display needed):
loss curves, clusters, forecasts, reconstructions and code maps."""

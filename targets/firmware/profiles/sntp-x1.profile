# root-x1 anchors, time from SNTP (the simulated responder), no RTC: without
# an answer it falls back to its build date.
[profile sntp-x1]
anchors    = x1-only
clock      = sntp
sntp       = updates.rotsim.test:123
build-date = 2024-01-15
version    = 1

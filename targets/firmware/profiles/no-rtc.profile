# root-x1 anchors on a device without a real-time clock or network time: it
# believes it is its build date (plus its uptime).
[profile no-rtc]
anchors    = x1-only
clock      = none
build-date = 2024-01-15
version    = 1

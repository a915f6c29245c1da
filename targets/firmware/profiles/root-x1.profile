# A modern device with the one RSA root, ISRG Root X1, and a real-time clock.
[profile root-x1]
anchors    = x1-only
clock      = rtc
build-date = 2024-01-15
version    = 1

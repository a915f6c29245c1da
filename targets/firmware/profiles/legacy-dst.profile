# Firmware from before 2016: DST Root CA X3 is its only anchor.
[profile legacy-dst]
anchors    = dst-only
clock      = rtc
build-date = 2016-01-15
version    = 1

# A device with a root and a backup root: ISRG Root X1 and X2.
[profile roots-x1-x2]
anchors    = x1+x2
clock      = rtc
build-date = 2024-01-15
version    = 1

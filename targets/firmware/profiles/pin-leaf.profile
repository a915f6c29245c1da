# The ESP8266 setFingerprint habit: the SHA-256 of the leaf's public key, and
# nothing else is checked (no time, no name, no issuer). Breaks when the key
# changes on renewal.
[profile pin-leaf]
pins       = leaf-r3-pin
clock      = rtc
build-date = 2024-01-15
version    = 1

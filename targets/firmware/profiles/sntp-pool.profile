# root-x1 anchors, time from SNTP, no RTC, and the NTP server hard-coded in the
# firmware: a public pool address (162.159.200.1, time.cloudflare.com, one of
# pool.ntp.org's servers) instead of the server DHCP names. On a network that
# does not route to the internet it never gets an answer and falls back to its
# build date.
[profile sntp-pool]
anchors    = x1-only
clock      = sntp
sntp       = 162.159.200.1:123
build-date = 2024-01-15
version    = 1

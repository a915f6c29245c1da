#!/usr/bin/env bash
# Clock sources: SNTP from the server's responder gives the simulated date;
# without an answer the device falls back to its build date (and then cannot
# validate a chain issued after it). --rtc is the native RTC.
. "$(dirname "$0")/lib.sh"

make_firmware "$tmp/fw" 2
start_server leaf-r10 "$tmp/fw" --sntp 127.0.0.1:0
sntp_port=$(sed -n 's/^sntp //p' "$tmp/serve.$nserver.out")
[ -n "$sntp_port" ]
boot sntp-x1 "$tmp/sntp" --sntp "127.0.0.1:$sntp_port" --rtc 1999-01-01
expect_rc 10
expect_line '^rotsim: clock source=sntp time=2024-07-01T00:00:[0-9]{2}Z$'
grep -q '"event":"sntp".*"status":"ok"' "$events"

# A silent SNTP port (a UDP socket nobody answers on: the server's own TCP
# port number is free for UDP).
boot sntp-x1 "$tmp/silent" --sntp "127.0.0.1:$port"
expect_rc 3
expect_line '^rotsim: clock source=build-date time=2024-01-15T00:00:0[0-9]Z error='
expect_line 'err=BR_ERR_X509_EXPIRED code=54'
# A later build date is later time: with 2024-07-01 the same device validates.
boot sntp-x1 "$tmp/silent2" --sntp "127.0.0.1:$port" --build-date 2024-07-01
expect_rc 10

# The RTC decides for an RTC device: in 2030 the leaf has long expired.
boot root-x1 "$tmp/rtc" --rtc 2030-01-01
expect_rc 3
expect_line '^rotsim: clock source=rtc time=2030-01-01T00:00:0[0-9]Z$'
expect_line 'err=BR_ERR_X509_EXPIRED code=54'
echo ok

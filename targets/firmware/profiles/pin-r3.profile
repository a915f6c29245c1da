# The seed's fleet: the intermediate R3 as the only anchor. br_x509_minimal
# stops at the first certificate whose issuer is an anchor, so the leaf from R3
# validates without any root; a leaf from R10 does not.
[profile pin-r3]
anchors    = r3-pin
clock      = rtc
build-date = 2024-01-15
version    = 1

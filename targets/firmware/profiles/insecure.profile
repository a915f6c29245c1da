# The negative control: accepts any certificate chain and checks nothing.
# A security scenario that does not flag this device is broken.
[profile insecure]
insecure   = yes
clock      = rtc
build-date = 2024-01-15
version    = 1

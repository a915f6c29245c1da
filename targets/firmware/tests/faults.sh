#!/usr/bin/env bash
# Transfer faults: a flipped image byte and a bad manifest signature are
# refused and the device keeps its version; a connection cut in the middle of
# the download resumes with Range and completes; 503 with Retry-After is
# honoured.
. "$(dirname "$0")/lib.sh"

make_firmware "$tmp/fw" 2

start_server leaf-r10 "$tmp/fw" --fault corrupt-byte=150000
boot root-x1 "$tmp/corrupt"
expect_rc 3
expect_line '^rotsim: image result=bad sha256=[0-9a-f]{64} error='
expect_line '^rotsim: done result=rejected version=1 reason=image-sha256 exit=3$'
expect_no_line '^rotsim: install '
[ "$(image_bytes)" -eq 300042 ]
boot root-x1 "$tmp/corrupt" --connect 127.0.0.1:1 --retries 0
expect_line '^rotsim: boot slot=factory how=factory version=1$'

start_server leaf-r10 "$tmp/fw" --fault bad-signature
boot root-x1 "$tmp/badsig"
expect_rc 3
expect_line '^rotsim: manifest sig=bad error='
expect_line '^rotsim: done result=rejected version=1 reason=manifest-signature exit=3$'
[ "$(image_bytes)" -eq 0 ]
boot root-x1 "$tmp/badsig" --connect 127.0.0.1:1 --retries 0
expect_rc 4
expect_line '^rotsim: boot slot=factory how=factory version=1$'
expect_line '^rotsim: done result=unreachable version=1 '

# Cut twice, after 100000 bytes of a body: the device resumes where it was.
start_server leaf-r10 "$tmp/fw" --fault close-after=100000,count=2
boot root-x1 "$tmp/cut"
expect_rc 10
expect_line '^rotsim: download offset=0 status=200 bytes=100000 have=100000 total=300042 attempt=1 result=cut$'
expect_line '^rotsim: retry step=download attempt=2 wait-ms=[0-9]+ resume-at=100000 '
expect_line '^rotsim: download offset=100000 status=206 bytes=100000 have=200000 total=300042 attempt=2 result=cut$'
expect_line '^rotsim: download offset=200000 status=206 bytes=100042 have=300042 total=300042 attempt=3 result=ok$'
expect_line '^rotsim: install result=ok slot=a version=2 '
grep -q '"range":"bytes=100000-"' "$events"
grep -q '"range":"bytes=200000-"' "$events"
boot root-x1 "$tmp/cut"
expect_rc 0
expect_line '^rotsim: done result=current version=2 exit=0$'

# More cuts than retries: the device gives up and keeps version 1.
start_server leaf-r10 "$tmp/fw" --fault close-after=50000,count=0
boot root-x1 "$tmp/cut-always" --retries 2
expect_rc 4
expect_line '^rotsim: download result=gave-up have=150000 attempts=3$'
expect_no_line '^rotsim: install '

# 503 with Retry-After: 1 on the image, once.
start_server leaf-r10 "$tmp/fw" --fault http=503,retry-after=1,path=/firmware/,count=1
start=$(date +%s%N)
boot root-x1 "$tmp/busy"
end=$(date +%s%N)
expect_rc 10
expect_line '^rotsim: http method=GET path=/firmware/image-2.bin status=503 length=[0-9]+ retry-after=1$'
expect_line '^rotsim: retry step=download attempt=2 wait-ms=1000 resume-at=0 reason=retry-after$'
[ $(((end - start) / 1000000)) -ge 1000 ] || { echo "FAIL: Retry-After not honoured"; exit 1; }
echo ok

# curl-client: an update client rotsim did not write the way its agent is
# written: POSIX shell on curl and the openssl command line. Installed as
# $(BUILD)/bin/rotsim-curl-client for the native-curl target.
CURL_CLIENT := $(BUILD)/bin/rotsim-curl-client
$(CURL_CLIENT): targets/curl-client/update-client.sh
	@mkdir -p $(@D)
	install -m 0755 $< $@
TEST_TOOLS += $(CURL_CLIENT)
DEPS_RUN += curl openssl faketime

# The QEMU x86_64 image with the client, one for every device as the SWUpdate
# and wget images are: the test device's initramfs (kernel modules, busybox,
# /init) with the overlay appended (a second gzip member: the kernel unpacks
# both, the later files win), for the qemu-x86_64-curl target. The case's
# configuration (/etc/rotsim, /etc/hosts) comes after it, from the harness:
# the image holds no device's trust or profile, and every device resumes one
# saved machine of it (targets/qemu-x86_64/README.md, "Resume").
CURL_OVERLAY := $(BUILD)/images/x86_64/overlay-curl.cpio.gz
CURL_IMAGE := $(BUILD)/images/x86_64-curl/initramfs.cpio.gz
$(CURL_OVERLAY): targets/curl-client/mkoverlay.sh targets/curl-client/update-client.sh \
		targets/qemu-x86_64/mkcpio.sh
	targets/curl-client/mkoverlay.sh $@ targets/curl-client/update-client.sh
# Its first build also removes the per-device images earlier builds made
# (images/x86_64-curl/DEVICE/): nothing boots them any more, and a build
# directory holds what a fresh build makes (targets/qemu-x86_64/tests/repro.sh).
$(CURL_IMAGE): $(BUILD)/images/x86_64/test/initramfs.cpio.gz $(CURL_OVERLAY)
	@mkdir -p $(@D)
	rm -rf $(patsubst %/initramfs.cpio.gz,%,$(wildcard $(@D)/*/initramfs.cpio.gz))
	cat $^ > $@.tmp
	mv -f $@.tmp $@
.PHONY: images-curl
images: images-curl
images-curl: $(CURL_IMAGE)
check check-scripts: images-curl
SCRIPT_TESTS += targets/curl-client/tests/curl.sh targets/curl-client/tests/files.sh \
	targets/curl-client/tests/hawkbit.sh

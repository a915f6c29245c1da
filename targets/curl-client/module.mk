# curl-client: an update client rotsim did not write the way its agent is
# written: POSIX shell on curl and the openssl command line. Installed as
# $(BUILD)/bin/rotsim-curl-client for the native-curl target.
CURL_CLIENT := $(BUILD)/bin/rotsim-curl-client
$(CURL_CLIENT): targets/curl-client/update-client.sh
	@mkdir -p $(@D)
	install -m 0755 $< $@
TEST_TOOLS += $(CURL_CLIENT)
DEPS_RUN += curl openssl faketime

# The QEMU x86_64 devices with the client: each stock device's image with the
# overlay appended (a second gzip member: the kernel unpacks both, the later
# files win), in images/x86_64-curl/DEVICE/ for the qemu-x86_64-curl target.
CURL_OVERLAY := $(BUILD)/images/x86_64/overlay-curl.cpio.gz
CURL_DEVICES := $(basename $(notdir $(wildcard targets/firmware/devices/*.device)))
$(CURL_OVERLAY): targets/curl-client/mkoverlay.sh targets/curl-client/update-client.sh \
		targets/qemu-x86_64/mkcpio.sh
	targets/curl-client/mkoverlay.sh $@ targets/curl-client/update-client.sh
$(BUILD)/images/x86_64-curl/%/initramfs.cpio.gz: $(BUILD)/images/x86_64/%/initramfs.cpio.gz $(CURL_OVERLAY)
	@mkdir -p $(@D)
	cat $^ > $@.tmp
	mv -f $@.tmp $@
.PHONY: images-curl
images: images-curl
images-curl: $(foreach d,$(CURL_DEVICES),$(BUILD)/images/x86_64-curl/$(d)/initramfs.cpio.gz)
check check-scripts: images-curl
SCRIPT_TESTS += targets/curl-client/tests/curl.sh targets/curl-client/tests/files.sh \
	targets/curl-client/tests/hawkbit.sh

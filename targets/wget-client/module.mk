# wget-client: the shell update client on GNU wget, whose TLS is GnuTLS in
# Debian, with the openssl command for the manifest's signature
# (targets/wget-client/README.md). The image is the test device's initramfs
# with an overlay of the client, wget, openssl and every library they load,
# from Debian packages (targets/swupdate/mkoverlay.sh), for the
# qemu-x86_64-wget target.
WGET_PKGS := wget openssl libc6 libffi8 libgmp10 libgnutls30 libhogweed6 libidn2-0 \
	libnettle8 libp11-kit0 libpcre2-8-0 libpsl5 libssl3 libtasn1-6 libunistring2 libuuid1 \
	zlib1g
WGET_DEBS := $(WGET_PKGS:%=$(DEB_CACHE)/amd64/%.deb)
# The packages the SWUpdate image does not fetch already (its rule covers those).
$(filter-out $(SWU_DEBS),$(WGET_DEBS)): $(DEB_CACHE)/amd64/%.deb:
	$(QEMU_DIR)/fetch-deb.sh amd64 $* $@

WGET_OVERLAY := $(BUILD)/images/x86_64/overlay-wget.cpio.gz
WGET_IMAGE := $(BUILD)/images/x86_64-wget/initramfs.cpio.gz
$(WGET_OVERLAY): targets/swupdate/mkoverlay.sh targets/wget-client/update-client.sh \
		$(QEMU_DIR)/mkcpio.sh $(WGET_DEBS)
	targets/swupdate/mkoverlay.sh $@ targets/wget-client/update-client.sh \
		/usr/bin/wget,/usr/bin/openssl $(WGET_DEBS)
$(WGET_IMAGE): $(BUILD)/images/x86_64/test/initramfs.cpio.gz $(WGET_OVERLAY)
	@mkdir -p $(@D)
	cat $^ > $@.tmp
	mv -f $@.tmp $@
.PHONY: images-wget
images: images-wget
images-wget: $(WGET_IMAGE)
check check-scripts: images-wget
SCRIPT_TESTS += targets/wget-client/tests/wget.sh
DEPS_BUILD += dpkg binutils cpio
DEPS_TEST += jq

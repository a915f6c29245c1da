# swupdate: a QEMU x86_64 device whose update client is Debian's SWUpdate
# (targets/swupdate/README.md): the reference image's kernel, /init and
# busybox with an overlay holding swupdate, curl, every library they load
# (from Debian packages in DEB_CACHE, never from this machine's /lib) and a
# shell client, for the qemu-x86_64-swupdate target. mkswu.sh builds the
# signed .swu bundles it installs ($(BUILD)/bin/rotsim-mkswu).
#
# The packages: swupdate and curl, and those holding the libraries their
# DT_NEEDED entries name, and theirs in turn (mkoverlay.sh stops the build
# naming any library none of them holds).
SWU_PKGS := swupdate curl libacl1 libarchive13 libb2-1 libblkid1 libbrotli1 libbz2-1.0 \
	libc6 libcap2 libcom-err2 libconfig9 libcurl4 libext2fs2 libfdisk1 libffi8 libgcc-s1 \
	libgcrypt20 libgmp10 libgnutls30 libgomp1 libgpg-error0 libgpiod2 libgssapi-krb5-2 \
	libhogweed6 libicu72 libidn2-0 libjson-c5 libk5crypto3 libkeyutils1 libkrb5-3 \
	libkrb5support0 libldap-2.5-0 liblua5.3-0 liblz4-1 liblzma5 libnettle8 libnghttp2-14 \
	libp11-kit0 libpsl5 librsync2 librtmp1 libsasl2-2 libssh2-1 libssl3 libstdc++6 \
	libsystemd0 libtasn1-6 libunistring2 liburiparser1 libuuid1 libwebsockets17 libxml2 \
	libzck1 libzstd1 zlib1g
SWU_DEBS := $(SWU_PKGS:%=$(DEB_CACHE)/amd64/%.deb)
$(SWU_DEBS): $(DEB_CACHE)/amd64/%.deb:
	$(QEMU_DIR)/fetch-deb.sh amd64 $* $@

SWU_OVERLAY := $(BUILD)/images/x86_64/overlay-swupdate.cpio.gz
SWU_IMAGE := $(BUILD)/images/x86_64-swupdate/initramfs.cpio.gz
$(SWU_OVERLAY): targets/swupdate/mkoverlay.sh targets/swupdate/update-client.sh \
		$(QEMU_DIR)/mkcpio.sh $(SWU_DEBS)
	targets/swupdate/mkoverlay.sh $@ targets/swupdate/update-client.sh \
		/usr/bin/swupdate,/usr/bin/curl $(SWU_DEBS)
# One image for every device: the test device's initramfs (kernel modules,
# busybox, /init) and the overlay, a second gzip member whose files win; the
# harness appends each case's configuration after it.
$(SWU_IMAGE): $(BUILD)/images/x86_64/test/initramfs.cpio.gz $(SWU_OVERLAY)
	@mkdir -p $(@D)
	cat $^ > $@.tmp
	mv -f $@.tmp $@
SWU_MKSWU := $(BUILD)/bin/rotsim-mkswu
$(SWU_MKSWU): targets/swupdate/mkswu.sh
	@mkdir -p $(@D)
	install -m 0755 $< $@
TEST_TOOLS += $(SWU_MKSWU)
# The factory flashes of the stock descriptions swupdate-x1 and
# swupdate-hawkbit-x1 (targets/devices/): the target's flash is per device.
SWU_FLASH := $(BUILD)/images/x86_64/swupdate-x1/flash.img \
	$(BUILD)/images/x86_64/swupdate-hawkbit-x1/flash.img
$(SWU_FLASH): $(BUILD)/images/x86_64/%/flash.img: $(QEMU_DIR)/mkflash.sh
	@mkdir -p $(@D)
	$(QEMU_DIR)/mkflash.sh $@ $*
.PHONY: images-swupdate
images: images-swupdate
images-swupdate: $(SWU_IMAGE) $(SWU_FLASH)
check check-scripts: images-swupdate
SCRIPT_TESTS += targets/swupdate/tests/swupdate.sh targets/swupdate/tests/swurun.sh \
	targets/swupdate/tests/swuhawkbit.sh
DEPS_BUILD += dpkg binutils cpio
DEPS_TEST += openssl cpio socat qemu-system-x86

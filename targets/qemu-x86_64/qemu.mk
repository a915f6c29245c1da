# Rules shared by the QEMU targets: included by targets/qemu-*/module.mk, which
# call qemu_target once per architecture. The scripts live beside this file.
#
# Inputs a module may set before the targets' module.mk are read (targets/firmware
# sorts first):
#   QEMU_DEVICES += NAME          one initramfs and one flash image per device
#   QEMU_AGENT.ARCH.NAME := FILE  the device's agent (static binary) on ARCH;
#                                 default QEMU_AGENT.ARCH, the test agent
#   QEMU_PAYLOAD.NAME := DIR      files for /etc/rotsim/ in the guest; default
#                                 targets/qemu-x86_64/payload/NAME if it exists
#   QEMU_PAYLOAD_DEPS.NAME := ... make targets that build that directory
# Downloads go to DEB_CACHE (default build/cache/debs, shared by every BUILD
# directory) and are fetched once; delete a .deb there to fetch a newer one.
ifndef QEMU_MK_INCLUDED
QEMU_MK_INCLUDED := 1

QEMU_DIR := targets/qemu-x86_64
DEB_CACHE ?= build/cache/debs
QEMU_DEVICES += test
# Load order for busybox insmod, which does not follow dependencies: the NIC
# modules measured in ARCHITECTURE.md, with virtio_blk (the flash) after virtio_pci,
# and virtio_console, the port of the power-on message (init.sh loads it only
# for rotsim.snapshot).
QEMU_MODULES := virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
	virtio_pci virtio_blk failover net_failover virtio_net virtio_console
QEMU_AGENT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Os -static -s -Wl,--build-id=none
# The payload directory of device $(1), or nothing.
qemu_payload = $(or $(QEMU_PAYLOAD.$(1)),$(wildcard $(QEMU_DIR)/payload/$(1)))

# $(call qemu_device,ARCH,DEVICE)
define qemu_device
$(QEMU_OUT.$(1))/$(2)/initramfs.cpio.gz: $(QEMU_OUT.$(1))/busybox $(QEMU_OUT.$(1))/rotsim-seed \
		$(QEMU_OUT.$(1))/modules/modules.order $(QEMU_DIR)/init.sh \
		$(QEMU_DIR)/mkinitramfs.sh $(QEMU_DIR)/mkcpio.sh $(or $(QEMU_AGENT.$(1).$(2)),$(QEMU_AGENT.$(1))) \
		$(call qemu_payload,$(2)) \
		$(if $(call qemu_payload,$(2)),$(shell find $(call qemu_payload,$(2)) -type f 2>/dev/null)) \
		$(QEMU_PAYLOAD_DEPS.$(2))
	$(QEMU_DIR)/mkinitramfs.sh --seed $(QEMU_OUT.$(1))/rotsim-seed $$@ \
		$(QEMU_OUT.$(1))/busybox $(QEMU_DIR)/init.sh \
		$(QEMU_OUT.$(1))/modules $(or $(QEMU_AGENT.$(1).$(2)),$(QEMU_AGENT.$(1))) \
		$(call qemu_payload,$(2))
$(QEMU_OUT.$(1))/$(2)/flash.img: $(QEMU_DIR)/mkflash.sh
	@mkdir -p $$(@D)
	$(QEMU_DIR)/mkflash.sh $$@ $(2)
images-$(1): $(QEMU_OUT.$(1))/$(2)/initramfs.cpio.gz $(QEMU_OUT.$(1))/$(2)/flash.img
endef

# $(call qemu_stack_overlay,ARCH,STACK,AGENT[,LIBDIRS])
# The overlay that puts any device of ARCH on TLS stack STACK: an archive
# holding AGENT as /bin/rotsim-agent (and, for a dynamically linked AGENT,
# its loader and the shared libraries it needs from LIBDIRS), which the qemu
# driver appends to a case's initrd (target.conf: stack-overlay). Built by
# images-stacks-ARCH and images-stacks, on which images depends.
define qemu_stack_overlay
$(BUILD)/images/$(1)/agent-$(2).cpio.gz: $(3) $(QEMU_DIR)/mkoverlay.sh $(QEMU_DIR)/mkcpio.sh
	$(QEMU_DIR)/mkoverlay.sh $$@ $(3) $(4)
.PHONY: images-stacks-$(1) images-stacks
images-stacks: images-stacks-$(1)
images-stacks-$(1): $(BUILD)/images/$(1)/agent-$(2).cpio.gz
endef

# $(call qemu_target,ARCH,DEBIAN_ARCH,CROSS_CC)
# Kernel, modules and busybox come from Debian packages of DEBIAN_ARCH; the test
# agent is compiled with CROSS_CC. Defines images-ARCH.
define qemu_target
QEMU_OUT.$(1) := $(BUILD)/images/$(1)
QEMU_AGENT.$(1) ?= $(BUILD)/images/$(1)/testagent
.PHONY: images-$(1)
images: images-$(1)
images-$(1): $(BUILD)/images/$(1)/vmlinuz

$(DEB_CACHE)/$(2)/linux-image-cloud.deb:
	$(QEMU_DIR)/fetch-deb.sh --kernel $(2) linux-image-cloud-$(2) $$@
$(DEB_CACHE)/$(2)/busybox-static.deb:
	$(QEMU_DIR)/fetch-deb.sh $(2) busybox-static $$@

$(BUILD)/images/$(1)/vmlinuz $(BUILD)/images/$(1)/modules/modules.order &: \
		$(DEB_CACHE)/$(2)/linux-image-cloud.deb $(QEMU_DIR)/unpack-kernel.sh $(QEMU_DIR)/qemu.mk
	$(QEMU_DIR)/unpack-kernel.sh $$< $(BUILD)/images/$(1) $(QEMU_MODULES)
	cp $$<.name $(BUILD)/images/$(1)/kernel.deb.name

$(BUILD)/images/$(1)/busybox: $(DEB_CACHE)/$(2)/busybox-static.deb
	@mkdir -p $$(@D)
	dpkg-deb --fsys-tarfile $$< | tar -xO ./bin/busybox > $$@.tmp
	chmod 0755 $$@.tmp
	mv -f $$@.tmp $$@

$(BUILD)/images/$(1)/testagent: $(QEMU_DIR)/testagent.c
	@mkdir -p $$(@D)
	$(3) $(QEMU_AGENT_CFLAGS) -o $$@ $$<

$(BUILD)/images/$(1)/rotsim-seed: $(QEMU_DIR)/seed.c
	@mkdir -p $$(@D)
	$(3) $(QEMU_AGENT_CFLAGS) -o $$@ $$<

$$(foreach d,$$(sort $$(QEMU_DEVICES)),$$(eval $$(call qemu_device,$(1),$$(d))))
endef

endif

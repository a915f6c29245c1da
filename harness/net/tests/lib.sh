# shellcheck shell=bash
# Shared by the lab network tests.
: "${ROTSIM:?}" "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP" || exit 1
export ROTSIM_CACHE="$ROTSIM_BUILD/test-cache/pki"

# The lab network needs the rights to create a network namespace (CI runs as
# root): without them these tests fail rather than pass unseen.
lab_required() {
	unshare -n true 2>/dev/null || fail "no rights to create a network namespace"
}

# A QEMU x86_64 reference device on the lab's TAP, with extra kernel
# switches: the command goes to the array qemu_cmd.
lab_qemu() { # console extra-append [device]
	local img=$ROTSIM_BUILD/images/x86_64
	[ -f "$img/vmlinuz" ] || fail "no kernel at $img/vmlinuz (run make images)"
	qemu_cmd=(qemu-system-x86_64 -nographic -nodefaults -no-user-config -no-reboot
		-monitor none -M q35 -m 256 -accel tcg -kernel "$img/vmlinuz"
		-initrd "$img/${3:-insecure}/initramfs.cpio.gz"
		-append "console=ttyS0 panic=-1 quiet rotsim.net=dhcp $2"
		-serial "file:$1" -netdev tap,id=n0,ifname=rstap0,script=no,downscript=no
		-device virtio-net-pci,netdev=n0,romfile=)
}

# Nothing of a lab left: no dnsmasq, QEMU or server of ours, no TAP or bridge
# in the host's namespace, no named namespace.
no_lab_left() { # pattern of our command lines
	local left
	left=$(pgrep -af "$1" | grep -v -e pgrep -e "$$" || true)
	[ -z "$left" ] || fail "processes left behind: $left"
	! ip link show rsbr0 >/dev/null 2>&1 || fail "a bridge rsbr0 in the host's namespace"
	! ip link show rstap0 >/dev/null 2>&1 || fail "a TAP rstap0 in the host's namespace"
	[ -z "$(ip netns list 2>/dev/null)" ] || fail "named namespaces: $(ip netns list)"
}

# qemu-x86_64-microvm: the qemu-x86_64 images on QEMU's microvm machine (no
# images of its own: make images builds qemu-x86_64's).
BENCH_SCRIPTS += targets/qemu-x86_64-microvm/bench/microvm.sh
SCRIPT_TESTS += targets/qemu-x86_64-microvm/tests/microvm.sh

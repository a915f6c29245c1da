# qemu-x86_64-lab: the qemu-x86_64 images on the lab network (harness/net/).
# Its images are qemu-x86_64's; `make bench` compares a phase's time on the lab
# network with user-mode networking, same device, same run (jq reads run.json).
bench: images
DEPS_TEST += jq
BENCH_SCRIPTS += targets/qemu-x86_64-lab/bench/lab-vs-user.sh

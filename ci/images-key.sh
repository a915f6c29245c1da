#!/usr/bin/env bash
# Print the cache key of the target images: a SHA-256 over every file under
# targets/ (recipes, init, agent sources, payloads) and the versions of the
# Debian packages the images are made from, as apt would fetch them now. Same
# inputs, same key; a new kernel or busybox in the archive, a new key.
#
# usage: ci/images-key.sh   (after apt-get update, for current versions)
set -euo pipefail
cd "$(dirname "$0")/.."
{
	find targets -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	# The TLS stacks the agents link (host and arm64), the curl client's
	# programs, and the SWUpdate and wget images' programs and main libraries
	# (targets/swupdate/module.mk and targets/wget-client/module.mk list all):
	# the images and overlays carry them.
	# One apt-cache for all: each call reads the whole package cache again
	# (about two seconds of CPU on a machine with two architectures). A
	# package apt does not know gets an empty version.
	pkgs=(linux-image-cloud-amd64 busybox-static qemu-system-x86 libbearssl-dev
		libmbedtls-dev libwolfssl-dev libssl-dev libgnutls28-dev libmbedtls-dev:arm64
		libssl-dev:arm64 libgnutls30:arm64 curl openssl swupdate wget libcurl4 libssl3
		libgnutls30 libc6)
	apt-cache policy "${pkgs[@]}" 2>/dev/null | awk -v want="${pkgs[*]}" '
		/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1); next }
		$1 == "Candidate:" && p != "" && !(p in cand) { cand[p] = $2 }
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) printf "%s %s\n", w[i], cand[w[i]]
		}'
} | sha256sum | cut -c1-32

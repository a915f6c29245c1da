#!/usr/bin/env bash
# make run: the main job. Until scenarios run on targets, the job is the test CA:
# build the Let's Encrypt mirror and write what was built.
set -euo pipefail
rotsim=$1 out=$2
mkdir -p "$out"
"$rotsim" pki scenarios/pki/letsencrypt.pki --out "$out/pki"
echo "make run: wrote $out/pki (see $out/pki/manifest.txt)"

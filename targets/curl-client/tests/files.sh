#!/usr/bin/env bash
# The curl update client speaking a plain HTTPS file tree judged as on rotsim's own
# protocol: le-r3-to-r10 natively (protocols-lib.sh says how).
proto=files
. "$(dirname "$0")/protocols-lib.sh"

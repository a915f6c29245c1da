#!/usr/bin/env bash
# The curl update client speaking the hawkBit DDI subset judged as on rotsim's own
# protocol: le-r3-to-r10 natively (protocols-lib.sh says how).
proto=hawkbit
. "$(dirname "$0")/protocols-lib.sh"

# A device of a team that runs its own CA for its update host: the team's root
# G1 (scenarios/pki/private-ca.pki, anchor set team-g1) is its only anchor, so
# no public CA's rotation, expiry or re-signing changes what it trusts. Its
# factory store predates the team's second root, G2: it learns G2 only from an
# over-the-air trust store (scenarios/private-ca-rollover-ota.scn).
[profile private-root]
anchors    = team-g1
clock      = rtc
build-date = 2020-01-15
version    = 1

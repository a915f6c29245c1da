# The private-root device as made after the team's second root existed
# (2026-09): its factory store holds both team roots, G1 and G2 (anchor set
# team-g1+g2 of scenarios/pki/private-ca.pki), so the retirement of G1 does not
# depend on an over-the-air trust update.
[profile private-roots-g1-g2]
anchors    = team-g1+g2
clock      = rtc
build-date = 2026-09-15
version    = 1

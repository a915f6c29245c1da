# board-qemu: the QEMU board's boot-time SNTP client, which board.sh deploy
# puts into the lab variant's firmware (targets/board-qemu-lab): static, for
# the x86_64 guest, on the agent's own SNTP query.
BQ_SNTPDATE := $(BUILD)/firmware/x86_64/sntpdate
BQ_SNTPDATE_SRCS := targets/board-qemu/sntpdate.c sim/time/sntp.c sim/time/simtime.c \
	sim/time/simclock.c sim/common/util.c
$(BQ_SNTPDATE): $(BQ_SNTPDATE_SRCS) $(wildcard sim/time/*.h sim/common/*.h) \
		targets/board-qemu/module.mk
	@mkdir -p $(@D)
	$(CC) $(FW_STATIC_CFLAGS) -o $@ $(BQ_SNTPDATE_SRCS) $(FW_BEARSSL_A)
TEST_TOOLS += $(BQ_SNTPDATE)

# plan: scenarios x devices x targets -> cases with stable indices; the
# shard rule. See plan.h.
LIB_SRCS += harness/plan/plan.c
CHECK_SRCS += harness/plan/tests/check_plan.c

/*
 * The device's flash: the disk image of targets/qemu-x86_64/mkflash.sh (a
 * header, a boot-control block and two equal slots, A and B), as a block
 * device in the guest (/dev/vda) or as a file natively. The boot-control
 * block is this module's: README.md ("Flash and boot control") specifies it.
 *
 * A/B update: a new bundle is written to the slot that is not running, read
 * back and checked, and only then does the boot-control block name it active
 * (with its length and SHA-256, which the next boot checks before it runs it).
 * A slot that fails that check is not run: the other slot is, if it checks,
 * else the factory firmware.
 *
 * Errors: functions return 0 or -1 with a message in err; nothing prints.
 */
#ifndef ROTSIM_FW_FLASH_H
#define ROTSIM_FW_FLASH_H

#include <stddef.h>
#include <stdint.h>

#define FLASH_MAGIC "ROTSIMFL"
#define FLASH_BC_MAGIC "ROTSIMBC"
#define FLASH_BC_LEN 160
#define FLASH_SLOTS 2

/* What the boot-control block records of one slot. */
typedef struct {
	uint32_t state;			/* FLASH_SLOT_EMPTY or FLASH_SLOT_INSTALLED */
	uint32_t version;
	uint64_t len;			/* bytes of the bundle */
	unsigned char sha256[32];	/* of those bytes */
} flash_slot_rec;

enum { FLASH_SLOT_EMPTY = 0, FLASH_SLOT_INSTALLED = 1 };

/* The boot-control block, decoded. */
typedef struct {
	uint32_t seq;			/* incremented by every write */
	uint32_t active;		/* 0 (A) or 1 (B) */
	flash_slot_rec slot[FLASH_SLOTS];
} flash_bc;

typedef struct {
	int fd;				/* -1 when closed */
	char path[512];
	uint64_t slot_size;
	uint64_t slot_off[FLASH_SLOTS];
	uint64_t bc_off;
	uint64_t size;
	char device[33];
	int bc_valid;			/* bc holds a block read from flash */
	flash_bc bc;
} flash_dev;

/* The layout mkflash.sh writes, for flash_create(). */
#define FLASH_DEFAULT_SLOT_SIZE (4u * 1048576u)

/* Encode and decode the 160-byte boot-control block. Decoding checks the
 * magic, the format and the SHA-256 that ends the block; returns 0 or -1. */
void flash_bc_encode(unsigned char out[FLASH_BC_LEN], const flash_bc *bc);
int flash_bc_decode(flash_bc *bc, const unsigned char in[FLASH_BC_LEN]);

/*
 * Create a flash image file at path (must not exist) with mkflash.sh's
 * layout 1: 1 MiB header area, two slots of slot_size bytes, zero elsewhere.
 */
int flash_create(const char *path, uint64_t slot_size, const char *device,
	char *err, size_t errlen);

/*
 * Open a flash (file or block device) read-write and read its header and
 * boot-control block. A block that does not decode (a factory image: zeros)
 * leaves bc_valid 0 and bc zeroed (a caller may record a factory bundle in it
 * before flash_install()). Release with flash_close(), also after a failure.
 */
int flash_open(flash_dev *f, const char *path, char *err, size_t errlen);
void flash_close(flash_dev *f);

/*
 * Whether flash_create() and flash_install() fsync what they wrote (default 1).
 * A guest's flash is a disk its kernel caches, lost at a power-off unless
 * flushed; the flash file of a device that is a host process outlives the
 * process in the host's page cache whether or not it is synced.
 */
void flash_set_sync(int on);

/* Read len bytes at off of slot i into buf. */
int flash_read_slot(flash_dev *f, int i, uint64_t off, void *buf, size_t len,
	char *err, size_t errlen);

/*
 * Read and check slot i against its boot-control record (length and SHA-256).
 * On success *data (allocated with xmalloc(), released by the caller) holds
 * the bundle's len bytes.
 */
int flash_load_slot(flash_dev *f, int i, unsigned char **data, size_t *len,
	char *err, size_t errlen);

/*
 * Install a bundle into slot i (which must not be the running one): write it,
 * flush, read it back and compare, then write a boot-control block that makes
 * slot i active with the given version. The other slot's record is kept, so a
 * later boot can fall back to it.
 */
int flash_install(flash_dev *f, int i, uint32_t version, const void *data,
	size_t len, char *err, size_t errlen);

#endif

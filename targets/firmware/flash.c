/*
 * The A/B flash (flash.h).
 */
#include "flash.h"

#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* see flash.h */
void
flash_bc_encode(unsigned char out[FLASH_BC_LEN], const flash_bc *bc)
{
	int i;

	memset(out, 0, FLASH_BC_LEN);
	memcpy(out, FLASH_BC_MAGIC, 8);
	put_le(out + 8, 1, 4);
	put_le(out + 12, bc->seq, 4);
	put_le(out + 16, bc->active, 4);
	for (i = 0; i < FLASH_SLOTS; i++) {
		unsigned char *r = out + 20 + 48 * i;

		put_le(r, bc->slot[i].state, 4);
		put_le(r + 4, bc->slot[i].version, 4);
		put_le(r + 8, bc->slot[i].len, 8);
		memcpy(r + 16, bc->slot[i].sha256, 32);
	}
	util_sha256(out + 128, out, 128);
}

/* see flash.h */
int
flash_bc_decode(flash_bc *bc, const unsigned char in[FLASH_BC_LEN])
{
	unsigned char h[32];
	int i;

	memset(bc, 0, sizeof *bc);
	if (memcmp(in, FLASH_BC_MAGIC, 8) != 0 || get_le(in + 8, 4) != 1)
		return -1;
	util_sha256(h, in, 128);
	if (memcmp(h, in + 128, 32) != 0)
		return -1;
	bc->seq = (uint32_t)get_le(in + 12, 4);
	bc->active = (uint32_t)get_le(in + 16, 4);
	if (bc->active >= FLASH_SLOTS)
		return -1;
	for (i = 0; i < FLASH_SLOTS; i++) {
		const unsigned char *r = in + 20 + 48 * i;

		bc->slot[i].state = (uint32_t)get_le(r, 4);
		bc->slot[i].version = (uint32_t)get_le(r + 4, 4);
		bc->slot[i].len = get_le(r + 8, 8);
		memcpy(bc->slot[i].sha256, r + 16, 32);
		if (bc->slot[i].state > FLASH_SLOT_INSTALLED)
			return -1;
	}
	return 0;
}

/* Write all of buf at off, or fail. */
static int
pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int
pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = pread(fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int flash_sync = 1;

/* see flash.h */
void
flash_set_sync(int on)
{
	flash_sync = on != 0;
}

/* fsync(fd) when the flash is synced. */
static int
sync_fd(int fd)
{
	return flash_sync ? fsync(fd) : 0;
}

/* see flash.h */
int
flash_create(const char *path, uint64_t slot_size, const char *device,
	char *err, size_t errlen)
{
	const uint64_t mib = 1048576;
	unsigned char h[128];
	char line[256];
	uint64_t total = mib + 2 * slot_size;
	size_t dlen = strlen(device);
	int fd, n, ret = -1;

	if (dlen > 31)
		return util_err(err, errlen, "device name \"%s\" longer than 31 bytes", device);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return util_err(err, errlen, "%s: %s", path, strerror(errno));
	memset(h, 0, sizeof h);
	memcpy(h, FLASH_MAGIC, 8);
	put_le(h + 8, 1, 4);
	put_le(h + 12, 4096, 4);
	put_le(h + 16, slot_size, 8);
	put_le(h + 24, mib, 8);
	put_le(h + 32, mib + slot_size, 8);
	put_le(h + 40, 4096, 8);
	put_le(h + 48, total, 8);
	memcpy(h + 56, device, dlen);
	n = snprintf(line, sizeof line, "rotsim-flash layout=1 slot-size=%llu slot-a=%llu "
		"slot-b=%llu boot-control=4096 size=%llu device=%s\n",
		(unsigned long long)slot_size, (unsigned long long)mib,
		(unsigned long long)(mib + slot_size), (unsigned long long)total, device);
	if (ftruncate(fd, (off_t)total) != 0 || pwrite_all(fd, h, 88, 0) != 0
		|| n < 0 || (size_t)n >= sizeof line
		|| pwrite_all(fd, line, (size_t)n, 512) != 0 || sync_fd(fd) != 0)
	{
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/* see flash.h */
int
flash_open(flash_dev *f, const char *path, char *err, size_t errlen)
{
	unsigned char h[128], bc[FLASH_BC_LEN];
	int i;

	memset(f, 0, sizeof *f);
	f->fd = -1;
	snprintf(f->path, sizeof f->path, "%s", path);
	f->fd = open(path, O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		return util_err(err, errlen, "%s: %s", path, strerror(errno));
	if (pread_all(f->fd, h, sizeof h, 0) != 0)
		goto bad;
	if (memcmp(h, FLASH_MAGIC, 8) != 0)
		return util_err(err, errlen, "%s: no flash header (magic %s)", path, FLASH_MAGIC);
	if (get_le(h + 8, 4) != 1)
		return util_err(err, errlen, "%s: flash layout %u unknown", path,
			(unsigned)get_le(h + 8, 4));
	f->slot_size = get_le(h + 16, 8);
	f->slot_off[0] = get_le(h + 24, 8);
	f->slot_off[1] = get_le(h + 32, 8);
	f->bc_off = get_le(h + 40, 8);
	f->size = get_le(h + 48, 8);
	memcpy(f->device, h + 56, 32);
	f->device[32] = 0;
	for (i = 0; i < FLASH_SLOTS; i++)
		if (f->slot_size == 0 || f->slot_off[i] < 4096
			|| f->slot_off[i] + f->slot_size > f->size)
			return util_err(err, errlen, "%s: slot %c outside the flash", path, 'a' + i);
	if (f->bc_off < 128 || f->bc_off + FLASH_BC_LEN > f->slot_off[0])
		return util_err(err, errlen, "%s: boot-control block misplaced", path);
	if (pread_all(f->fd, bc, sizeof bc, f->bc_off) != 0)
		goto bad;
	f->bc_valid = flash_bc_decode(&f->bc, bc) == 0;
	if (!f->bc_valid)
		memset(&f->bc, 0, sizeof f->bc);
	return 0;
bad:
	return util_err(err, errlen, "%s: short read", path);
}

/* see flash.h */
void
flash_close(flash_dev *f)
{
	if (f != NULL && f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
}

/* see flash.h */
int
flash_read_slot(flash_dev *f, int i, uint64_t off, void *buf, size_t len,
	char *err, size_t errlen)
{
	if (i < 0 || i >= FLASH_SLOTS || off > f->slot_size || len > f->slot_size - off)
		return util_err(err, errlen, "read outside slot");
	if (pread_all(f->fd, buf, len, f->slot_off[i] + off) != 0)
		return util_err(err, errlen, "%s: read slot %c: %s", f->path, 'a' + i,
			errno ? strerror(errno) : "short read");
	return 0;
}

/* see flash.h */
int
flash_load_slot(flash_dev *f, int i, unsigned char **data, size_t *len,
	char *err, size_t errlen)
{
	const flash_slot_rec *r = &f->bc.slot[i];
	unsigned char h[32], *d;

	*data = NULL;
	*len = 0;
	if (!f->bc_valid || r->state != FLASH_SLOT_INSTALLED)
		return util_err(err, errlen, "slot %c: empty", 'a' + i);
	if (r->len == 0 || r->len > f->slot_size)
		return util_err(err, errlen, "slot %c: bad length %llu", 'a' + i,
			(unsigned long long)r->len);
	d = xmalloc((size_t)r->len);
	if (flash_read_slot(f, i, 0, d, (size_t)r->len, err, errlen) != 0) {
		free(d);
		return -1;
	}
	util_sha256(h, d, (size_t)r->len);
	if (memcmp(h, r->sha256, 32) != 0) {
		free(d);
		return util_err(err, errlen, "slot %c: SHA-256 does not match the "
			"boot-control record", 'a' + i);
	}
	*data = d;
	*len = (size_t)r->len;
	return 0;
}

/* see flash.h */
int
flash_install(flash_dev *f, int i, uint32_t version, const void *data,
	size_t len, char *err, size_t errlen)
{
	unsigned char block[FLASH_BC_LEN], *back = NULL;
	flash_bc nbc;
	int ret = -1;

	if (i < 0 || i >= FLASH_SLOTS)
		return util_err(err, errlen, "no slot %d", i);
	if (len == 0 || len > f->slot_size)
		return util_err(err, errlen, "bundle of %zu bytes does not fit slot %c "
			"(%llu bytes)", len, 'a' + i, (unsigned long long)f->slot_size);
	nbc = f->bc;
	/* The slot is invalid from the moment its bytes change. */
	nbc.slot[i].state = FLASH_SLOT_EMPTY;
	nbc.seq++;
	if (nbc.active == (uint32_t)i)
		nbc.active = (uint32_t)(1 - i);
	flash_bc_encode(block, &nbc);
	if (pwrite_all(f->fd, block, sizeof block, f->bc_off) != 0
		|| pwrite_all(f->fd, data, len, f->slot_off[i]) != 0 || sync_fd(f->fd) != 0)
	{
		util_err(err, errlen, "%s: write slot %c: %s", f->path, 'a' + i, strerror(errno));
		goto out;
	}
	back = xmalloc(len);
	if (flash_read_slot(f, i, 0, back, len, err, errlen) != 0)
		goto out;
	if (memcmp(back, data, len) != 0) {
		util_err(err, errlen, "%s: slot %c reads back different bytes", f->path, 'a' + i);
		goto out;
	}
	nbc.slot[i].state = FLASH_SLOT_INSTALLED;
	nbc.slot[i].version = version;
	nbc.slot[i].len = len;
	util_sha256(nbc.slot[i].sha256, data, len);
	nbc.active = (uint32_t)i;
	nbc.seq++;
	flash_bc_encode(block, &nbc);
	if (pwrite_all(f->fd, block, sizeof block, f->bc_off) != 0 || sync_fd(f->fd) != 0) {
		util_err(err, errlen, "%s: write boot control: %s", f->path, strerror(errno));
		goto out;
	}
	f->bc = nbc;
	f->bc_valid = 1;
	ret = 0;
out:
	free(back);
	return ret;
}

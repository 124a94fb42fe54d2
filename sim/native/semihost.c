/* ARM semihosting ("Semihosting for AArch32 and AArch64", version 2.0/3.0), for both
 * architectures: Cortex-M reaches it through BKPT 0xAB (armv7m/exc.c), RISC-V through the
 * ebreak sequence of the RISC-V Semihosting specification 0.3 (rv32/hart.c). Both hand the
 * operation and its parameter block to core_semihost(). The 32-bit forms throughout (AArch32
 * and RV32: parameter words are 4 bytes). QEMU's semihosting/arm-compat-semi.c is the
 * reference for behaviour where the specification leaves a choice; where we differ it is said
 * at the operation and in the README.
 *
 * The operations newlib's rdimon and picolibc use: OPEN, CLOSE, WRITEC, WRITE0, WRITE, READ,
 * READC, ISERROR, ISTTY, SEEK, FLEN, TMPNAM, REMOVE, RENAME, CLOCK, TIME, SYSTEM (refused),
 * ERRNO, GET_CMDLINE, HEAPINFO, EXIT, EXIT_EXTENDED, ELAPSED, TICKFREQ.
 *
 * Host files. Only below the directory the user names (core_semihost_root, opened once as a
 * directory descriptor); without one every file operation fails in the guest. A guest path is
 * resolved one component at a time with openat(O_NOFOLLOW) from that descriptor: an absolute
 * path, a ".." component and any symbolic link (inside the root or not) are refused, so no
 * path can leave the root whatever the host's directory tree holds, and no check-then-use race
 * exists (each step opens what it checked). Only regular files are opened (never a FIFO, a
 * device or a directory: a FIFO would block the host).
 *
 * The console. `:tt` opened for reading is the console input (what Python fed with
 * core_semihost_input; empty otherwise); opened for writing or appending, the console output.
 * QEMU sends `:tt` in append mode to its stderr; we have one console.
 *
 * Time is simulated time (ticks), so a run's output does not depend on the host. Failures set
 * the semihosting errno (ERRNO) to the host errno value (Linux numbering, as QEMU reports it);
 * a guest mistake (a bad pointer or handle, a path outside the root, SYSTEM, an unknown
 * operation) is also a guest error with a note.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "core.h"
#include "snapshot.h"

/* the operation numbers, shared with the firmware (firmware/common/semihost.h) */
#include "../../firmware/common/semihost.h"

#define SH_FAIL 0xFFFFFFFFu
#define SH_PATH_MAX 1024     /* longest guest path accepted (ENAMETOOLONG beyond) */

enum sh_kind { SH_FREE = 0, SH_TT_IN, SH_TT_OUT, SH_FILE };

struct sh_file {
	int kind;            /* enum sh_kind */
	int fd;              /* host descriptor of an SH_FILE */
};

struct semihost {
	int root;                         /* directory descriptor of the root, -1 for none */
	uint32_t err;                     /* errno of the last failed call (SYS_ERRNO) */
	struct sh_file f[SH_MAX_FILES];   /* handle h is f[h]; 0 is never handed out (as QEMU) */
	char *cmdline;
	uint32_t heap[4];                 /* heap base, heap limit, stack base, stack limit */
	uint8_t *in;                      /* console input not read yet: in[in_pos, in_len) */
	size_t in_len, in_pos;
};

static struct semihost *sh(struct core *c)
{
	if (!c->sh) {
		c->sh = calloc(1, sizeof(*c->sh));
		if (c->sh)
			c->sh->root = -1;
	}
	return c->sh;
}

/* ---- set-up from Python (api.h) ---------------------------------------------------------- */

int core_semihost_root(struct core *c, const char *dir)
{
	struct semihost *s = sh(c);
	if (!s)
		return -ENOMEM;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (s->root >= 0)
		close(s->root);
	s->root = fd;
	return 0;
}

int core_semihost_cmdline(struct core *c, const char *line)
{
	struct semihost *s = sh(c);
	char *p = s ? strdup(line) : NULL;
	if (!p)
		return -1;
	free(s->cmdline);
	s->cmdline = p;
	return 0;
}

void core_semihost_heapinfo(struct core *c, uint32_t heap_base, uint32_t heap_limit,
			    uint32_t stack_base, uint32_t stack_limit)
{
	struct semihost *s = sh(c);
	if (s) {
		s->heap[0] = heap_base;
		s->heap[1] = heap_limit;
		s->heap[2] = stack_base;
		s->heap[3] = stack_limit;
	}
}

int core_semihost_input(struct core *c, const char *data, size_t n)
{
	struct semihost *s = sh(c);
	if (!s)
		return -1;
	size_t left = s->in_len - s->in_pos;
	if (n > SIZE_MAX / 2 - left)
		return -1;
	uint8_t *p = malloc(left + n ? left + n : 1);
	if (!p)
		return -1;
	if (left)
		memcpy(p, s->in + s->in_pos, left);
	memcpy(p + left, data, n);
	free(s->in);
	s->in = p;
	s->in_len = left + n;
	s->in_pos = 0;
	return 0;
}

/* Snapshots: errno, the heap block, the handles (a host file's as a dup'ed descriptor the
 * snapshot owns, sharing the file offset with the handle it was taken from: reads and writes
 * after a restore go on at the host file's offset then) and the console input not read yet.
 * The root and the command line are the machine's configuration and stay. */
void core_semihost_save(struct core *c, struct snap_w *w)
{
	struct semihost *s = c->sh;
	uint64_t have = s != NULL;
	snap_put_u64(w, have);
	if (!s)
		return;
	snap_put(w, &s->err, sizeof(s->err));
	snap_put(w, s->heap, sizeof(s->heap));
	for (int h = 0; h < SH_MAX_FILES; h++) {
		struct sh_file f = s->f[h];
		if (f.kind == SH_FILE && ((f.fd = dup(f.fd)) < 0 || snap_own_fd(w, f.fd))) {
			if (f.fd >= 0)
				close(f.fd);
			w->err = 1;
		}
		snap_put(w, &f, sizeof(f));
	}
	snap_put_u64(w, s->in_len - s->in_pos);
	snap_put(w, s->in ? s->in + s->in_pos : NULL, s->in_len - s->in_pos);
}

int core_semihost_restore(struct core *c, struct snap_r *r)
{
	if (!snap_get_u64(r)) {
		/* none was used then: no handle open, no input, as at reset (the configuration,
		 * root, command line and heap block, stays) */
		struct semihost *s = c->sh;
		for (int h = 0; s && h < SH_MAX_FILES; h++) {
			if (s->f[h].kind == SH_FILE)
				close(s->f[h].fd);
			s->f[h].kind = SH_FREE;
		}
		if (s) {
			s->err = 0;
			s->in_len = s->in_pos = 0;
		}
		return r->err ? -1 : 0;
	}
	struct semihost *s = sh(c);
	if (!s)
		return -1;
	if (snap_get(r, &s->err, sizeof(s->err)) || snap_get(r, s->heap, sizeof(s->heap)))
		return -1;
	for (int h = 0; h < SH_MAX_FILES; h++) {
		struct sh_file f;
		if (snap_get(r, &f, sizeof(f)))
			return -1;
		if (s->f[h].kind == SH_FILE)
			close(s->f[h].fd);
		if (f.kind == SH_FILE && (f.fd = dup(f.fd)) < 0)
			f.kind = SH_FREE;   /* out of descriptors: the handle is closed */
		s->f[h] = f;
	}
	uint64_t n = snap_get_u64(r);
	const void *in = snap_take(r, n);
	if (!in)
		return -1;
	uint8_t *p = n ? malloc(n) : NULL;
	if (n && !p)
		return -1;
	if (n)
		memcpy(p, in, n);
	free(s->in);
	s->in = p;
	s->in_len = n;
	s->in_pos = 0;
	return 0;
}

void core_semihost_free(struct core *c)
{
	struct semihost *s = c->sh;
	if (!s)
		return;
	for (int h = 0; h < SH_MAX_FILES; h++)
		if (s->f[h].kind == SH_FILE)
			close(s->f[h].fd);
	if (s->root >= 0)
		close(s->root);
	free(s->cmdline);
	free(s->in);
	free(s);
	c->sh = NULL;
}

/* ---- guest memory ------------------------------------------------------------------------- */

/* The host copy of guest [addr, addr + len), writable by the guest when `write`; NULL when
 * any of it lies outside RAM/flash (a device, unmapped, past the end) or is read-only. */
static uint8_t *guest_ptr(struct core *c, uint64_t addr, uint32_t len, int write)
{
	const struct region *r = core_region_of(c, addr, len ? len : 1);
	if (!r || (write && !(r->perms & UC_PROT_WRITE)))
		return NULL;
	return r->host + (addr - r->base);
}

/* The NUL-terminated string at addr, all of it in one region, or NULL; *len its length. */
static const char *guest_str(struct core *c, uint64_t addr, uint32_t *len)
{
	const struct region *r = core_region_of(c, addr, 1);
	if (!r)
		return NULL;
	const char *p = (const char *)r->host + (addr - r->base);
	const char *nul = memchr(p, 0, r->base + r->size - addr);
	if (!nul || nul - p > UINT32_MAX - 1)
		return NULL;
	*len = (uint32_t)(nul - p);
	return p;
}

static int args(struct core *c, uint32_t arg, uint32_t *w, int n)
{
	for (int i = 0; i < n; i++)
		if (core_read32(c, arg + 4u * (uint32_t)i, &w[i]))
			return -1;
	return 0;
}

/* ---- results ----------------------------------------------------------------------------- */

static const char *const op_names[0x32] = {
	[SYS_OPEN] = "OPEN", [SYS_CLOSE] = "CLOSE", [SYS_WRITEC] = "WRITEC",
	[SYS_WRITE0] = "WRITE0", [SYS_WRITE] = "WRITE", [SYS_READ] = "READ",
	[SYS_READC] = "READC", [SYS_ISERROR] = "ISERROR", [SYS_ISTTY] = "ISTTY",
	[SYS_SEEK] = "SEEK", [SYS_FLEN] = "FLEN", [SYS_TMPNAM] = "TMPNAM",
	[SYS_REMOVE] = "REMOVE", [SYS_RENAME] = "RENAME", [SYS_CLOCK] = "CLOCK",
	[SYS_TIME] = "TIME", [SYS_SYSTEM] = "SYSTEM", [SYS_ERRNO] = "ERRNO",
	[SYS_GET_CMDLINE] = "GET_CMDLINE", [SYS_HEAPINFO] = "HEAPINFO", [SYS_EXIT] = "EXIT",
	[SYS_EXIT_EXTENDED] = "EXIT_EXTENDED", [SYS_ELAPSED] = "ELAPSED",
	[SYS_TICKFREQ] = "TICKFREQ",
};

static const char *op_name(uint32_t op)
{
	return op < 0x32 && op_names[op] ? op_names[op] : "an unknown operation";
}

/* A failed call: the semihosting errno, and the value for r0/a0. */
static uint32_t fail(struct semihost *s, int err, uint32_t ret)
{
	s->err = (uint32_t)err;
	return ret;
}

/* A failed call that is the guest's mistake: also a guest error, with a note. */
static uint32_t guest_fail(struct core *c, uint32_t op, uint32_t addr, int err, uint32_t ret,
			   const char *why)
{
	core_guest_note(c, addr, "semihosting %s (0x%02x): %s", op_name(op), op, why);
	return fail(c->sh, err, ret);
}

/* ---- files -------------------------------------------------------------------------------- */

static struct sh_file *handle(struct semihost *s, uint32_t h)
{
	return h < SH_MAX_FILES && s->f[h].kind != SH_FREE ? &s->f[h] : NULL;
}

static int new_handle(struct semihost *s)
{
	for (int h = 1; h < SH_MAX_FILES; h++)
		if (s->f[h].kind == SH_FREE)
			return h;
	return -1;
}

/* Resolves a guest path below the root: *dir is a directory descriptor (close it unless it is
 * s->root) and *leaf the last component (inside `buf`). 0, or an errno with *why set. */
static int resolve(struct semihost *s, const char *path, char *buf, int *dir, const char **leaf,
		   const char **why)
{
	if (s->root < 0) {
		*why = "no host directory is shared (give --semihost-root DIR)";
		return EACCES;
	}
	if (path[0] == '/') {
		*why = "an absolute path is outside the semihosting root";
		return EACCES;
	}
	strcpy(buf, path);
	int d = s->root;
	char *p = buf, *slash;
	const char *last = NULL;
	for (;;) {
		slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		if (!strcmp(p, "..")) {
			*why = "a '..' component would leave the semihosting root";
			goto refuse;
		}
		if (!slash) {
			last = p;
			break;
		}
		if (*p && strcmp(p, ".")) {
			int next = openat(d, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int e = errno;
			if (d != s->root)
				close(d);
			if (next < 0) {
				*why = e == ELOOP || e == ENOTDIR ? "a symbolic link or a file in the "
					"path (links are not followed)" : NULL;
				return e;
			}
			d = next;
		}
		p = slash + 1;
	}
	if (!*last || !strcmp(last, ".")) {
		*why = "the path names no file";
		if (d != s->root)
			close(d);
		return EINVAL;
	}
	*dir = d;
	*leaf = last;
	return 0;
refuse:
	if (d != s->root)
		close(d);
	return EACCES;
}

/* The guest path at (addr, len): 0 and the string, or an errno (EFAULT: bad pointer). */
static int guest_path(struct core *c, uint32_t addr, uint32_t len, const char **path)
{
	if (len >= SH_PATH_MAX)
		return ENAMETOOLONG;
	const char *p = (const char *)guest_ptr(c, addr, len + 1, 0);
	if (!p || memchr(p, 0, len) || p[len])
		return EFAULT;   /* not in memory, or not a string of that length */
	*path = p;
	return 0;
}

/* OPEN {name, mode 0..11, length}: modes as fopen's r rb r+ r+b w wb w+ w+b a ab a+ a+b. */
static uint32_t sh_open(struct core *c, uint32_t arg)
{
	static const int flags[12] = {
		O_RDONLY, O_RDONLY, O_RDWR, O_RDWR,
		O_WRONLY | O_CREAT | O_TRUNC, O_WRONLY | O_CREAT | O_TRUNC,
		O_RDWR | O_CREAT | O_TRUNC, O_RDWR | O_CREAT | O_TRUNC,
		O_WRONLY | O_CREAT | O_APPEND, O_WRONLY | O_CREAT | O_APPEND,
		O_RDWR | O_CREAT | O_APPEND, O_RDWR | O_CREAT | O_APPEND,
	};
	struct semihost *s = c->sh;
	uint32_t w[3];
	const char *path, *leaf, *why = NULL;
	char buf[SH_PATH_MAX];
	int err, dir;
	if (args(c, arg, w, 3))
		return guest_fail(c, SYS_OPEN, arg, EFAULT, SH_FAIL, "bad parameter block");
	if ((err = guest_path(c, w[0], w[2], &path)))
		return guest_fail(c, SYS_OPEN, w[0], err, SH_FAIL, "bad file name pointer or length");
	if (w[1] >= 12)
		return guest_fail(c, SYS_OPEN, arg, EINVAL, SH_FAIL, "mode is not 0..11");
	int h = new_handle(s);
	if (h < 0)
		return fail(s, EMFILE, SH_FAIL);   /* SH_MAX_FILES open: as a host would say */
	if (!strcmp(path, ":tt")) {
		s->f[h].kind = w[1] < 4 ? SH_TT_IN : SH_TT_OUT;
		return (uint32_t)h;
	}
	if ((err = resolve(s, path, buf, &dir, &leaf, &why))) {
		if (why)
			return guest_fail(c, SYS_OPEN, w[0], err, SH_FAIL, why);
		return fail(s, err, SH_FAIL);
	}
	int fd = openat(dir, leaf, flags[w[1]] | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
			0644);
	err = errno;
	if (dir != s->root)
		close(dir);
	if (fd < 0) {
		if (err == ELOOP)
			return guest_fail(c, SYS_OPEN, w[0], err, SH_FAIL,
					  "the file is a symbolic link (links are not followed)");
		return fail(s, err, SH_FAIL);
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return guest_fail(c, SYS_OPEN, w[0], EACCES, SH_FAIL,
				  "not a regular file (devices, FIFOs and directories are refused)");
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	s->f[h] = (struct sh_file){SH_FILE, fd};
	return (uint32_t)h;
}

/* READ / WRITE {handle, buffer, length}: the number of bytes NOT transferred. */
static uint32_t sh_rw(struct core *c, uint32_t op, uint32_t arg)
{
	struct semihost *s = c->sh;
	uint32_t w[3];
	if (args(c, arg, w, 3))
		return guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
	struct sh_file *f = handle(s, w[0]);
	int writing = op == SYS_WRITE;
	if (!f || f->kind == (writing ? SH_TT_IN : SH_TT_OUT))
		return guest_fail(c, op, arg, EBADF, w[2], "bad handle (not open, or not open "
				  "for this direction)");
	uint8_t *p = guest_ptr(c, w[1], w[2], !writing);
	if (!p)
		return guest_fail(c, op, w[1], EFAULT, w[2], "the buffer is not in (writable) memory");
	if (f->kind == SH_TT_OUT) {
		for (uint32_t i = 0; i < w[2]; i++)
			core_console_putc(c, (char)p[i]);
		return 0;
	}
	if (f->kind == SH_TT_IN) {
		size_t n = s->in_len - s->in_pos;
		if (n > w[2])
			n = w[2];
		memcpy(p, s->in + s->in_pos, n);
		s->in_pos += n;
		return w[2] - (uint32_t)n;
	}
	size_t done = 0;
	while (done < w[2]) {
		ssize_t n = writing ? write(f->fd, p + done, w[2] - done)
				    : read(f->fd, p + done, w[2] - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(s, errno, w[2] - (uint32_t)done);
		if (n == 0)
			break;   /* end of file */
		done += (size_t)n;
	}
	return w[2] - (uint32_t)done;
}

/* REMOVE {name, length} / RENAME {old, length, new, length} */
static uint32_t sh_remove_rename(struct core *c, uint32_t op, uint32_t arg)
{
	struct semihost *s = c->sh;
	uint32_t w[4];
	int n = op == SYS_RENAME ? 2 : 1;
	const char *path[2], *leaf[2], *why = NULL;
	char buf[2][SH_PATH_MAX];
	int dir[2], err = 0, got = 0;
	if (args(c, arg, w, 2 * n))
		return guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
	for (int i = 0; i < n; i++)
		if ((err = guest_path(c, w[2 * i], w[2 * i + 1], &path[i])))
			return guest_fail(c, op, w[2 * i], err, SH_FAIL,
					  "bad file name pointer or length");
	for (; got < n; got++)
		if ((err = resolve(s, path[got], buf[got], &dir[got], &leaf[got], &why)))
			break;
	if (!err) {
		int r = n == 1 ? unlinkat(dir[0], leaf[0], 0)
			       : renameat(dir[0], leaf[0], dir[1], leaf[1]);
		err = r ? errno : 0;
	}
	for (int i = 0; i < got; i++)
		if (dir[i] != s->root)
			close(dir[i]);
	if (err && why)
		return guest_fail(c, op, w[2 * got], err, SH_FAIL, why);
	return err ? fail(s, err, SH_FAIL) : 0;
}

/* ---- the call ----------------------------------------------------------------------------- */

/* Ticks as `per_second` units of simulated time, for any clock_hz (never 0: core_new), with
 * no overflow: whole seconds first, then the fraction. */
static uint64_t sim_time(struct core *c, uint64_t per_second)
{
	uint64_t hz = c->clock_hz ? c->clock_hz : 1;
	return c->ticks / hz * per_second + c->ticks % hz * per_second / hz;
}

static int sh_exit(struct core *c, int code)
{
	c->exit_code = code;
	core_trace(c, EV_EXIT, 0, (uint32_t)code);
	return 1;
}

/* Returns 1 when the call ends the run (exit), 0 otherwise; *ret is the value for r0/a0. */
int core_semihost(struct core *c, uint32_t op, uint32_t arg, uint32_t *ret)
{
	struct semihost *s = sh(c);
	uint32_t w[4];
	const uint8_t *p;
	struct sh_file *f;
	*ret = 0;
	if (!s) {
		*ret = SH_FAIL;
		core_guest_note(c, arg, "semihosting: out of host memory");
		return 0;
	}
	switch (op) {
	case SYS_OPEN:
		*ret = sh_open(c, arg);
		return 0;
	case SYS_CLOSE:
		if (args(c, arg, w, 1))
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
		else if (!(f = handle(s, w[0])))
			*ret = guest_fail(c, op, arg, EBADF, SH_FAIL, "bad handle");
		else {
			if (f->kind == SH_FILE && close(f->fd))
				*ret = fail(s, errno, SH_FAIL);
			f->kind = SH_FREE;
		}
		return 0;
	case SYS_WRITEC:
		if (!(p = guest_ptr(c, arg, 1, 0)))
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "the character is not in memory");
		else
			core_console_putc(c, (char)*p);
		return 0;
	case SYS_WRITE0: {
		uint32_t n;
		const char *str = guest_str(c, arg, &n);
		if (!str)
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL,
					  "the string runs out of memory before its NUL");
		else
			for (uint32_t i = 0; i < n; i++)
				core_console_putc(c, str[i]);
		return 0;
	}
	case SYS_WRITE:
	case SYS_READ:
		*ret = sh_rw(c, op, arg);
		return 0;
	case SYS_READC:   /* the console input's next byte; -1 when there is none (QEMU waits) */
		*ret = s->in_pos < s->in_len ? s->in[s->in_pos++] : SH_FAIL;
		return 0;
	case SYS_ISERROR:
		if (args(c, arg, w, 1))
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
		else
			*ret = (int32_t)w[0] < 0;
		return 0;
	case SYS_ISTTY:
		if (args(c, arg, w, 1))
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
		else if (!(f = handle(s, w[0])))
			*ret = guest_fail(c, op, arg, EBADF, SH_FAIL, "bad handle");
		else
			*ret = f->kind != SH_FILE;   /* the console is a terminal */
		return 0;
	case SYS_SEEK:
		if (args(c, arg, w, 2))
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
		else if (!(f = handle(s, w[0])))
			*ret = guest_fail(c, op, arg, EBADF, SH_FAIL, "bad handle");
		else if (f->kind != SH_FILE)
			*ret = fail(s, ESPIPE, SH_FAIL);
		else if (lseek(f->fd, (off_t)w[1], SEEK_SET) < 0)
			*ret = fail(s, errno, SH_FAIL);
		return 0;
	case SYS_FLEN: {
		struct stat st;
		if (args(c, arg, w, 1))
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
		else if (!(f = handle(s, w[0])))
			*ret = guest_fail(c, op, arg, EBADF, SH_FAIL, "bad handle");
		else if (f->kind != SH_FILE)
			*ret = 0;    /* the console has no length (as a pipe) */
		else if (fstat(f->fd, &st))
			*ret = fail(s, errno, SH_FAIL);
		else if (st.st_size > INT32_MAX)
			*ret = fail(s, EOVERFLOW, SH_FAIL);
		else
			*ret = (uint32_t)st.st_size;
		return 0;
	}
	case SYS_TMPNAM: {   /* {buffer, id 0..255, length}: a name below the root */
		char name[32];
		uint8_t *out;
		if (args(c, arg, w, 3)) {
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
			return 0;
		}
		int n = snprintf(name, sizeof(name), "irqsim-tmp-%02x", w[1] & 0xFF) + 1;
		if ((uint32_t)n > w[2])
			*ret = fail(s, E2BIG, SH_FAIL);
		else if (!(out = guest_ptr(c, w[0], (uint32_t)n, 1)))
			*ret = guest_fail(c, op, w[0], EFAULT, SH_FAIL, "the buffer is not writable");
		else
			memcpy(out, name, (size_t)n);
		return 0;
	}
	case SYS_REMOVE:
	case SYS_RENAME:
		*ret = sh_remove_rename(c, op, arg);
		return 0;
	case SYS_CLOCK:  /* centiseconds of simulated time */
		*ret = (uint32_t)sim_time(c, 100);
		return 0;
	case SYS_TIME:   /* seconds of simulated time since the run began: deterministic */
		*ret = (uint32_t)sim_time(c, 1);
		return 0;
	case SYS_SYSTEM:
		*ret = guest_fail(c, op, arg, EPERM, SH_FAIL, "refused: irqsim runs no host commands");
		return 0;
	case SYS_ERRNO:
		*ret = s->err;
		return 0;
	case SYS_GET_CMDLINE: {   /* {buffer, size}: the line and its length back */
		const char *line = s->cmdline ? s->cmdline : "";
		uint32_t n = (uint32_t)strlen(line) + 1;
		uint8_t *out, *len;
		if (args(c, arg, w, 2))
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
		else if (n > w[1])
			*ret = fail(s, E2BIG, SH_FAIL);
		else if (!(out = guest_ptr(c, w[0], n, 1)) || !(len = guest_ptr(c, arg + 4, 4, 1)))
			*ret = guest_fail(c, op, w[0], EFAULT, SH_FAIL,
					  "the buffer or the parameter block is not writable");
		else {
			uint32_t got = n - 1;
			memcpy(out, line, n);
			memcpy(len, &got, 4);
		}
		return 0;
	}
	case SYS_HEAPINFO: {   /* arg points to the address of a 4-word block */
		uint8_t *out;
		if (args(c, arg, w, 1) || !(out = guest_ptr(c, w[0], 16, 1)))
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "the block is not writable");
		else
			memcpy(out, s->heap, 16);
		return 0;
	}
	case SYS_ELAPSED: {   /* {low, high}: ticks since reset */
		uint8_t *out = guest_ptr(c, arg, 8, 1);
		uint32_t v[2] = {(uint32_t)c->ticks, (uint32_t)(c->ticks >> 32)};
		if (!out)
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "the block is not writable");
		else
			memcpy(out, v, 8);
		return 0;
	}
	case SYS_TICKFREQ:
		*ret = c->clock_hz;
		return 0;
	case SYS_EXIT:   /* AArch32 / RV32: the reason code is the argument itself */
		return sh_exit(c, arg == ADP_STOPPED_APPLICATION_EXIT ? 0 : 1);
	case SYS_EXIT_EXTENDED:
		if (args(c, arg, w, 2)) {
			*ret = guest_fail(c, op, arg, EFAULT, SH_FAIL, "bad parameter block");
			return 0;
		}
		return sh_exit(c, w[0] == ADP_STOPPED_APPLICATION_EXIT ? (int)w[1] : 1);
	default:
		*ret = guest_fail(c, op, arg, ENOSYS, SH_FAIL, "not implemented");
		return 0;
	}
}

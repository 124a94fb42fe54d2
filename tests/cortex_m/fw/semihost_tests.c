/* Every semihosting operation irqsim implements, called as newlib's rdimon and picolibc call
 * them, each printing what it got back. Architecture-neutral (semihost_call traps with BKPT on
 * Cortex-M, the ebreak sequence on RISC-V): tests/cortex_m/test_semihost.py builds it for both
 * and compares it with QEMU. The report goes through a `:tt` handle opened for writing, except
 * the last lines (WRITEC, WRITE0), which QEMU sends to another stream, so that QEMU's stdout
 * then stderr reads as irqsim's one console.
 *
 * Lines starting with '~' hold values that differ on QEMU by design (host time, its /tmp
 * names, `:tt` on a pipe is no terminal there, checks QEMU would not survive: SYSTEM runs a
 * command there, an unknown operation aborts it); the comparison leaves them out. With
 * -DFOR_QEMU the calls QEMU would not survive or would wait in (READC) are left out. Exit status 3: the test checks it.
 */
#include <stdint.h>

#include "console.h"
#include "semihost.h"

static uintptr_t out;                 /* the `:tt` handle the report goes to */
volatile uintptr_t heapinfo[4];       /* HEAPINFO's block: the test reads it by name */
volatile uint32_t elapsed[2];

static uintptr_t call(uintptr_t op, uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d)
{
	volatile uintptr_t blk[4] = {a, b, c, d};
	return semihost_call(op, (uintptr_t)blk);
}

static uint32_t len(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* The console of console_common.c's helpers: the report's `:tt` handle. */
void console_putc(char ch)
{
	call(SYS_WRITE, out, (uintptr_t)&ch, 1, 0);
}

static void say(const char *s)
{
	call(SYS_WRITE, out, (uintptr_t)s, len(s), 0);
}

static void num(const char *label, int32_t v)
{
	console_puts(label);
	console_puts(v < 0 ? "=-" : "=");
	console_putu(v < 0 ? (uint32_t)-v : (uint32_t)v);
	console_putc('\n');
}

static int32_t open_file(const char *name, int mode)
{
	return (int32_t)call(SYS_OPEN, (uintptr_t)name, (uintptr_t)mode, len(name), 0);
}

static int32_t err(void)
{
	return (int32_t)semihost_call(SYS_ERRNO, 0);
}

int main(void)
{
	static char buf[128];
	out = (uintptr_t)open_file(":tt", 4);
	say("semihosting tests\n");
	num("~istty_tt", (int32_t)call(SYS_ISTTY, out, 0, 0, 0));

	/* a file: create, write, read back, seek, length, append */
	int32_t h = open_file("sh_test.txt", 4);
	num("open_w_ok", h > 0);
	num("write_left", (int32_t)call(SYS_WRITE, (uintptr_t)h, (uintptr_t)"hello semihosting\n", 18, 0));
	num("istty_file", (int32_t)call(SYS_ISTTY, (uintptr_t)h, 0, 0, 0));
	num("close", (int32_t)call(SYS_CLOSE, (uintptr_t)h, 0, 0, 0));
	h = open_file("sh_test.txt", 0);
	num("flen", (int32_t)call(SYS_FLEN, (uintptr_t)h, 0, 0, 0));
	num("read_left", (int32_t)call(SYS_READ, (uintptr_t)h, (uintptr_t)buf, 5, 0));
	buf[5] = '\n';
	buf[6] = 0;
	say(buf);
	num("seek", (int32_t)call(SYS_SEEK, (uintptr_t)h, 6, 0, 0));
	num("read_short_left", (int32_t)call(SYS_READ, (uintptr_t)h, (uintptr_t)buf, 100, 0));
	buf[12] = 0;
	say(buf);
	num("read_eof_left", (int32_t)call(SYS_READ, (uintptr_t)h, (uintptr_t)buf, 10, 0));
	num("write_to_read_only_left", (int32_t)call(SYS_WRITE, (uintptr_t)h, (uintptr_t)"x", 1, 0));
	call(SYS_CLOSE, (uintptr_t)h, 0, 0, 0);
	h = open_file("sh_test.txt", 8);
	num("append_left", (int32_t)call(SYS_WRITE, (uintptr_t)h, (uintptr_t)"more\n", 5, 0));
	call(SYS_CLOSE, (uintptr_t)h, 0, 0, 0);
	h = open_file("sh_test.txt", 1);
	/* ~: QEMU 7.2's host_open drops O_APPEND (semihosting/syscalls.c; fixed upstream in
	 * 2023, "semihosting: add O_APPEND"): there "a" writes at offset 0 and this reads 18 */
	num("~flen_appended", (int32_t)call(SYS_FLEN, (uintptr_t)h, 0, 0, 0));
	call(SYS_CLOSE, (uintptr_t)h, 0, 0, 0);
	num("close_again", (int32_t)call(SYS_CLOSE, (uintptr_t)h, 0, 0, 0));
	num("close_again_errno", err());

	/* names: rename, remove, errors and ERRNO, ISERROR */
	num("rename", (int32_t)call(SYS_RENAME, (uintptr_t)"sh_test.txt", 11,
				    (uintptr_t)"sh_renamed.txt", 14));
	num("open_old_name", open_file("sh_test.txt", 0));
	num("open_old_name_errno", err());
	num("iserror_neg", (int32_t)call(SYS_ISERROR, (uintptr_t)-1, 0, 0, 0));
	num("iserror_zero", (int32_t)call(SYS_ISERROR, 0, 0, 0, 0));
	num("open_bad_mode", (int32_t)call(SYS_OPEN, (uintptr_t)"x", 12, 1, 0));
	num("remove", (int32_t)call(SYS_REMOVE, (uintptr_t)"sh_renamed.txt", 14, 0, 0));
	num("remove_again", (int32_t)call(SYS_REMOVE, (uintptr_t)"sh_renamed.txt", 14, 0, 0));
	num("remove_again_errno", err());
	num("tmpnam", (int32_t)call(SYS_TMPNAM, (uintptr_t)buf, 7, sizeof(buf), 0));
	say("~tmpnam_name=");
	say(buf);
	say("\n");
	num("tmpnam_too_small", (int32_t)call(SYS_TMPNAM, (uintptr_t)buf, 7, 4, 0));

	/* the command line, the heap, time */
	volatile uintptr_t cl[2] = {(uintptr_t)buf, sizeof(buf)};
	num("cmdline_ret", (int32_t)semihost_call(SYS_GET_CMDLINE, (uintptr_t)cl));
	num("cmdline_len", (int32_t)cl[1]);
	say("cmdline=");
	say(buf);
	say("\n");
	volatile uintptr_t small[2] = {(uintptr_t)buf, 2};
	num("cmdline_too_small", (int32_t)semihost_call(SYS_GET_CMDLINE, (uintptr_t)small));
	volatile uintptr_t hp = (uintptr_t)heapinfo;
	num("heapinfo", (int32_t)semihost_call(SYS_HEAPINFO, (uintptr_t)&hp));
	num("heap_ordered", heapinfo[0] <= heapinfo[1] && heapinfo[3] <= heapinfo[2]);
	num("elapsed", (int32_t)semihost_call(SYS_ELAPSED, (uintptr_t)elapsed));
	num("tickfreq_positive", (int32_t)semihost_call(SYS_TICKFREQ, 0) > 0);
	num("~tickfreq", (int32_t)semihost_call(SYS_TICKFREQ, 0));
	num("~clock", (int32_t)semihost_call(SYS_CLOCK, 0));
	num("~time", (int32_t)semihost_call(SYS_TIME, 0));

	/* the console input: what Python fed, empty otherwise */
	int32_t in = open_file(":tt", 0);
	num("~tt_in_left", (int32_t)call(SYS_READ, (uintptr_t)in, (uintptr_t)buf, 3, 0));
	buf[3] = 0;
	say("~tt_in=");
	say(buf);
	say("\n");
#ifndef FOR_QEMU
	/* (QEMU's READC waits for its console's input) */
	num("~readc", (int32_t)semihost_call(SYS_READC, 0));
	num("~readc_more", (int32_t)semihost_call(SYS_READC, 0));
#endif
	call(SYS_CLOSE, (uintptr_t)in, 0, 0, 0);

	/* what irqsim refuses: paths out of the root, SYSTEM, bad pointers, a full table */
	num("~escape_dotdot", open_file("../outside.txt", 4));
	num("~escape_dotdot_errno", err());
	num("~escape_absolute", open_file("/etc/hostname", 0));
	num("~escape_link", open_file("link_out", 0));
	num("~escape_link_errno", err());
	num("~escape_rename", (int32_t)call(SYS_RENAME, (uintptr_t)"a", 1, (uintptr_t)"../b", 4));
	num("~write_bad_pointer_left", (int32_t)call(SYS_WRITE, out, 0xFFFFFFF0u, 4, 0));
	num("~write_bad_pointer_errno", err());
#ifndef FOR_QEMU
	num("~system", (int32_t)call(SYS_SYSTEM, (uintptr_t)"ls", 2, 0, 0));
	num("~system_errno", err());
	num("~unknown_op", (int32_t)semihost_call(0x99, 0));
	num("~bad_block", (int32_t)semihost_call(SYS_OPEN, 0x10000000u));
	int32_t opened = 0;
	while (open_file(":tt", 4) > 0 && opened < 100)
		opened++;
	num("~opened_until_full", opened);
	num("~full_errno", err());
	for (int32_t k = 1; k <= 31; k++)
		if ((uintptr_t)k != out)
			call(SYS_CLOSE, (uintptr_t)k, 0, 0, 0);
	/* `:tt` for appending is the console too (QEMU: its stderr) */
	int32_t app = open_file(":tt", 8);
	call(SYS_WRITE, (uintptr_t)app, (uintptr_t)"~appended to tt\n", 16, 0);
	num("~append_tt_close", (int32_t)call(SYS_CLOSE, (uintptr_t)app, 0, 0, 0));
#endif

	/* last: WRITEC and WRITE0, which QEMU writes to its other stream */
	semihost_call(SYS_WRITEC, (uintptr_t)"W");
	semihost_write0("RITE0 done\n");
	return 3;
}

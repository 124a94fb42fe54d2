/* Guest-side tests of the ARMv7-M FP extension (Cortex-M4F on mps2-an386, Cortex-M7 on
 * mps2-an500): CONTROL.FPCA, the extended frame (ARMv7-M ARM B1.5.7), EXC_RETURN with bit 4
 * clear, lazy and eager stacking (FPCCR, FPCAR: B3.2.21-22), NOCP (B3.2.15). Python
 * (tests/cortex_m/test_fpu.py) runs each test alone (TEST_ID) on irqsim and on QEMU 7.2 and
 * compares the printed logs line for line.
 *
 * IRQ 6 and IRQ 7 are software-pended only (no mps2 device drives them). */
#include <stdint.h>

#include "cm3.h"
#include "semihost.h"
#include "testlog.h"

TESTLOG_DEFINE()

#define REG(a) (*(volatile uint32_t *)(a))
#define CPACR_REG REG(0xE000ED88u)
#define FPCCR_REG REG(0xE000EF34u)
#define FPCAR_REG REG(0xE000EF38u)
#define FPDSCR_REG REG(0xE000EF3Cu)
#define CFSR_REG REG(0xE000ED28u)
#define SHCSR_REG REG(0xE000ED24u)
#define ISER0 REG(0xE000E100u)
#define ISPR0 REG(0xE000E200u)
#define IPR(n) (*(volatile uint8_t *)(0xE000E400u + (n)))

#define IRQ_LOW 6
#define IRQ_HIGH 7
#define PAINT 0xAAAAAAAAu

static uint32_t thread_vals[17], handler_vals[17], high_vals[17], out[17];
static volatile uint32_t pre_sp, irq_frame, irq_excret, high_frame, high_excret;
static volatile uint32_t h_fpccr, h_fpcar, h_fpccr_after, h_control, h_control_after;
static volatile uint32_t h_frame_before[18], h_frame_after[18];
static volatile uint32_t low_uses_fp, low_pends_high, high_uses_fp, high_pends_low;
static volatile uint32_t low_check[16];
static volatile uint32_t h_fpscr;

static void load_s(const uint32_t *v)
{
	__asm__ volatile("vldmia %0, {s0-s15}\n"
			 "ldr r1, [%0, #64]\n"
			 "vmsr fpscr, r1\n" : : "r"(v) : "r1", "memory");
}

static void store_s(uint32_t *v)
{
	__asm__ volatile("vstmia %0, {s0-s15}\n"
			 "vmrs r1, fpscr\n"
			 "str r1, [%0, #64]\n" : : "r"(v) : "r1", "memory");
}

static void fill(uint32_t *v, uint32_t base)
{
	for (int i = 0; i < 16; i++)
		v[i] = base + (uint32_t)i * 0x01010101u;
	v[16] = 0xF0000000u & (base << 4);   /* FPSCR: N, Z, C, V from the base */
}

static void fp_on(void)
{
	CPACR_REG = 0xFu << 20;
	__asm__ volatile("dsb\nisb");
}

static void setup_irqs(void)
{
	IPR(IRQ_LOW) = 0xC0;
	IPR(IRQ_HIGH) = 0x40;
	ISER0 = (1u << IRQ_LOW) | (1u << IRQ_HIGH);
}

/* Paints the 0x100 bytes below SP, records SP in pre_sp and pends `irq`; `misalign` takes the
 * exception with SP 4 below an 8-byte boundary. */
static void __attribute__((noinline)) pend_now(uint32_t irq, int misalign)
{
	uint32_t bit = 1u << irq, sp;
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	for (uint32_t a = sp - 0x100; a < sp; a += 4)
		REG(a) = PAINT;
	if (misalign)
		__asm__ volatile("sub sp, sp, #4\n"
				 "mov r2, sp\n"
				 "str r2, [%0]\n"
				 "str %2, [%1]\n"
				 "dsb\nisb\n"
				 "add sp, sp, #4\n"
				 : : "r"(&pre_sp), "r"(&ISPR0), "r"(bit) : "r2", "memory");
	else
		__asm__ volatile("mov r2, sp\n"
				 "str r2, [%0]\n"
				 "str %2, [%1]\n"
				 "dsb\nisb\n"
				 : : "r"(&pre_sp), "r"(&ISPR0), "r"(bit) : "r2", "memory");
}

/* IRQ 6 and 7: r0 = SP at entry (the frame, on MSP), r1 = EXC_RETURN */
__attribute__((naked)) void IRQ_Handler(void)
{
	__asm__ volatile("mov r0, sp\n"
			 "mov r1, lr\n"
			 "push {r4, lr}\n"
			 "bl irq_body\n"
			 "pop {r4, pc}\n");
}

__attribute__((used)) void irq_body(uint32_t *frame, uint32_t excret)
{
	uint32_t ipsr;
	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	if (ipsr - 16 == IRQ_HIGH) {
		high_frame = (uint32_t)frame;
		high_excret = excret;
		if (high_pends_low)
			ISPR0 = 1u << IRQ_LOW;      /* taken by tail-chaining at this return */
		if (high_uses_fp) {
			load_s(high_vals);          /* clobbers s0-s15 and FPSCR */
		}
		return;
	}
	irq_frame = (uint32_t)frame;
	irq_excret = excret;
	h_fpccr = FPCCR_REG;
	h_fpcar = FPCAR_REG;
	h_control = get_control();
	if (!(excret & 0x10))         /* an extended frame: its FP part */
		for (int i = 0; i < 18; i++)
			h_frame_before[i] = frame[8 + i];
	if (low_uses_fp == 2) {
		uint32_t v;
		__asm__ volatile("vmrs %0, fpscr" : "=r"(v));   /* the first FP instruction */
		h_fpscr = v;
	}
	if (low_uses_fp) {
		load_s(handler_vals);               /* the handler's first FP instruction */
		h_control_after = get_control();
		h_fpccr_after = FPCCR_REG;
		if (!(excret & 0x10))
			for (int i = 0; i < 18; i++)
				h_frame_after[i] = frame[8 + i];
		if (low_pends_high) {
			ISPR0 = 1u << IRQ_HIGH;
			__asm__ volatile("dsb\nisb");
			uint32_t mine[17];
			store_s(mine);
			for (int i = 0; i < 16; i++)
				low_check[i] = mine[i] == handler_vals[i];
		}
	}
}

static void rec_frame(const volatile uint32_t *w)
{
	for (int i = 0; i < 18; i++)
		rec(w[i]);
}

/* The FPU on, IRQ 6 and 7 set up, the thread's and the handler's register values filled */
static void prepare(uint32_t thread_base, uint32_t handler_base)
{
	fp_on();
	setup_irqs();
	fill(thread_vals, thread_base);
	fill(handler_vals, handler_base);
}

/* Logs whether `out` (stored by the thread after the interrupt) is the thread's values */
static void rec_thread_kept(void)
{
	int same = 1;
	for (int i = 0; i < 17; i++)
		same &= out[i] == thread_vals[i];
	rec((uint32_t)same);
}

/* 0: reset values; the first FP instruction sets CONTROL.FPCA */
static int t_fpca(void)
{
	rec(CPACR_REG);
	rec(FPCCR_REG);
	rec(FPCAR_REG);
	rec(FPDSCR_REG);
	rec(REG(0xE000EF40u));   /* MVFR0-2 */
	rec(REG(0xE000EF44u));
	rec(REG(0xE000EF48u));
	rec(get_control());
	fp_on();
	rec(get_control());      /* enabling the FPU alone leaves FPCA clear */
	__asm__ volatile("vmov.f32 s0, #1.0" ::: "memory");
	rec(get_control());
	FPDSCR_REG = 0x03C00000u;   /* DN, FZ, RMode = 3 */
	rec(FPDSCR_REG);
	return 0;
}

/* One interrupt over a thread with FP state: `lspen` 0 eager / 1 lazy, `handler_fp`, `mis` */
static int one_irq(int lspen, int handler_fp, int mis)
{
	prepare(0x11000000u, 0x22000000u);
	if (!lspen)
		FPCCR_REG = 1u << 31;   /* ASPEN, LSPEN = 0 */
	load_s(thread_vals);          /* FPCA = 1 */
	low_uses_fp = (uint32_t)handler_fp;
	pend_now(IRQ_LOW, mis);
	store_s(out);
	rec(pre_sp - irq_frame);      /* the frame's size, with the alignment word */
	rec(irq_excret);
	rec(h_control);
	rec(h_fpccr);
	rec(h_fpcar - irq_frame);
	rec(REG(irq_frame + 28) & (1u << 9));   /* stacked xPSR bit 9: aligned */
	rec_frame(h_frame_before);
	if (handler_fp) {
		rec(h_control_after);
		rec(h_fpccr_after);
		rec_frame(h_frame_after);
	}
	rec(FPCCR_REG);
	rec(get_control());
	rec_thread_kept();          /* the thread's s0-s15, FPSCR are back */
	return 0;
}

static int t_lazy(void) { return one_irq(1, 1, 0); }
static int t_lazy_align(void) { return one_irq(1, 1, 1); }
static int t_lazy_unused(void) { return one_irq(1, 0, 0); }
static int t_eager(void) { return one_irq(0, 1, 0); }
static int t_eager_align(void) { return one_irq(0, 0, 1); }

/* No FP in the thread: a basic frame and EXC_RETURN 0xFFFFFFF9 even with the FPU on */
static int t_basic(void)
{
	fp_on();
	setup_irqs();
	low_uses_fp = 1;
	fill(handler_vals, 0x33000000u);
	pend_now(IRQ_LOW, 0);
	rec(pre_sp - irq_frame);
	rec(irq_excret);
	rec(h_fpccr);
	rec(h_control_after);
	rec(get_control());          /* the handler's FP context does not come back */
	return 0;
}

/* A higher-priority handler that clobbers s0-s15 preempts an FP handler that has its own FP
 * context: EXC_RETURN 0xFFFFFFE1, both contexts preserved */
static int t_nested(void)
{
	prepare(0x44000000u, 0x55000000u);
	fill(high_vals, 0x66000000u);
	load_s(thread_vals);
	low_uses_fp = 1;
	low_pends_high = 1;
	high_uses_fp = 1;
	pend_now(IRQ_LOW, 0);
	store_s(out);
	rec(irq_excret);
	rec(high_excret);
	rec(irq_frame - high_frame);
	rec(h_fpccr_after);
	uint32_t ok = 1;
	for (int i = 0; i < 16; i++)
		ok &= low_check[i];
	rec(ok);                      /* the low handler's values survived the high one */
	rec_thread_kept();
	rec(FPCCR_REG);
	return 0;
}

/* NOCP: an FP instruction with CPACR = 0 is a UsageFault at it; the handler enables the FPU
 * and returns, and the instruction runs */
static volatile uint32_t uf_count, uf_cfsr, uf_pc, uf_excret, undef_count;
static volatile uint32_t *volatile nocp_watch;
static volatile uint32_t nocp_seen;
extern const uint8_t nocp_insn[], window_insn[];

__attribute__((naked)) void UsageFault_Handler(void)
{
	__asm__ volatile("mov r0, sp\n"
			 "mov r1, lr\n"
			 "push {r4, lr}\n"
			 "bl uf_body\n"
			 "pop {r4, pc}\n");
}

__attribute__((used)) void uf_body(uint32_t *frame, uint32_t excret)
{
	uf_count++;
	uf_cfsr = CFSR_REG;
	uf_pc = frame[6];
	uf_excret = excret;
	CFSR_REG = uf_cfsr;
	if (uf_cfsr & (1u << 16)) {   /* UNDEFINSTR: skip it (a 32-bit instruction) */
		undef_count++;
		frame[6] += 4;
	}
	if (nocp_watch)
		nocp_seen = *nocp_watch;
	if ((CPACR_REG >> 20) == 5 && (excret & 4) == 0) {
		uint32_t ctl;                 /* privileged-only FPU: make the thread privileged */
		__asm__ volatile("mrs %0, control\nbic %0, %0, #1\nmsr control, %0\nisb"
				 : "=r"(ctl));
		return;
	}
	CPACR_REG = 0xFu << 20;
}

static int t_nocp(void)
{
	SHCSR_REG |= 1u << 18;        /* USGFAULTENA */
	CPACR_REG = 0;
	__asm__ volatile("dsb\nisb");
	uint32_t r = 0, one = 0x3F800000u;
	__asm__ volatile(".global nocp_insn\n"
			 "nocp_insn:\n"
			 "vmov s3, %1\n"
			 "vmov %0, s3\n" : "=r"(r) : "r"(one) : "memory");
	rec(uf_count);
	rec(uf_cfsr);
	rec(uf_pc == ((uint32_t)nocp_insn & ~1u));
	rec(uf_excret);
	rec(r);
	rec(CPACR_REG);
	rec(get_control());
	return 0;
}

/* NOCP in code placed at run time (not in the image's scanned code): first a function with
 * no FP instruction is copied to RAM and run there, then an FP one over it (the same page,
 * executed before), run with CPACR = 0: the UsageFault is at its first instruction in RAM,
 * and the instruction runs once the handler enabled the FPU. */
__asm__(".text\n.balign 4\n.global ram_plain, ram_plain_end, ram_fp, ram_fp_end\n"
	"ram_plain: movs r0, #7\nbx lr\nram_plain_end:\n"
	"ram_fp: vmov s3, r0\nvmov r0, s3\nbx lr\nram_fp_end:\n");
extern const uint8_t ram_plain[], ram_plain_end[], ram_fp[], ram_fp_end[];
static uint32_t ram_code[8];

static uint32_t run_in_ram(const uint8_t *from, const uint8_t *to, uint32_t arg)
{
	uint8_t *dst = (uint8_t *)ram_code;
	for (const uint8_t *p = from; p < to; p++)
		*dst++ = *p;
	__asm__ volatile("dsb\nisb" ::: "memory");
	uint32_t (*f)(uint32_t) = (uint32_t (*)(uint32_t))((uint32_t)ram_code | 1u);
	return f(arg);
}

static int t_nocp_ram(void)
{
	SHCSR_REG |= 1u << 18;        /* USGFAULTENA */
	CPACR_REG = 0;
	__asm__ volatile("dsb\nisb");
	rec(run_in_ram(ram_plain, ram_plain_end, 0));
	rec(uf_count);
	rec(run_in_ram(ram_fp, ram_fp_end, 0x3F800000u));
	rec(uf_count);
	rec(uf_cfsr);
	rec(uf_pc == (uint32_t)ram_code);
	rec(CPACR_REG);
	return 0;
}

/* NOCP in image code that was rewritten from outside (Machine.mem_write over patch_me, which
 * the image has as a plain function): called with CPACR = 0. */
__asm__(".text\n.balign 4\n.global patch_me\n.type patch_me, %function\n.thumb_func\n"
	"patch_me: movs r0, #7\nbx lr\nnop\nnop\nnop\nnop\n");
uint32_t patch_me(uint32_t v);

static int t_nocp_patched(void)
{
	SHCSR_REG |= 1u << 18;        /* USGFAULTENA */
	CPACR_REG = 0;
	__asm__ volatile("dsb\nisb");
	rec(patch_me(0x3F800000u));
	rec(uf_count);
	rec(uf_cfsr);
	rec(uf_pc == ((uint32_t)patch_me & ~1u));
	return 0;
}

/* Cortex-M7: double precision on d0-d2 (1.5 * 2.25 = 3.375); on the M4F the VMUL.F64 is an
 * undefined instruction (its FPU is single precision). */

static int t_double(void)
{
	fp_on();
	SHCSR_REG |= 1u << 18;        /* USGFAULTENA */
	uint32_t lo, hi;
	__asm__ volatile("vmov d0, %2, %3\n"
			 "vmov d1, %4, %5\n"
			 ".global dmul_insn\n"
			 "dmul_insn:\n"
			 ".inst.w 0xee200b01\n"   /* vmul.f64 d0, d0, d1 */
			 "vmov %0, %1, d0\n"
			 : "=r"(lo), "=r"(hi)
			 : "r"(0u), "r"(0x3FF80000u), "r"(0u), "r"(0x40020000u)
			 : "memory");
	rec(hi);
	rec(lo);
	rec(undef_count);
	rec(uf_cfsr);
	return 0;
}

/* NOCP on stores: the forbidden VSTR and VPUSH have no effect (memory, SP) before the handler
 * enables the FPU; then each runs once */
static volatile uint32_t store_target = 0x12345678u;

static int t_nocp_store(void)
{
	SHCSR_REG |= 1u << 18;
	CPACR_REG = 0;
	__asm__ volatile("dsb\nisb");
	uint32_t before, after, v;
	nocp_watch = &store_target;
	__asm__ volatile("mov r0, #0x40000000\n"
			 "vmov s0, r0\n"         /* NOCP: retried after the handler */
			 "vstr s0, [%3]\n"
			 "mov %0, sp\n"
			 "vpush {s0-s3}\n"
			 "mov %1, sp\n"
			 "vpop {s0-s3}\n"
			 "vmov %2, s0\n"
			 : "=&r"(before), "=&r"(after), "=&r"(v) : "r"(&store_target) : "r0", "memory");
	rec(uf_count);
	rec(nocp_seen);
	rec(store_target);
	rec(before - after);
	rec(v);
	return 0;
}

/* CPACR = 01: privileged code may use the FPU, unprivileged code gets NOCP (the handler makes
 * the thread privileged again and the instruction is retried) */
static int t_cpacr_priv(void)
{
	SHCSR_REG |= 1u << 18;
	CPACR_REG = 0x5u << 20;
	__asm__ volatile("dsb\nisb");
	uint32_t a, b, ctl = get_control() | 1u;
	__asm__ volatile("mov r0, #0x3f800000\n"
			 "vmov s1, r0\n"
			 "vadd.f32 s2, s1, s1\n"
			 "vmov %0, s2\n"
			 "msr control, %2\n"
			 "isb\n"
			 "vadd.f32 s3, s2, s2\n"
			 "vmov %1, s3\n"
			 : "=&r"(a), "=&r"(b) : "r"(ctl) : "r0", "memory");
	rec(a);
	rec(b);
	rec(uf_count);
	rec(uf_cfsr);
	rec(get_control() & 1);
	rec(CPACR_REG);
	return 0;
}

/* An FP instruction in the same block as the CPACR write that disables the FPU (no ISB):
 * NOCP at it all the same */
static int t_nocp_window(void)
{
	SHCSR_REG |= 1u << 18;
	fp_on();
	uint32_t r = 0;
	__asm__ volatile("mov r1, #0\n"
			 "mov r2, #0x40000000\n"
			 "str r1, [%1]\n"
			 ".global window_insn\n"
			 "window_insn:\n"
			 "vmov s3, r2\n"
			 "vmov %0, s3\n"
			 : "=r"(r) : "r"(&CPACR_REG) : "r1", "r2", "memory");
	rec(uf_count);
	rec(uf_cfsr);
	rec(uf_pc == ((uint32_t)window_insn & ~1u));
	rec(r);
	return 0;
}

/* FPDSCR gives a new FP context its FPSCR (the handler's first FP instruction); with ASPEN
 * clear FP instructions leave CONTROL.FPCA alone, so frames stay basic */
static int t_aspen_fpdscr(void)
{
	FPDSCR_REG = 0x03C00000u;            /* DN, FZ, RMode 3 */
	prepare(0x77000000u, 0x88000000u);
	handler_vals[16] = 0;                /* (load_s writes FPSCR: read it before) */
	load_s(thread_vals);
	low_uses_fp = 2;                     /* read FPSCR first */
	pend_now(IRQ_LOW, 0);
	rec(irq_excret);
	rec(h_fpscr);
	rec(h_control_after);
	FPCCR_REG = 0;                       /* ASPEN = LSPEN = 0 */
	__asm__ volatile("mrs r0, control\nbic r0, r0, #4\nmsr control, r0\nisb" ::: "r0");
	rec(get_control());
	load_s(thread_vals);
	rec(get_control());                  /* FPCA stays clear */
	pend_now(IRQ_LOW, 0);
	rec(irq_excret);
	rec(pre_sp - irq_frame);
	rec(FPCCR_REG);
	return 0;
}

/* A handler that does not use the FPU tail-chains into one that does: the lazy state of the
 * one frame carries over, and the second handler's first FP instruction fills it */
static int t_tailchain(void)
{
	prepare(0x99000000u, 0xAA000000u);
	load_s(thread_vals);
	high_pends_low = 1;
	low_uses_fp = 1;
	pend_now(IRQ_HIGH, 0);
	store_s(out);
	rec(high_excret);
	rec(irq_excret);
	rec(high_frame == irq_frame);
	rec(h_fpccr);
	rec(h_fpcar - irq_frame);
	rec(h_control);
	rec(h_fpccr_after);
	rec_frame(h_frame_after);
	rec_thread_kept();
	rec(FPCCR_REG);
	return 0;
}

static int (*const tests[])(void) = {t_fpca, t_lazy, t_lazy_align, t_lazy_unused, t_eager,
				     t_eager_align, t_basic, t_nested, t_nocp, t_double,
				     t_nocp_store, t_cpacr_priv, t_nocp_window, t_aspen_fpdscr,
				     t_tailchain, t_nocp_ram, t_nocp_patched};

TESTLOG_MAIN(tests)

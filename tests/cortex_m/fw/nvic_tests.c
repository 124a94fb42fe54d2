/* Guest-side tests of the ARMv7-M exception model. Python (tests/cortex_m/test_nvic_guest.py)
 * patches `test_id` in flash, runs the image, and checks what the firmware logged.
 *
 * Log codes: 0x100 | irq on handler entry, 0x200 | irq on handler exit, other codes per test.
 *
 * Built for ARMv6-M (cortex-m0, tests/cortex_m/test_v6m_guest.py), the tests that need what
 * ARMv6-M lacks (PRIGROUP, BASEPRI, FAULTMASK) are t_absent, and the rest use the Thumb-1
 * forms and word-wide priority writes ARMv6-M has (V6M below). */
#include <stdint.h>

#include "cm3.h"
#include "semihost.h"
#include "testlog.h"

#if defined(__ARM_ARCH_6M__)
#define V6M 1
#else
#define V6M 0
#endif

#define ENTER(x) (0x100u | (x))
#define LEAVE(x) (0x200u | (x))

TESTLOG_DEFINE()
volatile uint32_t scratch[16];
volatile uint32_t pend_on_entry[32];   /* IRQ mask pended (ISPR) by IRQ n's handler ... */
volatile uint32_t pend_times[32];      /* ... during its first pend_times[n] runs */
volatile uint32_t runs[32];
volatile uint32_t irq_set_basepri[32]; /* BASEPRI written by the handler, when non-zero */
volatile uint32_t faultmask_in_handler;
volatile uint32_t systick_count, pendsv_count, svc_count, nmi_count, hardfault_count;

static inline uint32_t get_psp(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, psp" : "=r"(v));
	return v;
}

static inline uint32_t get_primask(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, primask" : "=r"(v));
	return v;
}

#if !V6M
static inline uint32_t get_basepri(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, basepri" : "=r"(v));
	return v;
}

static inline uint32_t get_faultmask(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, faultmask" : "=r"(v));
	return v;
}
#endif

/* Every external IRQ: r0 = MSP at entry (the frame unless it went to PSP), r1 = EXC_RETURN. */
__attribute__((naked)) void IRQ_Handler(void)
{
	__asm__ volatile("mov r0, sp\n"
			 "mov r1, lr\n"
			 "b irq_body\n");
}

__attribute__((used)) void irq_body(uint32_t *msp, uint32_t excret)
{
	uint32_t irq = get_ipsr() - 16u;
	uint32_t *frame = (excret & 4) ? (uint32_t *)get_psp() : msp;
	rec(ENTER(irq));
	if (runs[irq]++ == 0) {
		for (int i = 0; i < 8; i++)
			scratch[i] = frame[i];
		scratch[8] = excret;
		scratch[9] = get_ipsr();
		scratch[10] = (uint32_t)frame;
		scratch[11] = SCB_ICSR;
	}
#if !V6M
	if (irq_set_basepri[irq])
		set_basepri(irq_set_basepri[irq]);
	if (faultmask_in_handler)
		__asm__ volatile("cpsid f" ::: "memory");
#endif
	if (pend_times[irq]) {
		pend_times[irq]--;
		for (unsigned b = 0; b < 32; b++)
			if (pend_on_entry[irq] >> b & 1)
				nvic_pend(b);
		isb();
	}
	rec(LEAVE(irq));
}

void SysTick_Handler(void) { systick_count++; rec(0x3F); }
void PendSV_Handler(void) { pendsv_count++; rec(0x3E); }
void SVC_Handler(void) { svc_count++; rec(0x3B); }
void NMI_Handler(void)
{
	nmi_count++;
	rec(0x32);
	scratch[12] = get_primask();
}

volatile uint32_t hardfault_action;  /* 0: skip the faulting instruction; 1: fault again */
__attribute__((naked)) void HardFault_Handler(void)
{
	__asm__ volatile("mov r0, sp\n"
			 "b hardfault_body\n");
}

__attribute__((used)) void hardfault_body(uint32_t *frame)
{
	hardfault_count++;
	rec(0x33);
	scratch[0] = frame[6];            /* faulting instruction */
#if !V6M                                  /* ARMv6-M has no fault status registers */
	scratch[1] = *(volatile uint32_t *)0xE000ED28u;   /* CFSR */
	scratch[2] = *(volatile uint32_t *)0xE000ED2Cu;   /* HFSR */
	scratch[3] = *(volatile uint32_t *)0xE000ED38u;   /* BFAR */
#endif
	if (hardfault_action == 1)
		(void)*(volatile uint32_t *)0x70000000u;      /* fault in HardFault: lockup */
	frame[6] += V6M ? 2 : 4;          /* skip the faulting load (16-bit on ARMv6-M) */
}

#if V6M
/* SHPR2/3 are word-accessible only on ARMv6-M (B3.2.10): read-modify-write */
static void set_shpr(unsigned e, uint8_t p)
{
	volatile uint32_t *r = &REG32(0xE000ED18u + ((e - 4u) & ~3u));
	unsigned sh = 8u * ((e - 4u) % 4u);
	*r = (*r & ~(0xFFu << sh)) | ((uint32_t)p << sh);
}
#define SET_SHPR(e, p) set_shpr((e), (p))
#define IPR_BYTE(n) ((REG32(0xE000E400u + 4u * ((n) / 4u)) >> (8u * ((n) % 4u))) & 0xFFu)
#define LOAD_R12(v) "ldr r4, =" v "\n mov r12, r4\n"   /* no LDR to r12 in Thumb-1 */
#define LDR_FAULT "ldr r1, [r1]\n"
#else
#define SET_SHPR(e, p) (SCB_SHPR8(e) = (p))
#define IPR_BYTE(n) NVIC_IPR8(n)
#define LOAD_R12(v) "ldr r12, =" v "\n"
#define LDR_FAULT "ldr.w r1, [r1]\n"
#endif

/* ---- tests ----------------------------------------------------------------------------- */

/* The frame: r0-r3, r12, lr, return address, xPSR; EXC_RETURN 0xFFFFFFF9 from MSP thread. */
static int t_frame(void)
{
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	__asm__ volatile("ldr r0, =0x10101010\n"
			 "ldr r1, =0x11111111\n"
			 "ldr r2, =0x12121212\n"
			 "ldr r3, =0x13131313\n"
			 LOAD_R12("0x1C1C1C1C")
			 "ldr r4, =0xE000E200\n"
			 "movs r5, #1\n"
			 "str r5, [r4]\n"          /* ISPR0 bit 0 */
			 "isb\n"
			 ".global frame_return_point\n"
			 "frame_return_point:\n"
			 "nop\n"
			 ::: "r0", "r1", "r2", "r3", "r4", "r5", "r12", "memory");
	return 0;
}

/* Thread mode on PSP: EXC_RETURN 0xFFFFFFFD, frame on PSP, PSP and SPSEL restored. */
static uint32_t psp_stack[64] __attribute__((aligned(8)));
static int t_psp(void)
{
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	uint32_t top = (uint32_t)&psp_stack[64];
	__asm__ volatile("msr psp, %0\n"
			 "movs r1, #2\n"
			 "msr control, r1\n"
			 "isb\n"
			 "ldr r1, =0xE000E200\n"
			 "movs r2, #1\n"
			 "str r2, [r1]\n"
			 "isb\n"
			 "mov r1, sp\n"
			 "str r1, [%1]\n"         /* SP after return: must be PSP top again */
			 "mrs r1, control\n"
			 "str r1, [%1, #4]\n"
			 "movs r1, #0\n"
			 "msr control, r1\n"
			 "isb\n"
			 :: "r"(top), "r"(&scratch[13]) : "r1", "r2", "memory");
	return 0;
}

/* An SP that is 4 mod 8 is aligned down for the frame, xPSR bit 9 records it, and the return
 * restores SP exactly (B1.5.7). */
static int t_align(void)
{
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	__asm__ volatile("sub sp, #4\n"
			 "mov r2, sp\n"
			 "str r2, [%0]\n"
			 "ldr r1, =0xE000E200\n"
			 "movs r2, #1\n"
			 "str r2, [r1]\n"
			 "isb\n"
			 "mov r2, sp\n"
			 "str r2, [%0, #4]\n"
			 "add sp, #4\n"
			 :: "r"(&scratch[13]) : "r1", "r2", "memory");
	return 0;
}

/* IRQ 0 (priority 0x80) pends IRQ 1 (0x40, more urgent) and IRQ 2 (0xC0, less urgent):
 * 1 preempts at once; 2 waits and tail-chains after 0. */
static int t_preempt(void)
{
	nvic_set_priority(0, 0x80);
	nvic_set_priority(1, 0x40);
	nvic_set_priority(2, 0xC0);
	for (int i = 0; i < 3; i++)
		nvic_enable(i);
	pend_on_entry[0] = (1u << 1) | (1u << 2);
	pend_times[0] = 1;
	nvic_pend(0);
	isb();
	return 0;
}

/* Same priority: the lower exception number goes first, whatever the pend order. */
static int t_same_priority(void)
{
	irq_disable();
	for (int i = 2; i <= 5; i += 3) {
		nvic_set_priority(i, 0x60);
		nvic_enable(i);
	}
	nvic_pend(5);
	nvic_pend(2);
	isb();
	rec(0x40);          /* still masked: nothing ran */
	irq_enable();
	rec(0x41);
	return 0;
}

/* PRIGROUP 5 on 3 bits: group [7:6], subpriority [5]. IRQ 3 (0x60: group 0x40, sub 1) pends
 * IRQ 4 (0x60, same group and sub) and IRQ 6 (0x40: same group, sub 0). Neither preempts (same
 * group); after 3 returns, 6 runs first for its better subpriority despite its higher number. */
#if !V6M
static int t_subpriority(void)
{
	SCB_AIRCR = AIRCR_VECTKEY | (5u << 8);
	nvic_set_priority(3, 0x60);
	nvic_set_priority(4, 0x60);
	nvic_set_priority(6, 0x40);
	for (int i = 3; i <= 6; i++)
		nvic_enable(i);
	pend_on_entry[3] = (1u << 4) | (1u << 6);
	pend_times[3] = 1;
	nvic_pend(3);
	isb();
	return 0;
}

#endif

/* A handler that pends its own IRQ (twice) runs again exactly once. */
static int t_self_pend(void)
{
	nvic_set_priority(7, 0x80);
	nvic_enable(7);
	pend_on_entry[7] = 1u << 7;
	pend_times[7] = 1;
	nvic_pend(7);
	nvic_pend(7);   /* already pending: merged */
	isb();
	return 0;
}

/* A pend under PRIMASK is taken right after CPSIE: the stacked return address is the
 * instruction after it. */
static int t_primask(void)
{
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	__asm__ volatile("cpsid i\n"
			 "ldr r1, =0xE000E200\n"
			 "movs r2, #1\n"
			 "str r2, [r1]\n"
			 "isb\n"
			 "nop\n"
			 "cpsie i\n"
			 ".global primask_return_point\n"
			 "primask_return_point:\n"
			 "nop\n"
			 ::: "r1", "r2", "memory");
	return 0;
}

#if !V6M
/* BASEPRI 0x80 masks priority 0x80 and below (numerically >=) but not 0x40; BASEPRI_MAX
 * only raises the mask; lowering BASEPRI lets the masked IRQ in. */
static int t_basepri(void)
{
	nvic_set_priority(0, 0x80);
	nvic_set_priority(1, 0x40);
	nvic_enable(0);
	nvic_enable(1);
	set_basepri(0x80);
	nvic_pend(0);
	nvic_pend(1);
	isb();
	rec(0x40);
	set_basepri_max(0xA0);   /* lower priority than 0x80: ignored */
	scratch[14] = get_basepri();
	set_basepri_max(0x60);   /* higher: taken */
	scratch[15] = get_basepri();
	set_basepri(0);
	isb();
	rec(0x41);
	return 0;
}

/* FAULTMASK set inside a handler is cleared by its return (B1.5.8). */
static int t_faultmask(void)
{
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	faultmask_in_handler = 1;
	nvic_pend(0);
	isb();
	faultmask_in_handler = 0;
	scratch[14] = get_faultmask();
	return 0;
}

#endif

/* NMI is taken even under PRIMASK, and preempts a running handler. */
static int t_nmi(void)
{
	irq_disable();
	SCB_ICSR = ICSR_NMIPENDSET;
	isb();
	rec(0x40);
	irq_enable();
	return 0;
}

/* SVC runs SVCall at once; PendSV waits for the lower-priority slot. */
static int t_svc_pendsv(void)
{
	SET_SHPR(11, 0x40);
	SET_SHPR(14, 0xE0);
	__asm__ volatile("svc #5" ::: "memory");
	rec(0x40);
	SCB_ICSR = ICSR_PENDSVSET;
	isb();
	rec(0x41);
	return 0;
}

/* SysTick with RELOAD 999 and TICKINT fires every 1000 ticks; COUNTFLAG reads 1 once. */
static int t_systick(void)
{
	SYST_RVR = 999;
	SYST_CVR = 0;
	SYST_CSR = 7;
	while (systick_count < 5) {
	}
	SYST_CSR = 0;
	scratch[14] = SYST_CSR;   /* COUNTFLAG: set since the last read */
	scratch[15] = SYST_CSR;   /* cleared by the previous read */
	return 0;
}

/* A load from unmapped memory is a BusFault; with BusFault disabled it escalates to
 * HardFault (HFSR.FORCED), BFAR holds the address, the stacked PC is the load. */
static int t_busfault(void)
{
	__asm__ volatile(".global fault_point\n"
			 "ldr r1, =0x60000000\n"
			 "fault_point:\n"
			 LDR_FAULT
			 ::: "r1", "memory");
	rec(0x40);
	return 0;
}

static int t_lockup(void)
{
	hardfault_action = 1;
	(void)*(volatile uint32_t *)0x60000000u;
	return 0;
}

/* VTOR moves the vector table to RAM; IRQ 8 then runs the handler the new table names. */
static void relocated_irq8(void) { rec(0x58); }
static void (*ram_vectors[16 + 32])(void) __attribute__((aligned(256)));
static int t_vtor(void)
{
	extern void (*const vector_table[16 + 32])(void);
	for (int i = 0; i < 16 + 32; i++)
		ram_vectors[i] = vector_table[i];
	ram_vectors[16 + 8] = relocated_irq8;
	SCB_VTOR = (uint32_t)ram_vectors;
	dsb();
	nvic_enable(8);
	nvic_pend(8);
	isb();
	return 0;
}

/* Registers: unimplemented priority bits read as zero; AIRCR ignores writes without VECTKEY;
 * ICSR/IABR seen from inside a handler. */
static int t_registers(void)
{
	nvic_set_priority(9, 0xFF);
	scratch[12] = IPR_BYTE(9);
	SCB_AIRCR = 3u << 8;                  /* no key: ignored */
	scratch[13] = (SCB_AIRCR >> 8) & 7;
	SCB_AIRCR = AIRCR_VECTKEY | (3u << 8);
	scratch[14] = (SCB_AIRCR >> 8) & 7;
	SCB_AIRCR = AIRCR_VECTKEY;
	nvic_set_priority(9, 0x80);
	nvic_set_priority(10, 0xC0);
	nvic_enable(9);
	irq_disable();
	nvic_pend(10);                        /* pending but disabled: not VECTPENDING */
	nvic_pend(9);
	scratch[15] = SCB_ICSR;
	irq_enable();
	isb();
	return 0;
}

/* Enabling an IRQ that is already pending takes it (Qiling loses this one). */
static int t_pend_then_enable(void)
{
	nvic_set_priority(11, 0x80);
	nvic_pend(11);
	isb();
	rec(0x40);
	nvic_enable(11);
	isb();
	rec(0x41);
	return 0;
}

/* The main loop for Python-side injection: counts until told to stop. */
volatile uint32_t loop_count, loop_stop;
static int t_idle_loop(void)
{
	for (int i = 0; i < 16; i++) {
		nvic_set_priority(i, (uint8_t)(0x20 * (i % 4) + 0x40));
		nvic_enable(i);
	}
	while (!loop_stop)
		loop_count++;
	return 0;
}

/* WFI with nothing enabled that could wake the core: the run ends as idle. */
static int t_wfi(void)
{
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	__asm__ volatile("wfi");
	rec(0x40);
	__asm__ volatile("wfi");
	rec(0x41);
	return 0;
}

__attribute__((used, retain)) int add3(int a, int b, int c) { return a + b + c; }

#if V6M
/* A test of what ARMv6-M does not have: the image returns 98 for it. */
static int t_absent(void) { return 98; }
#define t_subpriority t_absent
#define t_basepri t_absent
#define t_faultmask t_absent
#endif

static int (*const tests[])(void) = {
	t_frame, t_psp, t_align, t_preempt, t_same_priority, t_subpriority, t_self_pend,
	t_primask, t_basepri, t_faultmask, t_nmi, t_svc_pendsv, t_systick, t_busfault, t_lockup,
	t_vtor, t_registers, t_pend_then_enable, t_idle_loop, t_wfi,
};

int main(void)
{
	if (test_id >= sizeof(tests) / sizeof(tests[0]))
		return 99;
	int r = tests[test_id]();
	rec(0xEE);
	log_print(log_buf, log_n);   /* for comparison with QEMU's run (test_qemu.py) */
	return r;
}

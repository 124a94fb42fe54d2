/* Corner cases of the ARMv7-M exception model (B1.5.6 entry, B1.5.8 return, B1.5.4 masks,
 * B3.2.15 fault status), each selected by -DTEST=N and printing what it saw through semihosting,
 * so that tests/cortex_m/test_exc_corners.py can check it and compare it with QEMU. Tests 6, 7,
 * 8 and 10 show behaviour irqsim does not model (docs/semantics.md, "Not modelled"). */
#include <stdint.h>
#include "cm3.h"
#include "semihost.h"

#define CFSR REG32(0xE000ED28u)
static void puthex(const char *name, uint32_t v)
{
	char b[64]; int n = 0;
	while (*name) b[n++] = *name++;
	b[n++] = '=';
	for (int i = 7; i >= 0; i--) b[n++] = "0123456789abcdef"[(v >> (4 * i)) & 15];
	b[n++] = '\n'; b[n] = 0;
	semihost_write0(b);
}
static inline uint32_t get_sp(void) { uint32_t v; __asm__ volatile("mov %0, sp" : "=r"(v)); return v; }



volatile uint32_t phase;
uint32_t task_stack[256] __attribute__((aligned(8)));

void task(void)
{
	uint32_t sp = get_sp();
	puthex("task_control", get_control());
	puthex("task_sp", sp); puthex("task_stack_end", (uint32_t)(task_stack + 256));
	semihost_exit(0);
}

__attribute__((naked)) void SVC_Handler(void)
{
	__asm__ volatile("ldr r0, =0xFFFFFFFD\n"
			 "bx r0\n");
}

volatile uint32_t ctl_in_irq = 0xdead;
__attribute__((naked)) void IRQ_Handler(void)
{
#if TEST == 3
	__asm__ volatile("ldr r0, =0xFFFFFFF5\n bx r0\n");
#elif TEST == 15
	__asm__ volatile("ldr r0, =0xFFFFFFF8\n bx r0\n");   /* bit 0 clear */
#else
	__asm__ volatile("push {lr}\n bl irq_body\n pop {pc}\n");
#endif
}
volatile uint32_t irq_runs;
__attribute__((used)) void irq_body(void)
{
	irq_runs++;
	ctl_in_irq = get_control();
}

__attribute__((naked)) void UsageFault_Handler(void)
{
	__asm__ volatile("mov r0, sp\n mov r1, lr\n b uf_body\n");
}
__attribute__((used)) void uf_body(uint32_t *msp, uint32_t lr)
{
	puthex("UF_CFSR", CFSR);
	puthex("UF_lr", lr);
	puthex("UF_stacked_pc", msp[6]);
	puthex("UF_stacked_xpsr", msp[7]);
	puthex("UF_IABR0", NVIC_IABR(0));
	puthex("UF_ICSR", SCB_ICSR);
	semihost_exit(0);
}
__attribute__((naked)) void HardFault_Handler(void) { __asm__ volatile("mov r0, sp\n b hf_body"); }
__attribute__((used)) void hf_body(uint32_t *msp)
{
	puthex("HF_stacked_pc", msp[6]); puthex("HF_irq_runs", irq_runs);
	puthex("HF_CFSR", CFSR);
	puthex("HF_HFSR", REG32(0xE000ED2Cu));
	semihost_exit(0);
}
__attribute__((naked)) void BusFault_Handler(void) { __asm__ volatile("mov r0, sp\n b bf_body"); }
__attribute__((used)) void bf_body(uint32_t *msp)
{
	puthex("BF_CFSR", CFSR);
	puthex("BF_BFAR", REG32(0xE000ED38u));
	puthex("BF_stacked_pc", msp[6]);
	semihost_exit(0);
}
volatile uint32_t st_count;
void SysTick_Handler(void) { st_count++; }

uint8_t buf[16] __attribute__((aligned(8)));
int main(void)
{
	SCB_SHCSR |= (7u << 16);   /* enable MemManage, BusFault, UsageFault */
#if TEST == 1   /* RTOS-style first task start: SVC handler returns with 0xFFFFFFFD */
	uint32_t *f = (uint32_t *)&task_stack[256 - 8];
	for (int i = 0; i < 8; i++) f[i] = 0;
	f[6] = (uint32_t)task & ~1u;
	f[7] = 1u << 24;
	__asm__ volatile("msr psp, %0" ::"r"(f));
	__asm__ volatile("svc 0");
	semihost_write0("returned to main (wrong)\n");
#elif TEST == 2 /* CONTROL.SPSEL in a handler entered from thread on PSP */
	__asm__ volatile("msr psp, %0\n mov r1, #2\n msr control, r1\n isb" ::"r"(&task_stack[256]) : "r1");
	nvic_enable(0);
	nvic_pend(0);
	isb();
	puthex("ctl_in_irq", ctl_in_irq);
	puthex("control_after", get_control());
	semihost_exit(0);   /* main's frame is on MSP, SP is now PSP: do not return */
#elif TEST == 3 || TEST == 15 /* illegal EXC_RETURN from IRQ0 (15: 0xFFFFFFF8) */
	nvic_enable(0);
	nvic_pend(0);
	isb();
	semihost_write0("after irq (wrong)\n");
#elif TEST == 4
	__asm__ volatile("udf #0");
#elif TEST == 5
	__asm__ volatile("mov r0, #0x100\n bx r0" ::: "r0");
#elif TEST == 6
	uint32_t a, b;
	__asm__ volatile("ldrd %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"(buf + 1));
	puthex("ldrd_no_fault", a);
#elif TEST == 7
	SCB_CCR |= (1u << 4);   /* DIV_0_TRP */
	volatile int z = 0;
	int r = 5 / z;
	puthex("div0_no_fault", (uint32_t)r);
#elif TEST == 8 /* exclusive monitor is cleared by an exception return */
	volatile uint32_t word = 5;
	uint32_t v, res;
	nvic_enable(0);
	__asm__ volatile("ldrex %0, [%1]" : "=r"(v) : "r"(&word));
	nvic_pend(0);
	isb();
	__asm__ volatile("strex %0, %2, [%1]" : "=&r"(res) : "r"(&word), "r"(v + 1) : "memory");
	puthex("irq_runs", irq_runs);
	puthex("strex_result(1=fail)", res);
#elif TEST == 9 /* SysTick: RELOAD written after enabling with RELOAD 0 */
	SYST_RVR = 0;
	SYST_CVR = 0;
	SYST_CSR = 7;
	SYST_RVR = 99;
	for (volatile int i = 0; i < 2000; i++);
	puthex("st_count", st_count);
#elif TEST == 11 /* PRIMASK set, then drop privilege: IRQ must stay masked */
	nvic_enable(0);
	__asm__ volatile("cpsid i" ::: "memory");
	nvic_pend(0);
	__asm__ volatile("mov r1, #1\n msr control, r1\n isb" ::: "r1", "memory");
	for (volatile int i = 0; i < 100; i++);
	semihost_write0(irq_runs ? "irq ran despite PRIMASK (wrong)\n" : "irq held off by PRIMASK\n");
#elif TEST == 12 /* SVC escalated to HardFault: stacked PC */
	SCB_SHPR8(11) = 0x80;
	__asm__ volatile("cpsid i\n mov r0, #0x40\n msr basepri, r0\n cpsie i" ::: "r0");
	__asm__ volatile("svc 1\n nop");
#elif TEST == 13 /* unprivileged write to the NVIC: BusFault */
	__asm__ volatile("mov r1, #1\n msr control, r1\n isb" ::: "r1", "memory");
	__asm__ volatile(".global unpriv_store\n"
			 "ldr r1, =0xE000E100\n"
			 "movs r2, #1\n"
			 "unpriv_store:\n"
			 "str r2, [r1]\n" ::: "r1", "r2", "memory");
	semihost_write0("unprivileged NVIC write did not fault\n");
#elif TEST == 14 /* an FP instruction on a core without an FPU: NOCP (B3.2.15) */
	__asm__ volatile(".global fp_insn\n"
			 "fp_insn:\n"
			 ".inst.w 0xee000a10\n"   /* vmov s0, r0 */
			 ::: "memory");
	semihost_write0("FP instruction did not fault\n");
#elif TEST == 10 /* unaligned LDM */
	uint32_t a, b;
	uint8_t *p = buf + 2;
	__asm__ volatile("mov r3, %2\n ldm r3, {r1, r2}\n mov %0, r1\n mov %1, r2" : "=r"(a), "=r"(b) : "r"(p) : "r1","r2","r3");
	puthex("ldm_no_fault", a);
#endif
	semihost_write0("end\n");
	return 0;
}
